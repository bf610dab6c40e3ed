"""Validate an annotated evidex corpus file (JSON Lines, one document per line).

The format is documented in ``corpora/t1d_cell_therapy/GUIDELINES.md``. Each line holds::

    {"id", "title", "abstract", "provenance", "study_design", "organism", "split",
     "entities": [{"id": "T1", "label", "start", "end", "text", "kb_id"}],
     "relations": [{"head", "tail", "direction", "value", "timepoint", "sample_size",
                    "p_value", "comparator"}]}

with ``start``/``end`` character offsets into ``title + "\\n\\n" + abstract``. ``kb_id`` (concept
labels only) is the gold knowledge-base concept of the mention, or ``"NIL"`` when no concept fits.

:func:`validate` returns a list of problems (empty when the file is valid). From the shell::

    python -m evidex.corpus.validate PATH [PATH ...]

prints the problems and exits 1 if there are any.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, Iterable, Optional, Union

from ..kb import NIL, KnowledgeBase, load_kb
from .documents import SPLITS
from ..schema import (
    CELL_TYPE, CONCEPT_LABELS, DIRECTIONS, ENTITY_LABELS, INTERVENTION, ORGANISMS, OUTCOME, SAMPLE_SIZE,
    STUDY_DESIGNS, TIMEPOINT, TITLE_SEPARATOR, VALUE,
)

DOC_KEYS = ("id", "title", "abstract", "provenance", "study_design", "organism", "split", "entities", "relations")
ENTITY_KEYS = ("id", "label", "start", "end", "text")
OPTIONAL_ENTITY_KEYS = ("kb_id",)
RELATION_KEYS = ("head", "tail", "direction", "value", "timepoint", "sample_size", "p_value", "comparator")
# Which entity labels each relation slot may point to.
HEAD_LABELS = (INTERVENTION, CELL_TYPE)
SLOT_LABELS = {
    "head": HEAD_LABELS,
    "tail": (OUTCOME,),
    "value": (VALUE,),
    "timepoint": (TIMEPOINT,),
    "sample_size": (SAMPLE_SIZE,),
    "p_value": (VALUE,),
}
REQUIRED_SLOTS = ("head", "tail")
ENTITY_ID = re.compile(r"^T[1-9]\d*$")
P_VALUE_TEXT = re.compile(r"^p\b", re.I)


def document_text(doc: dict[str, Any]) -> str:
    """The text every offset refers to: title + blank line + abstract."""
    return f"{doc['title']}{TITLE_SEPARATOR}{doc['abstract']}"


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _check_kb_id(ent: dict[str, Any], ewhere: str, kb: Optional[KnowledgeBase]) -> list[str]:
    """A gold concept id: only on concept labels, NIL or a KB concept of the entity's own label."""
    label, kb_id = ent.get("label"), ent.get("kb_id")
    if kb_id is None:
        return [f"{ewhere}: {label} entity lacks 'kb_id' (a concept id, or {NIL!r})"] if kb is not None and label in CONCEPT_LABELS else []
    if label not in CONCEPT_LABELS:
        return [f"{ewhere}: 'kb_id' is only for {', '.join(CONCEPT_LABELS)} entities, not {label}"]
    if not isinstance(kb_id, str) or not kb_id.strip():
        return [f"{ewhere}: 'kb_id' must be a concept id or {NIL!r} (got {kb_id!r})"]
    if kb_id == NIL:
        return []
    concept = (kb or load_kb()).concepts.get(kb_id)
    if concept is None:
        return [f"{ewhere}: kb_id {kb_id!r} is not in the knowledge base"]
    if concept.label != label:
        return [f"{ewhere}: kb_id {kb_id!r} is a {concept.label} concept, but the entity is {label}"]
    return []


def _check_entities(doc: dict[str, Any], text: Optional[str], where: str,
                    allow_cross_label_overlap: bool, kb: Optional[KnowledgeBase] = None) -> tuple[list[str], dict[str, str]]:
    problems: list[str] = []
    labels: dict[str, str] = {}  # entity id -> label
    entities = doc.get("entities")
    if not isinstance(entities, list):
        return [f"{where}: 'entities' must be a list"], labels
    spans: list[tuple[int, int, str, str]] = []
    for i, ent in enumerate(entities):
        if not isinstance(ent, dict):
            problems.append(f"{where}: entity #{i} is not an object")
            continue
        eid = ent.get("id")
        ewhere = f"{where} entity {eid!r}" if eid is not None else f"{where} entity #{i}"
        missing = [k for k in ENTITY_KEYS if k not in ent]
        if missing:
            problems.append(f"{ewhere}: missing key(s) {', '.join(missing)}")
        extra = sorted(set(ent) - set(ENTITY_KEYS) - set(OPTIONAL_ENTITY_KEYS))
        if extra:
            problems.append(f"{ewhere}: unknown key(s) {', '.join(extra)}")
        if not isinstance(eid, str) or not ENTITY_ID.match(eid):
            problems.append(f"{ewhere}: entity id must look like 'T1', 'T2', ... (got {eid!r})")
        elif eid in labels:
            problems.append(f"{ewhere}: duplicate entity id {eid!r}")
        label = ent.get("label")
        if label not in ENTITY_LABELS:
            problems.append(f"{ewhere}: unknown label {label!r} (allowed: {', '.join(ENTITY_LABELS)})")
        if isinstance(eid, str) and eid not in labels:
            labels[eid] = label if isinstance(label, str) else ""
        problems.extend(_check_kb_id(ent, ewhere, kb))
        start, end, etext = ent.get("start"), ent.get("end"), ent.get("text")
        if not (_is_int(start) and _is_int(end)):
            problems.append(f"{ewhere}: start and end must be integers (got {start!r}, {end!r})")
            continue
        if text is None:
            continue
        if not (0 <= start < end <= len(text)):
            problems.append(f"{ewhere}: offsets {start}-{end} out of range (document length {len(text)})")
            continue
        if not isinstance(etext, str):
            problems.append(f"{ewhere}: 'text' must be a string")
        elif text[start:end] != etext:
            problems.append(f"{ewhere}: text {etext!r} does not match the document slice "
                            f"{start}-{end} {text[start:end]!r}")
        if text[start:end] != text[start:end].strip():
            problems.append(f"{ewhere}: span {text[start:end]!r} starts or ends with whitespace")
        if isinstance(label, str):
            spans.append((start, end, label, str(eid)))
    spans.sort()
    for i, (s1, e1, l1, id1) in enumerate(spans):
        for s2, e2, l2, id2 in spans[i + 1:]:
            if s2 >= e1:
                break
            if l1 == l2:
                problems.append(f"{where}: overlapping entities of the same label {l1}: "
                                f"{id1} ({s1}-{e1}) and {id2} ({s2}-{e2})")
            elif not allow_cross_label_overlap:
                problems.append(f"{where}: overlapping entities {id1} {l1} ({s1}-{e1}) and "
                                f"{id2} {l2} ({s2}-{e2}); entities never overlap (GUIDELINES.md)")
    return problems, labels


def _check_relations(doc: dict[str, Any], labels: dict[str, str], texts: dict[str, str],
                     where: str) -> list[str]:
    problems: list[str] = []
    relations = doc.get("relations")
    if not isinstance(relations, list):
        return [f"{where}: 'relations' must be a list"]
    seen: set[str] = set()
    for i, rel in enumerate(relations):
        rwhere = f"{where} relation #{i}"
        if not isinstance(rel, dict):
            problems.append(f"{rwhere}: not an object")
            continue
        rwhere = f"{where} relation #{i} ({rel.get('head')}->{rel.get('tail')})"
        missing = [k for k in RELATION_KEYS if k not in rel]
        if missing:
            problems.append(f"{rwhere}: missing key(s) {', '.join(missing)}")
        extra = sorted(set(rel) - set(RELATION_KEYS))
        if extra:
            problems.append(f"{rwhere}: unknown key(s) {', '.join(extra)}")
        if rel.get("direction") not in DIRECTIONS:
            problems.append(f"{rwhere}: unknown direction {rel.get('direction')!r} "
                            f"(allowed: {', '.join(DIRECTIONS)})")
        for slot, allowed in SLOT_LABELS.items():
            ref = rel.get(slot)
            if ref is None:
                if slot in REQUIRED_SLOTS:
                    problems.append(f"{rwhere}: '{slot}' is required")
                continue
            if not isinstance(ref, str) or ref not in labels:
                problems.append(f"{rwhere}: {slot} {ref!r} is not an entity id of this document")
            elif labels[ref] not in allowed:
                problems.append(f"{rwhere}: {slot} {ref} is a {labels[ref] or 'unlabelled'} entity, "
                                f"expected {' or '.join(allowed)}")
        p_ref = rel.get("p_value")
        if isinstance(p_ref, str) and labels.get(p_ref) == VALUE and not P_VALUE_TEXT.match(texts.get(p_ref, "")):
            problems.append(f"{rwhere}: p_value {p_ref} ({texts.get(p_ref)!r}) is not a p-value")
        if rel.get("value") is not None and rel.get("value") == p_ref:
            problems.append(f"{rwhere}: value and p_value are the same entity {p_ref}")
        comparator = rel.get("comparator")
        if comparator is not None:
            if not isinstance(comparator, str) or not comparator.strip():
                problems.append(f"{rwhere}: comparator must be an entity id, free text or null")
            elif ENTITY_ID.match(comparator):
                if comparator not in labels:
                    problems.append(f"{rwhere}: comparator {comparator!r} is not an entity id of this document")
                elif labels[comparator] not in HEAD_LABELS:
                    problems.append(f"{rwhere}: comparator {comparator} is a {labels[comparator]} entity, "
                                    f"expected {' or '.join(HEAD_LABELS)}")
                elif comparator == rel.get("head"):
                    problems.append(f"{rwhere}: comparator is the head entity itself")
            elif comparator != comparator.strip():
                problems.append(f"{rwhere}: comparator {comparator!r} has surrounding whitespace")
        key = json.dumps(rel, sort_keys=True, default=str)
        if key in seen:
            problems.append(f"{rwhere}: duplicate relation")
        seen.add(key)
    return problems


def validate_documents(docs: Iterable[tuple[str, Any]], *, allow_cross_label_overlap: bool = False,
                       require_kb_ids: bool = False, kb_path: Optional[str] = None) -> list[str]:
    """Problems of documents given as (where, parsed JSON object) pairs; empty when all are valid.

    `kb_id`s that are present are always checked against the knowledge base (`kb_path`, default the
    packaged one); with `require_kb_ids`, every concept entity must have one."""
    kb = load_kb(kb_path) if require_kb_ids or kb_path else None
    problems: list[str] = []
    ids: dict[str, str] = {}
    n = 0
    for where0, doc in docs:
        n += 1
        if not isinstance(doc, dict):
            problems.append(f"{where0}: not a JSON object")
            continue
        doc_id = doc.get("id")
        where = f"{where0} ({doc_id})"
        missing = [k for k in DOC_KEYS if k not in doc]
        if missing:
            problems.append(f"{where}: missing key(s) {', '.join(missing)}")
        if not isinstance(doc_id, str) or not doc_id.strip():
            problems.append(f"{where}: 'id' must be a non-empty string")
        elif doc_id in ids:
            problems.append(f"{where}: duplicate document id {doc_id!r} (first at {ids[doc_id]})")
        else:
            ids[doc_id] = where0
        text: Optional[str] = None
        title, abstract = doc.get("title"), doc.get("abstract")
        fields_ok = True
        for name, value in (("title", title), ("abstract", abstract)):
            if not isinstance(value, str) or not value.strip():
                problems.append(f"{where}: '{name}' must be a non-empty string")
                fields_ok = False
            elif value != value.strip():
                problems.append(f"{where}: '{name}' has leading or trailing whitespace "
                                "(readers strip it, which would shift every offset)")
        if fields_ok:
            text = document_text(doc)
        provenance = doc.get("provenance")
        if not isinstance(provenance, str) or not (
            provenance == "invented"
            or (provenance.startswith("paraphrase: ") and provenance[len("paraphrase: "):].strip())
        ):
            problems.append(f"{where}: provenance must be 'invented' or 'paraphrase: <source, facts taken>' "
                            f"(got {provenance!r})")
        if doc.get("study_design") not in STUDY_DESIGNS:
            problems.append(f"{where}: unknown study_design {doc.get('study_design')!r} "
                            f"(allowed: {', '.join(STUDY_DESIGNS)})")
        if doc.get("organism") not in ORGANISMS:
            problems.append(f"{where}: unknown organism {doc.get('organism')!r} (allowed: {', '.join(ORGANISMS)})")
        if doc.get("split") not in SPLITS:
            problems.append(f"{where}: unknown split {doc.get('split')!r} (allowed: {', '.join(SPLITS)})")
        ent_problems, labels = _check_entities(doc, text, where, allow_cross_label_overlap, kb)
        problems.extend(ent_problems)
        texts = {e.get("id"): e.get("text") for e in doc.get("entities") or [] if isinstance(e, dict)}
        problems.extend(_check_relations(doc, labels, texts, where))
    if n == 0:
        problems.append("no documents")
    return problems


def _read_lines(path: Path) -> Iterable[tuple[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            where = f"{path.name}:{lineno}"
            if not line.strip():
                continue
            try:
                yield where, json.loads(line)
            except json.JSONDecodeError as exc:
                yield where, _Invalid(str(exc))


class _Invalid:
    """A line that is not JSON; reported by validate()."""

    def __init__(self, reason: str):
        self.reason = reason


def validate(path: Union[str, Path], *, allow_cross_label_overlap: bool = False,
             require_kb_ids: bool = False, kb_path: Optional[str] = None) -> list[str]:
    """All problems found in the corpus file at `path`; an empty list when it is valid.

    Checks: JSON per line; required keys; unique document ids; non-empty stripped title and
    abstract; provenance; study_design, organism and split in their lists; entity ids unique
    (T1, T2, ...), labels in schema.ENTITY_LABELS, offsets in range and matching `text`; no
    overlapping entities (same label always; any labels unless allow_cross_label_overlap);
    relation head (INTERVENTION/CELL_TYPE), tail (OUTCOME), value/p_value (VALUE), timepoint
    (TIMEPOINT), sample_size (SAMPLE_SIZE) and comparator (INTERVENTION/CELL_TYPE id or free
    text) referring to existing entities of the right label; directions in schema.DIRECTIONS;
    `kb_id` only on concept entities, "NIL" or a knowledge-base concept of the entity's label
    (required on every concept entity with `require_kb_ids`).
    """
    path = Path(path)
    if not path.is_file():
        return [f"{path}: no such file"]
    parsed: list[tuple[str, Any]] = []
    problems: list[str] = []
    for where, obj in _read_lines(path):
        if isinstance(obj, _Invalid):
            problems.append(f"{where}: not valid JSON ({obj.reason})")
        else:
            parsed.append((where, obj))
    if not parsed and problems:
        return problems
    return problems + validate_documents(parsed, allow_cross_label_overlap=allow_cross_label_overlap,
                                         require_kb_ids=require_kb_ids, kb_path=kb_path)


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evidex.corpus.validate",
                                 description="Validate annotated evidex corpus files (JSON Lines).")
    ap.add_argument("paths", nargs="+", metavar="PATH")
    ap.add_argument("--allow-cross-label-overlap", action="store_true",
                    help="accept overlapping entities of different labels (same-label overlaps stay errors)")
    ap.add_argument("--require-kb-ids", action="store_true",
                    help="every POPULATION/INTERVENTION/CELL_TYPE/OUTCOME entity must carry a gold kb_id")
    ap.add_argument("--kb", default=None, help="knowledge base to check kb_ids against (default: the packaged one)")
    args = ap.parse_args(argv)
    failed = False
    for p in args.paths:
        problems = validate(p, allow_cross_label_overlap=args.allow_cross_label_overlap,
                            require_kb_ids=args.require_kb_ids, kb_path=args.kb)
        for problem in problems:
            print(problem)
        if problems:
            failed = True
            print(f"{p}: {len(problems)} problem(s)", file=sys.stderr)
        else:
            with open(p, encoding="utf-8") as fh:
                n = sum(1 for line in fh if line.strip())
            print(f"{p}: {n} documents, valid")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
