"""Doc -> evidence-table rows. The only place that knows the table's columns (see schema.COLUMNS)."""

from __future__ import annotations

from typing import Any, Iterator, Optional

from spacy.tokens import Doc

from .schema import COLUMNS, POPULATION


def _text(doc: Doc, offsets: Optional[list[int]]) -> str:
    return doc.text[offsets[0]:offsets[1]] if offsets else ""


def _kb_id(doc: Doc, offsets: Optional[list[int]]) -> str:
    if not offsets:
        return ""
    span = doc.char_span(offsets[0], offsets[1])
    return span._.kb_id if span is not None else ""


def _population(doc: Doc) -> str:
    for span in doc.spans.get("entities", doc.ents):
        if span.label_ == POPULATION:
            return span.text
    return ""


def _sentence_bounds(doc: Doc, offsets: list[int]) -> tuple[int, int]:
    """Sentence offsets without surrounding whitespace (the title keeps no trailing blank line)."""
    start, end = offsets
    text = doc.text[start:end]
    start += len(text) - len(text.lstrip())
    end -= len(text) - len(text.rstrip())
    return start, end


def rows(doc: Doc, model_version: str = "") -> Iterator[dict[str, Any]]:
    """One row per relation in `doc._.relations`, duplicates from repeated mentions merged."""
    record = doc._.record or {}
    doc_id = record.get("id", "")
    title = record.get("title") or ""
    population = _population(doc)
    seen: dict[tuple, dict[str, Any]] = {}
    for rel in doc._.relations or []:
        start, end = _sentence_bounds(doc, rel["sentence"])
        row = {
            "doc_id": doc_id,
            "title": title,
            "study_design": doc._.study_design,
            "organism": doc._.organism,
            "population": population,
            "sample_size": _text(doc, rel.get("sample_size")),
            "intervention": _text(doc, rel.get("intervention")),
            "intervention_id": _kb_id(doc, rel.get("intervention")),
            "cell_type": _text(doc, rel.get("cell_type")),
            "cell_type_id": _kb_id(doc, rel.get("cell_type")),
            "comparator": rel.get("comparator", ""),
            "outcome": _text(doc, rel.get("outcome")),
            "outcome_id": _kb_id(doc, rel.get("outcome")),
            "direction": rel["direction"],
            "value": _text(doc, rel.get("value")),
            "timepoint": _text(doc, rel.get("timepoint")),
            "p_value": _text(doc, rel.get("p_value")),
            "sentence": doc.text[start:end],
            "start": start,
            "end": end,
            "confidence": float(rel.get("confidence", 0.0)),
            "model_version": model_version,
        }
        key = (
            row["intervention_id"] or row["intervention"].lower(),
            row["cell_type_id"] or row["cell_type"].lower(),
            row["outcome_id"] or row["outcome"].lower(),
            row["direction"],
            row["timepoint"].lower(),
        )
        kept = seen.get(key)
        if kept is None or row["confidence"] > kept["confidence"]:
            seen[key] = row
    for row in sorted(seen.values(), key=lambda r: (r["start"], r["outcome"])):
        assert tuple(row) == COLUMNS
        yield row
