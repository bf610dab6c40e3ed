"""Domain vocabulary: tags cell types, therapies, outcomes and populations named in the KB.

Matches names and synonyms (case-insensitive, except short upper-case forms such as "ITA" or
"TIR", which must match exactly) and gives short forms found by the abbreviation detector the
label and concept of their long form, so "SC-islets" means "stem cell-derived islets".
Spans go to `doc.spans["vocabulary"]` with `_.kb_id` set.
"""

from __future__ import annotations

from typing import Optional

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from ..extensions import abbreviation_pairs
from ..kb import load_kb


def _case_sensitive(term: str) -> bool:
    return len(term) <= 6 and sum(ch.isupper() for ch in term) >= 2


@Language.factory("evidex_vocabulary", default_config={"kb_path": None, "confidence": 0.9})
def make_vocabulary(nlp: Language, name: str, kb_path: Optional[str], confidence: float):
    return Vocabulary(nlp, kb_path, confidence)


class Vocabulary:
    def __init__(self, nlp: Language, kb_path: Optional[str] = None, confidence: float = 0.9):
        self.kb = load_kb(kb_path)
        self.confidence = confidence
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        by_key: dict[tuple[str, bool], list] = {}
        for term, concept in self.kb.terms():
            by_key.setdefault((concept.id, _case_sensitive(term)), []).append(nlp.make_doc(term))
        for (cid, exact), docs in by_key.items():
            (self.exact if exact else self.lower).add(cid, docs)

    def _span(self, doc: Doc, start: int, end: int, cid: str, confidence: float) -> Span:
        concept = self.kb.concepts[cid]
        span = Span(doc, start, end, label=concept.label)
        span._.kb_id, span._.kb_name = concept.id, concept.name
        span._.confidence, span._.source = confidence, "vocabulary"
        return span

    def __call__(self, doc: Doc) -> Doc:
        spans = [
            self._span(doc, start, end, doc.vocab.strings[match_id], self.confidence)
            for match_id, start, end in [*self.lower(doc), *self.exact(doc)]
        ]
        # short forms inherit their long form's concept
        for short, long_form in abbreviation_pairs(doc):
            concept = self.kb.lookup(long_form.text)
            if concept is None:
                inside = [s for s in spans if s.start >= long_form.start and s.end <= long_form.end]
                if inside:
                    concept = self.kb.concepts[max(inside, key=len)._.kb_id]
            if concept is not None:
                spans.append(self._span(doc, short.start, short.end, concept.id, self.confidence))
        doc.spans["vocabulary"] = filter_spans(spans)
        return doc
