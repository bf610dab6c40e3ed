"""The document that BioC and PubTator files hold: text, annotated spans, relations.

`AnnotatedDocument` is what every interchange reader yields and every writer takes. It is made
from a processed spaCy Doc with `from_doc`, or read from a file; its offsets are always offsets
into evidex's document text, `title + "\\n\\n" + abstract`, whatever convention the file used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from spacy.tokens import Doc

from ..records import TitledText
from ..schema import CELL_TYPE, INTERVENTION, OUTCOME, SAMPLE_SIZE, TIMEPOINT, TITLE_SEPARATOR, VALUE

# Span groups of an evidex Doc that interchange files keep.
SPAN_GROUPS = ("entities", "numbers")
# Relation roles that point at text (character offsets), and the label a role's span gets when
# no entity or number span has those offsets.
ROLE_LABELS = {
    "intervention": INTERVENTION, "cell_type": CELL_TYPE, "outcome": OUTCOME,
    "value": VALUE, "timepoint": TIMEPOINT, "p_value": VALUE, "sample_size": SAMPLE_SIZE,
}
ROLES = tuple(ROLE_LABELS)
# The relation type evidex writes for its intervention -> outcome effects.
EFFECT = "effect"


@dataclass
class Annotation:
    """One annotated span: character offsets into the document text, end exclusive."""

    start: int
    end: int
    label: str
    text: str
    kb_id: str = ""
    # Strings only (BioC infons are strings): kb_name, confidence, number_kind, source, ...
    attrs: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.start, self.end, self.label)


@dataclass
class AnnotatedDocument(TitledText):
    id: str
    title: str = ""
    abstract: str = ""
    # Document-level facts as strings: study_design, organism, year, journal, ...
    infons: dict[str, str] = field(default_factory=dict)
    # Span group -> annotations; a file from another tool gives one group, "entities".
    spans: dict[str, list[Annotation]] = field(default_factory=dict)
    # evidex effects are the dicts of `doc._.relations`; other relations keep their roles
    # (as [start, end]) and infons under their own keys, with "type".
    relations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def entities(self) -> list[Annotation]:
        return self.spans.get("entities", [])

    def check(self) -> None:
        """Raise ValueError when a span's offsets do not hold its text."""
        text = self.text
        for group, annotations in self.spans.items():
            for a in annotations:
                if not 0 <= a.start < a.end <= len(text):
                    raise ValueError(f"document {self.id!r}: {group} span {a.label} [{a.start}, {a.end}) "
                                     f"lies outside the text ({len(text)} characters)")
                if _squash(text[a.start:a.end]) != _squash(a.text):
                    raise ValueError(f"document {self.id!r}: {group} span {a.label} [{a.start}, {a.end}) "
                                     f"should read {a.text!r} but the text there is {text[a.start:a.end]!r}")


def _squash(text: str) -> str:
    """Whitespace-insensitive form: PubTator keeps a line break as a space."""
    return " ".join(text.split())


def _scalar(value: Any) -> Optional[str]:
    if value is None or isinstance(value, (dict, list, tuple)):
        return None
    return str(value)


def _annotation(span) -> Annotation:
    attrs = {"kb_name": span._.kb_name, "confidence": repr(float(span._.confidence)),
             "number_kind": span._.number_kind, "source": span._.source}
    return Annotation(span.start_char, span.end_char, span.label_, span.text, span._.kb_id,
                      {k: v for k, v in attrs.items() if v})


def from_doc(doc: Doc) -> AnnotatedDocument:
    """The interchange view of a processed evidex Doc: its record, span groups and relations."""
    record = doc._.record or {}
    title = record.get("title") or ""
    if title and doc.text.startswith(title + TITLE_SEPARATOR):
        abstract = doc.text[len(title) + len(TITLE_SEPARATOR):]
    elif title and doc.text == title:
        abstract = ""
    else:  # no title, or a Doc whose text is not its record's: all of it is the abstract
        title, abstract = "", doc.text
    infons = {"study_design": doc._.study_design, "organism": doc._.organism}
    for key, value in (record.get("meta") or {}).items():
        text = _scalar(value)
        if text is not None:  # lists and mappings (MeSH, sections) stay in the source records
            infons[key] = text
    spans = {"entities": [_annotation(s) for s in (doc.spans["entities"] if "entities" in doc.spans else doc.ents)]}
    if "numbers" in doc.spans:
        spans["numbers"] = [_annotation(s) for s in doc.spans["numbers"]]
    relations = [dict(rel) for rel in doc._.relations or []]
    spans = {group: annotations for group, annotations in spans.items() if annotations}  # as files keep them
    return AnnotatedDocument(str(record.get("id", "")), title, abstract, infons, spans, relations)
