"""Doc and Span extensions that carry evidex's data. Plain values only, so DocBin keeps them.

Doc:  `doc._.record`    record id and metadata (year, journal, MeSH, sections, source)
      `doc._.relations` list of relation dicts (character offsets into doc.text)
      `doc._.study_design`, `doc._.organism`
Span: `span._.kb_id`, `span._.kb_name`  normalised concept id and name ("" if none / NIL)
      `span._.confidence`               how sure the component that made the span is
      `span._.number_kind`              for number spans: percentage, p_value, ci, ...
      `span._.source`                   which component made it (rules, vocabulary, tagger)
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

_DOC = {"record": None, "relations": None, "study_design": "other", "organism": "unknown"}
_SPAN = {"kb_id": "", "kb_name": "", "confidence": 1.0, "number_kind": "", "source": ""}


def register() -> None:
    """Register every extension once (safe to call repeatedly)."""
    for name, default in _DOC.items():
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=default)
    for name, default in _SPAN.items():
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)


register()


def abbreviation_pairs(doc: Doc) -> list[tuple[Span, Span]]:
    """(short form, long form) spans found by scispaCy's AbbreviationDetector, whichever of its
    two representations (spans, or serialisable dicts) the pipeline uses."""
    if not Doc.has_extension("abbreviations"):
        return []
    pairs = []
    for item in doc._.abbreviations or []:
        if isinstance(item, dict):
            pairs.append((doc[item["short_start"]:item["short_end"]], doc[item["long_start"]:item["long_end"]]))
        elif isinstance(item._.long_form, Span):
            pairs.append((item, item._.long_form))
    return pairs
