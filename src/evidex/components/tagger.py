"""Slot for the transformer entity tagger (POPULATION, INTERVENTION, OUTCOME, CELL_TYPE).

With `model` unset the component passes documents through unchanged and the entities come from
the domain vocabulary alone. The trained tagger (issue 3) loads from a `models/` folder here
and writes its spans to `doc.spans["tagger"]`.
"""

from __future__ import annotations

from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc


@Language.factory("evidex_tagger", default_config={"model": None, "device": "auto", "batch_size": 32})
def make_tagger(nlp: Language, name: str, model: Optional[str], device: str, batch_size: int):
    return EntityTagger(model, device, batch_size)


class EntityTagger:
    def __init__(self, model: Optional[str], device: str = "auto", batch_size: int = 32):
        if model is not None:
            raise ValueError(
                f"no transformer tagger can be loaded from {model!r} yet: leave 'model' unset to tag "
                "with the domain vocabulary only"
            )
        self.model, self.device, self.batch_size = model, device, batch_size

    def __call__(self, doc: Doc) -> Doc:
        doc.spans["tagger"] = []
        return doc

    def pipe(self, docs, batch_size: int = 32):
        for doc in docs:
            yield self(doc)
