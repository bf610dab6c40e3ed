"""Convert an evidex corpus (JSON Lines, GUIDELINES.md) to spaCy `DocBin` and to brat, and back.

DocBin (`.spacy`): one Doc per document, tokenised by evidex's tokenizer and split further at
entity boundaries, so that every entity is exactly `doc.ents` (label, `kb_id_` = the gold
concept id or "NIL", `id_` = the entity id "T3"; `_.kb_id`/`_.kb_name` as the linker sets them,
empty for NIL); the same spans in `doc.spans["entities"]`;
sentence boundaries from evidex's splitter; `doc._.record` = {"id", "title", "meta": {provenance,
study_design, organism, split}}, `doc._.study_design`, `doc._.organism`; and `doc._.relations`
in the pipeline's own format (character offsets of intervention/cell_type, outcome, value,
timepoint, p_value, sample_size; direction; comparator text; the outcome's sentence;
`source` "gold"), each with the corpus entity ids under "ids" so nothing is lost.
`evidex.rows(doc)` on such a Doc gives the gold evidence table.

brat (a folder): per document `<id>.txt` (the document text) and `<id>.ann` with
`T` entities, `N` normalisations (`Reference T3 evidex:hba1c`; NIL as `NIL:NIL`), `R` relations
`Effect Arg1:<head> Arg2:<tail>` with an `A` attribute `Direction`, and an AnnotatorNotes line
per relation holding its other slots as JSON; `annotation.conf` for brat's editor, and
`documents.jsonl` with the fields brat has no place for (provenance, design, organism, split).

Every conversion validates what it reads and what it writes (`evidex.corpus.validate`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Union

from spacy.tokens import Doc, DocBin, Span

from ..kb import NIL, load_kb
from ..schema import CONCEPT_LABELS, DIRECTIONS, ENTITY_LABELS, INTERVENTION, TITLE_SEPARATOR
from .validate import RELATION_KEYS, document_text, validate_documents

FORMATS = ("jsonl", "docbin", "brat")
META_KEYS = ("provenance", "study_design", "organism", "split")
SLOTS = ("value", "timepoint", "sample_size", "p_value")
BRAT_DOCS = "documents.jsonl"
RELATION = "Effect"
DIRECTION = "Direction"


class ConversionError(ValueError):
    pass


# --------------------------------------------------------------------------- JSON Lines

def read_jsonl(path: Union[str, Path]) -> list[dict]:
    docs = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    _check(docs, f"{path}")
    return docs


def write_jsonl(docs: Iterable[dict], path: Union[str, Path]) -> int:
    docs = list(docs)
    _check(docs, "the converted documents")
    Path(path).write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    return len(docs)


def _check(docs: list[dict], where: str) -> None:
    problems = validate_documents((f"{where}#{i + 1}", d) for i, d in enumerate(docs))
    if problems:
        shown = "\n  ".join(problems[:20]) + ("\n  ..." if len(problems) > 20 else "")
        raise ConversionError(f"{where}: {len(problems)} problem(s):\n  {shown}")


# --------------------------------------------------------------------------- DocBin

def _splitter():
    """evidex's tokenizer and sentence splitter, as the packaged config sets them up."""
    import spacy
    from thinc.api import Config

    from ..pipeline import default_config_path

    cfg = Config().from_disk(default_config_path())
    cfg["nlp"]["pipeline"] = ["sentences"]
    return spacy.util.load_model_from_config(cfg, auto_fill=True, validate=True)


def _aligned(nlp, text: str, cuts: set[int]) -> Doc:
    """evidex's tokens, split again wherever an entity starts or ends inside one."""
    words, spaces = [], []
    for tok in nlp.make_doc(text):
        start, end = tok.idx, tok.idx + len(tok.text)
        points = [start, *sorted(c for c in cuts if start < c < end), end]
        for i, (a, b) in enumerate(zip(points, points[1:])):
            words.append(text[a:b])
            spaces.append(bool(tok.whitespace_) and i == len(points) - 2)
    doc = Doc(nlp.vocab, words=words, spaces=spaces)
    assert doc.text == text, "token split changed the text"
    return doc


def to_doc(nlp, d: dict) -> Doc:
    text = document_text(d)
    ents = d["entities"]
    doc = _aligned(nlp, text, {x for e in ents for x in (e["start"], e["end"])})
    doc = nlp.get_pipe("sentences")(doc)
    spans = []
    for e in ents:
        span = doc.char_span(e["start"], e["end"], label=e["label"], kb_id=e.get("kb_id", ""), span_id=e["id"])
        if span is None:  # cannot happen after _aligned; a clear error if it ever does
            raise ConversionError(f"{d['id']} {e['id']}: {e['text']!r} does not align with tokens")
        if e.get("kb_id", NIL) != NIL:  # as the linker writes it, so evidex.rows(doc) fills the *_id columns
            concept = load_kb().concepts[e["kb_id"]]
            span._.kb_id, span._.kb_name = concept.id, concept.name
        spans.append(span)
    doc.ents = spans
    doc.spans["entities"] = spans
    doc._.record = {"id": d["id"], "title": d["title"], "meta": {k: d[k] for k in META_KEYS}}
    doc._.study_design, doc._.organism = d["study_design"], d["organism"]
    doc._.relations = [_pipeline_relation(doc, r, {e["id"]: e for e in ents}) for r in d["relations"]]
    return doc


def _pipeline_relation(doc: Doc, rel: dict, ents: dict[str, dict]) -> dict[str, Any]:
    def offsets(eid: Optional[str]) -> Optional[list[int]]:
        return [ents[eid]["start"], ents[eid]["end"]] if eid in ents else None

    head, tail = ents[rel["head"]], ents[rel["tail"]]
    comparator = rel.get("comparator")
    sentence = doc.char_span(tail["start"], tail["end"]).sent
    out = {
        "intervention": offsets(rel["head"]) if head["label"] == INTERVENTION else None,
        "cell_type": offsets(rel["head"]) if head["label"] != INTERVENTION else None,
        "outcome": offsets(rel["tail"]),
        "direction": rel["direction"],
        "comparator": ents[comparator]["text"] if comparator in ents else (comparator or ""),
        **{slot: offsets(rel.get(slot)) for slot in SLOTS},
        "sentence": [sentence.start_char, sentence.end_char],
        "confidence": 1.0,
        "source": "gold",
        "ids": {k: rel.get(k) for k in RELATION_KEYS if k != "direction"},
    }
    return out


def from_doc(doc: Doc) -> dict:
    record = doc._.record or {}
    title = record.get("title") or ""
    if not doc.text.startswith(title + TITLE_SEPARATOR):
        raise ConversionError(f"{record.get('id')}: the Doc text does not start with its title and a blank line")
    entities = []
    for span in doc.ents:
        ent = {"id": span.id_, "label": span.label_, "start": span.start_char, "end": span.end_char, "text": span.text}
        if span.label_ in CONCEPT_LABELS and span.kb_id_:
            ent["kb_id"] = span.kb_id_
        entities.append(ent)
    relations = []
    for rel in doc._.relations or []:
        if "ids" not in rel:
            raise ConversionError(f"{record.get('id')}: a relation without corpus ids (not made by to_docbin)")
        ids = rel["ids"]
        relations.append({k: (rel["direction"] if k == "direction" else ids.get(k)) for k in RELATION_KEYS})
    return {"id": record.get("id"), "title": title, "abstract": doc.text[len(title) + len(TITLE_SEPARATOR):],
            **{k: (record.get("meta") or {}).get(k) for k in META_KEYS}, "entities": entities, "relations": relations}


def to_docbin(docs: Iterable[dict], path: Union[str, Path]) -> int:
    docs = list(docs)
    _check(docs, "the input")
    nlp = _splitter()
    db = DocBin(store_user_data=True)
    for d in docs:
        db.add(to_doc(nlp, d))
    db.to_disk(path)
    return len(docs)


def read_docbin(path: Union[str, Path]) -> list[dict]:
    from spacy.vocab import Vocab

    from .. import extensions  # noqa: F401  (the Doc extensions the DocBin carries)

    docs = [from_doc(doc) for doc in DocBin().from_disk(path).get_docs(Vocab())]
    _check(docs, f"{path}")
    return docs


# --------------------------------------------------------------------------- brat

ANNOTATION_CONF = """[entities]
{entities}

[relations]
{relation}\tArg1:INTERVENTION|CELL_TYPE, Arg2:OUTCOME

[events]

[attributes]
{direction}\tArg:{relation}, Value:{directions}
"""


def _brat_name(doc_id: str) -> str:
    if not re.fullmatch(r"[\w.-]+", doc_id):
        raise ConversionError(f"document id {doc_id!r} cannot be a brat file name")
    return doc_id


def to_brat(docs: Iterable[dict], folder: Union[str, Path]) -> int:
    docs = list(docs)
    _check(docs, "the input")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    meta = []
    for d in docs:
        name = _brat_name(d["id"])
        (folder / f"{name}.txt").write_text(document_text(d), encoding="utf-8", newline="\n")
        (folder / f"{name}.ann").write_text(_ann(d), encoding="utf-8", newline="\n")
        meta.append({"id": d["id"], **{k: d[k] for k in META_KEYS}})
    (folder / BRAT_DOCS).write_text("".join(json.dumps(m, ensure_ascii=False) + "\n" for m in meta), encoding="utf-8")
    (folder / "annotation.conf").write_text(ANNOTATION_CONF.format(
        entities="\n".join(ENTITY_LABELS), relation=RELATION, direction=DIRECTION, directions="|".join(DIRECTIONS)),
        encoding="utf-8")
    return len(docs)


def _ann(d: dict) -> str:
    lines, n = [], 0
    for e in d["entities"]:
        lines.append(f"{e['id']}\t{e['label']} {e['start']} {e['end']}\t{e['text']}")
        if "kb_id" in e:
            n += 1
            ref = "NIL:NIL" if e["kb_id"] == NIL else e["kb_id"]
            lines.append(f"N{n}\tReference {e['id']} {ref}\t{e['text']}")
    for i, r in enumerate(d["relations"], start=1):
        lines.append(f"R{i}\t{RELATION} Arg1:{r['head']} Arg2:{r['tail']}")
        lines.append(f"A{i}\t{DIRECTION} R{i} {r['direction']}")
        slots = {k: r.get(k) for k in (*SLOTS, "comparator") if r.get(k) is not None}
        if slots:
            lines.append(f"#{i}\tAnnotatorNotes R{i}\t{json.dumps(slots, ensure_ascii=False)}")
    return "".join(line + "\n" for line in lines)


def read_brat(folder: Union[str, Path]) -> list[dict]:
    folder = Path(folder)
    meta_path = folder / BRAT_DOCS
    if not meta_path.is_file():
        raise ConversionError(f"{folder}: no {BRAT_DOCS} (the document fields brat cannot hold)")
    docs = [_from_ann(folder, json.loads(line)) for line in meta_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    _check(docs, f"{folder}")
    return docs


def _from_ann(folder: Path, meta: dict) -> dict:
    name = _brat_name(meta["id"])
    text = (folder / f"{name}.txt").read_text(encoding="utf-8")
    if TITLE_SEPARATOR not in text:
        raise ConversionError(f"{name}.txt: no blank line between title and abstract")
    title, abstract = text.split(TITLE_SEPARATOR, 1)
    entities: dict[str, dict] = {}
    relations: dict[str, dict] = {}
    for lineno, line in enumerate(_lines(folder / f"{name}.ann"), start=1):
        where = f"{name}.ann:{lineno}"
        ann_id, _, rest = line.partition("\t")
        kind = ann_id[:1]
        if kind == "T":
            head, _, span_text = rest.partition("\t")
            label, *offsets = head.split(" ")
            if len(offsets) != 2 or ";" in head:
                raise ConversionError(f"{where}: discontinuous or malformed span {head!r}")
            start, end = int(offsets[0]), int(offsets[1])
            entities[ann_id] = {"id": ann_id, "label": label, "start": start, "end": end, "text": text[start:end]}
        elif kind == "N":
            fields = rest.split("\t")[0].split(" ")
            target, ref = fields[1], fields[2]
            _need(entities, target, where)["kb_id"] = NIL if ref == "NIL:NIL" else ref
        elif kind == "R":
            rtype, arg1, arg2 = rest.split(" ")
            if rtype != RELATION:
                raise ConversionError(f"{where}: unknown relation type {rtype!r}")
            relations[ann_id] = {"head": arg1.split(":", 1)[1], "tail": arg2.split(":", 1)[1], "direction": None}
        elif kind == "A":
            attr, target, value = rest.split(" ")
            if attr != DIRECTION:
                raise ConversionError(f"{where}: unknown attribute {attr!r}")
            _need(relations, target, where)["direction"] = value
        elif kind == "#":
            note_head, _, note = rest.partition("\t")
            _, target = note_head.split(" ")
            _need(relations, target, where).update(json.loads(note))
        else:
            raise ConversionError(f"{where}: unsupported annotation {ann_id!r}")
    ordered = sorted(entities.values(), key=lambda e: (e["start"], e["end"], e["id"]))
    return {"id": meta["id"], "title": title, "abstract": abstract, **{k: meta.get(k) for k in META_KEYS},
            "entities": ordered, "relations": [{k: r.get(k) for k in RELATION_KEYS} for r in relations.values()]}


def _need(table: dict, key: str, where: str) -> dict:
    if key not in table:
        raise ConversionError(f"{where}: refers to {key!r}, which is not defined above")
    return table[key]


def _lines(path: Path) -> Iterator[str]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            yield line


# --------------------------------------------------------------------------- dispatch

def detect(path: Union[str, Path]) -> str:
    path = Path(path)
    if path.is_dir():
        return "brat"
    if path.suffix == ".spacy":
        return "docbin"
    if path.suffix == ".jsonl":
        return "jsonl"
    raise ConversionError(f"cannot tell the format of {path}: give a .jsonl or .spacy file or a brat folder")


READERS = {"jsonl": read_jsonl, "docbin": read_docbin, "brat": read_brat}
WRITERS = {"jsonl": write_jsonl, "docbin": to_docbin, "brat": to_brat}


def convert(source: Union[str, Path], target: Union[str, Path], to: str, source_format: Optional[str] = None) -> int:
    """Read `source` (format detected unless given), write `target` as `to`; returns the document count."""
    if to not in FORMATS:
        raise ConversionError(f"unknown target format {to!r}; choose {', '.join(FORMATS)}")
    source_format = source_format or detect(source)
    if source_format not in FORMATS:
        raise ConversionError(f"unknown source format {source_format!r}; choose {', '.join(FORMATS)}")
    return WRITERS[to](READERS[source_format](source), target)
