"""Normalisation: gives each concept entity a KB id (`span._.kb_id`), or "" for NIL.

Spans that arrive with an id (from the vocabulary) keep it; others are looked up by their
text, then by the long form of their abbreviation, then take the id of the longest vocabulary
match inside them ("intraportal infusion of SC-islets" -> the SC-islets concept).
"""

from __future__ import annotations

from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc

from ..extensions import abbreviation_pairs
from ..kb import load_kb
from ..schema import CONCEPT_LABELS


@Language.factory("evidex_linker", default_config={"kb_path": None})
def make_linker(nlp: Language, name: str, kb_path: Optional[str]):
    return Linker(kb_path)


class Linker:
    def __init__(self, kb_path: Optional[str] = None):
        self.kb = load_kb(kb_path)

    def __call__(self, doc: Doc) -> Doc:
        long_forms = {}
        for short, long_form in abbreviation_pairs(doc):
            long_forms[short.text] = long_form.text
        for span in doc.spans.get("entities", []):
            if span.label_ not in CONCEPT_LABELS or span._.kb_id:
                continue
            concept = self.kb.lookup(span.text, span.label_)
            if concept is None and span.text in long_forms:
                concept = self.kb.lookup(long_forms[span.text], span.label_)
            if concept is None:
                inside = [v for v in doc.spans.get("vocabulary", []) if v.start >= span.start and v.end <= span.end
                          and v.label_ == span.label_]
                if inside:
                    concept = self.kb.concepts.get(max(inside, key=len)._.kb_id)
            if concept is not None:
                span._.kb_id, span._.kb_name = concept.id, concept.name
        return doc
