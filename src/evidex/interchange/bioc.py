"""BioC, in its JSON and XML forms: collections of documents, passages, annotations, relations.

Written documents have a title passage (offset 0) and an abstract passage (offset after the
title and its blank line), so BioC offsets are offsets into evidex's document text. Each
annotation carries `type` (the label), `identifier` (the knowledge-base id, when there is one),
the span's other attributes, and `evidex_groups`: the Doc span groups it belongs to
("entities", "numbers"; "relations" for a span that is only a relation's argument). Effects are
document-level relations of type `effect`, whose nodes name the roles (intervention, cell_type,
outcome, value, timepoint, p_value, sample_size) and whose infons hold direction, comparator,
confidence, source and the sentence's offset and length.

Read documents may come from other tools: any passages (the first, if typed title or front, is
the title; the rest join into the abstract, one line each), annotations in passages, sentences
or the document, and any relations. Offsets are moved into evidex's text, and every annotation
must read what its location holds, or the file is refused with the reason.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Iterator, Optional, Union

from lxml import etree
from spacy.tokens import Doc

from ..readers._io import open_binary
from .document import ROLE_LABELS, AnnotatedDocument, Annotation, from_doc
from .relations import join, split

KEY = "evidex.key"
DOCTYPE = '<!DOCTYPE collection SYSTEM "BioC.dtd">'
TITLE_TYPES = ("title", "front")
# Infons with a fixed meaning; the rest of an annotation's infons are its attributes.
_TYPE, _IDENTIFIER, _GROUPS = "type", "identifier", "evidex_groups"
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)


# ---- writing -----------------------------------------------------------------------------


def _passage(offset: int, kind: str, text: str) -> dict[str, Any]:
    return {"offset": offset, "infons": {"type": kind}, "text": text, "sentences": [], "annotations": [],
            "relations": []}


def to_bioc(doc: Union[AnnotatedDocument, Doc]) -> dict[str, Any]:
    """One document in BioC's JSON structure (the XML writer serialises the same structure)."""
    doc = from_doc(doc) if isinstance(doc, Doc) else doc
    passages = []
    if doc.title:
        passages.append(_passage(0, "title", doc.title))
    if doc.abstract:
        passages.append(_passage(doc.abstract_offset, "abstract", doc.abstract))
    # One annotation per distinct span; a span in several groups lists them all.
    merged: dict[tuple, tuple[Annotation, list[str]]] = {}
    for group, annotations in doc.spans.items():
        for a in annotations:
            key = (a.start, a.end, a.label, a.kb_id, tuple(sorted(a.attrs.items())))
            merged.setdefault(key, (a, []))[1].append(group)
    by_offsets: dict[tuple[int, int], Annotation] = {}
    for a, _ in merged.values():
        by_offsets.setdefault((a.start, a.end), a)
    relations = [split(rel) for rel in doc.relations]
    for _, roles, _ in relations:  # a role whose span is in no group still needs an annotation
        for role, (start, end) in roles.items():
            if (start, end) not in by_offsets:
                a = Annotation(start, end, ROLE_LABELS.get(role, role.upper()), doc.text[start:end])
                by_offsets[(start, end)] = a
                merged[(start, end, a.label, "", ())] = (a, ["relations"])
    ids: dict[int, str] = {}
    document_annotations = []
    for n, (a, groups) in enumerate(sorted(merged.values(), key=lambda item: item[0].key), 1):
        ids[id(a)] = f"T{n}"
        infons = {_TYPE: a.label, **({_IDENTIFIER: a.kb_id} if a.kb_id else {}), **a.attrs, _GROUPS: " ".join(groups)}
        item = {"id": f"T{n}", "infons": infons, "text": a.text,
                "locations": [{"offset": a.start, "length": a.end - a.start}]}
        home = next((p for p in passages if p["offset"] <= a.start and a.end <= p["offset"] + len(p["text"])), None)
        (home["annotations"] if home else document_annotations).append(item)
    bioc_relations = []
    for n, (kind, roles, attrs) in enumerate(relations, 1):
        nodes = [{"refid": ids[id(by_offsets[(s, e)])], "role": role} for role, (s, e) in roles.items()]
        bioc_relations.append({"id": f"R{n}", "infons": {_TYPE: kind, **attrs}, "nodes": nodes})
    return {"id": doc.id, "infons": dict(doc.infons), "passages": passages, "annotations": document_annotations,
            "relations": bioc_relations}


def _collection_head(source: str, infons: Optional[dict[str, str]]) -> dict[str, Any]:
    return {"source": source, "date": _dt.date.today().isoformat(), "key": KEY, "version": "1.0",
            "infons": dict(infons or {})}


class BioCJSONWriter:
    """Streams documents into one BioC JSON collection; use as a context manager."""

    def __init__(self, path: Union[str, Path], source: str = "evidex", infons: Optional[dict[str, str]] = None):
        self.path = Path(path)
        self.head = _collection_head(source, infons)
        self.count = 0
        self._fh = None

    def __enter__(self) -> "BioCJSONWriter":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "w", encoding="utf-8")
        head = json.dumps({**self.head, "documents": []}, ensure_ascii=False)
        self._fh.write(head[:-2] + "\n")  # everything up to the open documents list
        return self

    def write(self, doc: Union[AnnotatedDocument, Doc]) -> None:
        self._fh.write((",\n" if self.count else "") + json.dumps(to_bioc(doc), ensure_ascii=False))
        self.count += 1

    def __exit__(self, *exc) -> None:
        self._fh.write("\n]}\n")
        self._fh.close()


def _infon_elements(parent: etree._Element, infons: dict[str, str]) -> None:
    for key, value in infons.items():
        etree.SubElement(parent, "infon", key=key).text = value


def _xml_relation(parent: etree._Element, rel: dict[str, Any]) -> None:
    el = etree.SubElement(parent, "relation", id=rel["id"])
    _infon_elements(el, rel["infons"])
    for node in rel["nodes"]:
        etree.SubElement(el, "node", refid=node["refid"], role=node["role"])


def _xml_annotation(parent: etree._Element, ann: dict[str, Any]) -> None:
    el = etree.SubElement(parent, "annotation", id=ann["id"])
    _infon_elements(el, ann["infons"])  # the DTD's order: infons, locations, text
    for loc in ann["locations"]:
        etree.SubElement(el, "location", offset=str(loc["offset"]), length=str(loc["length"]))
    etree.SubElement(el, "text").text = ann["text"]


def _xml_document(obj: dict[str, Any]) -> etree._Element:
    el = etree.Element("document")
    etree.SubElement(el, "id").text = obj["id"]
    _infon_elements(el, obj["infons"])
    for p in obj["passages"]:
        pel = etree.SubElement(el, "passage")
        _infon_elements(pel, p["infons"])
        etree.SubElement(pel, "offset").text = str(p["offset"])
        etree.SubElement(pel, "text").text = p["text"]
        for ann in p["annotations"]:
            _xml_annotation(pel, ann)
    for ann in obj["annotations"]:
        _xml_annotation(el, ann)
    for rel in obj["relations"]:
        _xml_relation(el, rel)
    return el


class BioCXMLWriter:
    """Streams documents into one BioC XML collection (BioC.dtd); use as a context manager."""

    def __init__(self, path: Union[str, Path], source: str = "evidex", infons: Optional[dict[str, str]] = None):
        self.path = Path(path)
        self.head = _collection_head(source, infons)
        self.count = 0
        self._stack: Optional[ExitStack] = None
        self._xf = None

    def __enter__(self) -> "BioCXMLWriter":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._stack = ExitStack()
        fh = self._stack.enter_context(open(self.path, "wb"))
        self._xf = self._stack.enter_context(etree.xmlfile(fh, encoding="utf-8"))
        self._xf.write_declaration()
        self._xf.write_doctype(DOCTYPE)
        self._stack.enter_context(self._xf.element("collection"))
        head = etree.Element("head")
        for tag in ("source", "date", "key"):
            etree.SubElement(head, tag).text = self.head[tag]
        _infon_elements(head, self.head["infons"])
        for child in head:
            self._xf.write("\n", child)
        return self

    def write(self, doc: Union[AnnotatedDocument, Doc]) -> None:
        self._xf.write("\n", _xml_document(to_bioc(doc)), pretty_print=False)
        self.count += 1

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self._xf.write("\n")
        self._stack.__exit__(*exc)


# ---- reading -----------------------------------------------------------------------------


def _passage_text(p: dict[str, Any]) -> str:
    """A passage's text, or its sentences laid at their offsets when it has none."""
    if p.get("text"):
        return p["text"]
    out = ""
    for s in sorted(p.get("sentences") or [], key=lambda s: int(s["offset"])):
        out += " " * max(0, int(s["offset"]) - int(p["offset"]) - len(out)) + (s.get("text") or "")
    return out


def from_bioc(obj: dict[str, Any]) -> AnnotatedDocument:
    """An AnnotatedDocument from one BioC document (JSON structure); ValueError if inconsistent."""
    doc_id = str(obj.get("id", ""))
    try:
        passages = sorted(obj.get("passages") or [], key=lambda p: int(p["offset"]))
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"BioC document {doc_id!r}: a passage has no integer offset") from None
    texts = [_passage_text(p) for p in passages]
    first_type = str((passages[0].get("infons") or {}).get("type", "")).lower() if passages else ""
    has_title = first_type in TITLE_TYPES
    body = texts[1:] if has_title else texts
    doc = AnnotatedDocument(doc_id, texts[0] if has_title else "", "\n".join(body), dict(obj.get("infons") or {}))
    starts, at = ([0] if has_title else []), doc.abstract_offset  # where each passage starts in evidex's text
    for text in body:
        starts.append(at)
        at += len(text) + 1

    def move(offset: int, length: int, what: str) -> tuple[int, int]:
        for p, text, start in zip(passages, texts, starts):
            if int(p["offset"]) <= offset and offset + length <= int(p["offset"]) + len(text):
                new = offset - int(p["offset"]) + start
                return new, new + length
        raise ValueError(f"BioC document {doc_id!r}: {what} at offset {offset} (length {length}) lies in no passage")

    annotations = list(obj.get("annotations") or [])
    relations = list(obj.get("relations") or [])
    for p in passages:
        annotations += p.get("annotations") or []
        relations += p.get("relations") or []
        for s in p.get("sentences") or []:
            annotations += s.get("annotations") or []
            relations += s.get("relations") or []
    by_id: dict[str, list[int]] = {}
    for ann in annotations:
        ann_id = str(ann.get("id", ""))
        infons = dict(ann.get("infons") or {})
        label = infons.pop(_TYPE, None)
        if not label:
            raise ValueError(f"BioC document {doc_id!r}: annotation {ann_id!r} has no 'type' infon")
        kb_id = infons.pop(_IDENTIFIER, "") or ""
        kb_id = "" if kb_id == "-" else kb_id  # PubTator's "no identifier"
        groups = (infons.pop(_GROUPS, "") or "entities").split()
        locations = ann.get("locations") or []
        if not locations:
            raise ValueError(f"BioC document {doc_id!r}: annotation {ann_id!r} has no location")
        spans = []
        for loc in locations:
            try:
                offset, length = int(loc["offset"]), int(loc["length"])
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"BioC document {doc_id!r}: annotation {ann_id!r} has a bad location {loc!r}") from None
            spans.append(move(offset, length, f"annotation {ann_id!r}"))
        # A discontinuous annotation becomes one span per location, each with its own text.
        for start, end in spans:
            text = ann.get("text", "") if len(spans) == 1 else doc.text[start:end]
            for group in groups:
                if group != "relations":
                    doc.spans.setdefault(group, []).append(Annotation(start, end, label, text, kb_id, dict(infons)))
        if ann_id:
            by_id[ann_id] = [spans[0][0], spans[-1][1]]
    for rel in relations:
        infons = dict(rel.get("infons") or {})
        kind = infons.pop(_TYPE, "") or "relation"
        roles: dict[str, list[int]] = {}
        for node in rel.get("nodes") or []:
            ref = str(node.get("refid", ""))
            if ref not in by_id:
                raise ValueError(f"BioC document {doc_id!r}: relation {rel.get('id')!r} refers to unknown annotation {ref!r}")
            role = str(node.get("role") or "node")
            name, n = role, 2
            while name in roles:  # two nodes in one role keep both
                name, n = f"{role}_{n}", n + 1
            roles[name] = by_id[ref]
        doc.relations.append(join(kind, roles, infons))
    for group in doc.spans.values():
        group.sort(key=lambda a: a.key)
    doc.check()
    return doc


def _documents(obj: Any) -> Iterator[dict[str, Any]]:
    """The documents of a collection, a list of collections or documents, or one document."""
    if isinstance(obj, list):
        for item in obj:
            yield from _documents(item)
    elif isinstance(obj, dict) and "documents" in obj:
        yield from obj["documents"] or []
    elif isinstance(obj, dict) and "passages" in obj:
        yield obj
    else:
        raise ValueError("not BioC JSON: expected a collection with 'documents' or a document with 'passages'")


def read_json(path: Union[str, Path]) -> Iterator[AnnotatedDocument]:
    with open_binary(Path(path)) as fh:
        try:
            obj = json.loads(fh.read().decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not BioC JSON ({exc})") from None
    for item in _documents(obj):
        yield _with_path(path, from_bioc, item)


def _xml_infons(el: etree._Element) -> dict[str, str]:
    return {i.get("key", ""): i.text or "" for i in el.findall("infon")}


def _xml_int(el: etree._Element, what: str, value: Optional[str]) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"BioC XML line {el.sourceline}: {what} {value!r} is not an integer") from None


def _xml_annotations(el: etree._Element) -> list[dict[str, Any]]:
    return [{"id": a.get("id", ""), "infons": _xml_infons(a), "text": a.findtext("text") or "",
             "locations": [{"offset": _xml_int(loc, "location offset", loc.get("offset")),
                            "length": _xml_int(loc, "location length", loc.get("length"))}
                           for loc in a.findall("location")]}
            for a in el.findall("annotation")]


def _xml_relations(el: etree._Element) -> list[dict[str, Any]]:
    return [{"id": r.get("id", ""), "infons": _xml_infons(r),
             "nodes": [{"refid": n.get("refid", ""), "role": n.get("role", "")} for n in r.findall("node")]}
            for r in el.findall("relation")]


def _xml_to_dict(el: etree._Element) -> dict[str, Any]:
    passages = []
    for p in el.findall("passage"):
        passages.append({
            "offset": _xml_int(p, "passage offset", p.findtext("offset")), "infons": _xml_infons(p),
            "text": p.findtext("text") or "", "annotations": _xml_annotations(p), "relations": _xml_relations(p),
            "sentences": [{"offset": _xml_int(s, "sentence offset", s.findtext("offset")), "text": s.findtext("text") or "",
                           "annotations": _xml_annotations(s), "relations": _xml_relations(s)}
                          for s in p.findall("sentence")],
        })
    return {"id": el.findtext("id") or "", "infons": _xml_infons(el), "passages": passages,
            "annotations": _xml_annotations(el), "relations": _xml_relations(el)}


def read_xml(path: Union[str, Path]) -> Iterator[AnnotatedDocument]:
    """Documents of a BioC XML file, streamed. Entities are never expanded: a document type
    declaration that defines any is refused, like the PubMed reader does."""
    path = Path(path)
    with open_binary(path) as fh:
        if _ENTITY_DECL.search(fh.read(1 << 16)):
            raise ValueError(f"{path}: document type declaration defines entities: refused")
    with open_binary(path) as fh:
        context = etree.iterparse(fh, events=("end",), tag="document", resolve_entities=False, no_network=True,
                                  load_dtd=False, huge_tree=False)
        try:
            for _, el in context:
                obj = _xml_to_dict(el)
                el.clear()
                yield _with_path(path, from_bioc, obj)
        except etree.XMLSyntaxError as exc:
            raise ValueError(f"{path}: not well-formed BioC XML ({exc})") from None


def _with_path(path, convert, obj):
    try:
        return convert(obj)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
