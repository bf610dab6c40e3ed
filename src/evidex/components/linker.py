"""Normalisation: gives each concept entity a KB id (`span._.kb_id`), or "" for NIL.

Spans that arrive with an id (from the vocabulary) keep it; others are looked up by their
text, then by the long form of their abbreviation.
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
            if concept is not None:
                span._.kb_id, span._.kb_name = concept.id, concept.name
        return doc
