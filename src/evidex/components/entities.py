"""Entity resolution: merges tagger, vocabulary and number spans into `doc.ents`.

Tagger spans win over vocabulary spans they overlap; between concepts and numbers the longer
span wins ("10,000 IEQ/kg body weight" stays a dose, "insulin independent at 1 year" an outcome);
the number spans stay in `doc.spans["numbers"]` either way. `doc.spans["entities"]` keeps the same set for DocBin and displaCy.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import filter_spans


def _overlaps(span, others) -> bool:
    return any(span.start < o.end and o.start < span.end for o in others)


@Language.factory("evidex_entities", default_config={})
def make_entities(nlp: Language, name: str):
    return EntityResolver()


class EntityResolver:
    def __call__(self, doc: Doc) -> Doc:
        tagged = list(doc.spans.get("tagger", []))
        concepts = tagged + [s for s in doc.spans.get("vocabulary", []) if not _overlaps(s, tagged)]
        merged = sorted(filter_spans(filter_spans(concepts) + list(doc.spans.get("numbers", []))), key=lambda s: s.start)
        doc.ents = merged
        doc.spans["entities"] = merged
        return doc
