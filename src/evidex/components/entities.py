"""Entity resolution: merges tagger, vocabulary and number spans into `doc.ents`.

Where a tagger span and a vocabulary span overlap, `prefer` decides which one stays ("tagger":
the model's reading of the sentence; "vocabulary": the knowledge base's curated term, with its
concept id); tagger spans that overlap nothing stay either way. Between concepts and numbers the longer
span wins ("10,000 IEQ/kg body weight" stays a dose, "insulin independent at 1 year" an outcome);
the number spans stay in `doc.spans["numbers"]` either way. `doc.spans["entities"]` keeps the same set for DocBin and displaCy.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import filter_spans


def _overlaps(span, others) -> bool:
    return any(span.start < o.end and o.start < span.end for o in others)


PREFER = ("tagger", "vocabulary")


@Language.factory("evidex_entities", default_config={"prefer": "tagger"})
def make_entities(nlp: Language, name: str, prefer: str):
    return EntityResolver(prefer)


class EntityResolver:
    def __init__(self, prefer: str = "tagger"):
        if prefer not in PREFER:
            raise ValueError(f"evidex_entities: prefer must be one of {', '.join(PREFER)}, not {prefer!r}")
        self.prefer = prefer

    def __call__(self, doc: Doc) -> Doc:
        tagged = list(doc.spans.get("tagger", []))
        vocabulary = list(doc.spans.get("vocabulary", []))
        if self.prefer == "tagger":
            concepts = tagged + [s for s in vocabulary if not _overlaps(s, tagged)]
        else:
            concepts = vocabulary + [s for s in tagged if not _overlaps(s, vocabulary)]
        merged = sorted(filter_spans(filter_spans(concepts) + list(doc.spans.get("numbers", []))), key=lambda s: s.start)
        doc.ents = merged
        doc.spans["entities"] = merged
        return doc
