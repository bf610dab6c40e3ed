"""PubTator: the tab format of PubTator and of many biomedical text-mining corpora.

    ID|t|title
    ID|a|abstract
    ID<TAB>start<TAB>end<TAB>mention<TAB>type<TAB>identifier
    ID<TAB>relation type<TAB>identifier 1<TAB>identifier 2[<TAB>...]
    (a blank line ends the document)

Offsets are into `title + " " + abstract`, PubTator's convention; evidex's text has a blank
line after the title, so abstract offsets move by one on the way in and out. A title or
abstract is one line: a line break inside it is written as a space (same length, so every
offset holds). A missing identifier is written `-`.

PubTator relations link concepts, not mentions. evidex writes each effect as
`ID<TAB>direction<TAB>therapy id<TAB>outcome id<TAB>{json}`, the fifth column holding the
mention offsets (PubTator's convention) and the other fields, so effects read back whole;
tools that read four columns still get the concept pair. Spans of several span groups are
written once; on reading every span is an entity.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any, Iterator, Union

from spacy.tokens import Doc

from ..readers._io import open_binary
from ..schema import DIRECTIONS
from .document import ROLE_LABELS, AnnotatedDocument, Annotation, from_doc

_TEXT_LINE = re.compile(r"^([^\t|]+)\|([ta])\|(.*)$")
_MISSING = "-"


def _one_line(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ")


class _Offsets:
    """Moves offsets between evidex's text and PubTator's (title, one space, abstract)."""

    def __init__(self, title: str, abstract_offset: int):
        self.title_end = len(title)
        # -1 with a title (one space where evidex has a blank line), +1 without (PubTator keeps its space)
        self.shift = len(title) + 1 - abstract_offset

    def out(self, offset: int, end: bool = False) -> int:
        in_title = offset < self.title_end or (end and offset == self.title_end)
        return offset if in_title else offset + self.shift

    def into(self, offset: int, end: bool = False) -> int:
        in_title = offset < self.title_end or (end and offset == self.title_end)
        return offset if in_title else offset - self.shift


def _identifier(doc: AnnotatedDocument, offsets: list[int] | None) -> str:
    if not offsets:
        return _MISSING
    for group in doc.spans.values():
        for a in group:
            if [a.start, a.end] == list(offsets) and a.kb_id:
                return a.kb_id
    return _MISSING


def to_pubtator(doc: Union[AnnotatedDocument, Doc]) -> str:
    """One document as a PubTator block (ending with a blank line)."""
    doc = from_doc(doc) if isinstance(doc, Doc) else doc
    if not doc.id or any(c in doc.id for c in "|\t\n\r"):
        raise ValueError(f"document id {doc.id!r} cannot be written to PubTator (empty, or holds |, a tab or a line break)")
    pos = _Offsets(doc.title, doc.abstract_offset)
    lines = [f"{doc.id}|t|{_one_line(doc.title)}", f"{doc.id}|a|{_one_line(doc.abstract)}"]
    seen = set()
    spans = [a for group in doc.spans.values() for a in group]
    for rel in doc.relations:  # a relation's argument needs a line too, even when it is in no span group
        for role, value in rel.items():
            if role in ROLE_LABELS and value and not any([a.start, a.end] == list(value) for a in spans):
                spans.append(Annotation(value[0], value[1], ROLE_LABELS[role], doc.text[value[0]:value[1]]))
    for a in sorted(spans, key=lambda a: (a.key, a.kb_id)):
        if (a.key, a.kb_id) in seen:
            continue
        seen.add((a.key, a.kb_id))
        lines.append("\t".join([doc.id, str(pos.out(a.start)), str(pos.out(a.end, end=True)), _one_line(a.text),
                                a.label, a.kb_id or _MISSING]))
    for rel in doc.relations:
        if rel.get("type", "effect") != "effect" or rel.get("direction") not in DIRECTIONS:
            detail = {k: v for k, v in rel.items() if k != "type"}
            kind = str(rel.get("type", "relation"))
        else:
            detail = {k: v for k, v in rel.items() if k != "direction"}
            kind = rel["direction"]
        for key, value in detail.items():
            if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
                detail[key] = [pos.out(value[0]), pos.out(value[1], end=True)]
        therapy = rel.get("intervention") or rel.get("cell_type")
        lines.append("\t".join([doc.id, kind, _identifier(doc, therapy), _identifier(doc, rel.get("outcome")),
                                json.dumps(detail, ensure_ascii=False, separators=(",", ":"))]))
    return "\n".join(lines) + "\n\n"


class PubTatorWriter:
    """Streams documents into one PubTator file; use as a context manager."""

    def __init__(self, path: Union[str, Path]):
        self.path = Path(path)
        self.count = 0
        self._fh = None

    def __enter__(self) -> "PubTatorWriter":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "w", encoding="utf-8", newline="\n")
        return self

    def write(self, doc: Union[AnnotatedDocument, Doc]) -> None:
        self._fh.write(to_pubtator(doc))
        self.count += 1

    def __exit__(self, *exc) -> None:
        self._fh.close()


def _relation(cols: list[str], pos: _Offsets, where: str) -> dict[str, Any]:
    kind = cols[1]
    extra = cols[4] if len(cols) > 4 else ""
    detail = None
    if extra.startswith("{"):
        try:
            detail = json.loads(extra)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}: relation detail is not JSON ({exc})") from None
    if not isinstance(detail, dict):  # another tool's concept-level relation
        rel = {"type": kind, "arg1": cols[2], "arg2": cols[3]}
        if len(cols) > 4:
            rel["extra"] = "\t".join(cols[4:])
        return rel
    for key, value in detail.items():
        if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
            detail[key] = [pos.into(value[0]), pos.into(value[1], end=True)]
    if kind in DIRECTIONS:
        return {**detail, "direction": kind}
    return {"type": kind, **detail}


def _document(block: list[tuple[int, str]], path: Path) -> AnnotatedDocument:
    doc_id, title, abstract, rows = None, "", "", []
    for lineno, line in block:
        match = _TEXT_LINE.match(line)
        where = f"{path}:{lineno}"
        this_id = match.group(1) if match else line.split("\t", 1)[0]
        if doc_id is None:
            doc_id = this_id
        elif this_id != doc_id:
            raise ValueError(f"{where}: id {this_id!r} inside the block of document {doc_id!r} (a blank line must end each document)")
        if match:
            if match.group(2) == "t":
                title = match.group(3)
            else:
                abstract = match.group(3)
        else:
            rows.append((where, line.split("\t")))
    doc = AnnotatedDocument(doc_id, title, abstract)
    pos = _Offsets(title, doc.abstract_offset)
    entities = []
    for where, cols in rows:
        if len(cols) >= 5 and cols[1].lstrip("-").isdigit() and cols[2].lstrip("-").isdigit():
            start, end = pos.into(int(cols[1])), pos.into(int(cols[2]), end=True)
            kb_id = cols[5] if len(cols) > 5 and cols[5] != _MISSING else ""
            entities.append(Annotation(start, end, cols[4], cols[3], kb_id))
        elif len(cols) >= 4:
            doc.relations.append(_relation(cols, pos, where))
        else:
            raise ValueError(f"{where}: neither an annotation (ID, start, end, mention, type[, id]) nor a relation line")
    if entities:
        doc.spans["entities"] = sorted(entities, key=lambda a: a.key)
    try:
        doc.check()
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    return doc


def read(path: Union[str, Path]) -> Iterator[AnnotatedDocument]:
    """Documents of a PubTator file (plain or .gz), streamed."""
    path = Path(path)
    with open_binary(path) as raw:
        block: list[tuple[int, str]] = []
        for lineno, line in enumerate(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""), 1):
            line = line.rstrip("\r\n")
            if line.strip():
                block.append((lineno, line))
            elif block:
                yield _document(block, path)
                block = []
        if block:
            yield _document(block, path)
