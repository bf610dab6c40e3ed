"""The transformer entity tagger: POPULATION, INTERVENTION, OUTCOME, CELL_TYPE spans.

Loads a trained tagger folder (see `evidex.nn.token_classifier`) on top of the pinned base
encoder, tags batches of documents sentence by sentence (the unit it was trained on: whole
abstracts cost 15 points of JNLPBA cell_type F1; long sentences go in overlapping windows) and writes its spans,
each with `_.confidence`, to `doc.spans["tagger"]`. `model` is a folder path, or a name under
the repository's `models/`. With `model` unset (or not found: a warning says so), documents pass through and entities come from
the domain vocabulary alone.
"""

from __future__ import annotations

import logging
import warnings
from typing import Iterable, Iterator, Optional

from spacy.attrs import IS_SPACE
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import minibatch

from ..paths import model_path
from .sentences import sentences

log = logging.getLogger(__name__)


@Language.factory("evidex_tagger", default_config={"model": None, "device": "auto", "batch_size": 32,
                                                   "min_confidence": 0.0, "int8": False,
                                                   "precision": "auto", "unit": "sentence"})
def make_tagger(nlp: Language, name: str, model: Optional[str], device: str, batch_size: int, min_confidence: float,
                int8: bool, precision: str, unit: str):
    return EntityTagger(model, device, batch_size, min_confidence, int8, precision, unit)


class EntityTagger:
    def __init__(self, model: Optional[str], device: str = "auto", batch_size: int = 32, min_confidence: float = 0.0,
                 int8: bool = False, precision: str = "auto", unit: str = "sentence"):
        from ..nn.inference import PRECISIONS

        if precision not in PRECISIONS:
            raise ValueError(f"evidex_tagger: precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
        if unit not in UNITS:
            raise ValueError(f"evidex_tagger: unit must be one of {', '.join(UNITS)}, not {unit!r}")
        self.unit = unit
        self.model_name, self.batch_size, self.min_confidence = model, batch_size, min_confidence
        self.precision = "fp32" if int8 else precision
        self.model = self.tokenizer = None
        self.folder = None
        if model:
            try:
                self.folder = model_path(model)
            except FileNotFoundError as exc:
                # a checkout without models/ still runs, on the vocabulary, and says so
                warnings.warn(f"{exc}; entities come from the domain vocabulary only", stacklevel=2)
        if self.folder is None:
            return
        import torch

        from ..nn.encoder import load_tokenizer
        from ..nn.inference import resolve_device
        from ..nn.token_classifier import TokenClassifier

        from ..nn.serving import remote_model

        remote = remote_model(TokenClassifier, self.folder)
        if remote is not None:  # an engine worker: the forward passes run where the model is
            self.device, self.model, self.precision = torch.device("cpu"), remote, "fp32"
            self.tokenizer = load_tokenizer(remote.config.encoder)
            self.label_map = remote.config.label_map
            return
        self.device = resolve_device(device)
        self.model = TokenClassifier.from_pretrained(self.folder).to(self.device)
        if int8 and self.device.type == "cpu":
            # int8 weights for the linear layers: less arithmetic on the CPU, scores to be checked
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.model = torch.ao.quantization.quantize_dynamic(self.model, {torch.nn.Linear}, dtype=torch.qint8)
        elif self.precision != "fp32":
            from ..nn.inference import cast_for_inference

            self.precision = cast_for_inference(self.model, self.device, self.precision)
        self.tokenizer = load_tokenizer(self.model.config.encoder)
        self.label_map = self.model.config.label_map

    @property
    def version(self) -> str:
        return f"tagger:{self.folder.name}" if self.folder else "vocabulary"

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: Optional[int] = None) -> Iterator[Doc]:
        for batch in minibatch(docs, size=batch_size or self.batch_size):
            yield from self._tag(list(batch))

    def _tag(self, docs: list[Doc]) -> list[Doc]:
        if self.model is None:
            for doc in docs:
                doc.spans["tagger"] = []
            return docs
        from ..nn.inference import tag_words

        pieces = [(d, idx) for d, doc in enumerate(docs) for idx in tagging_units(doc, self.unit)]
        words = [[docs[d][i].text for i in idx] for d, idx in pieces]
        found = tag_words(self.model, self.tokenizer, words, batch_size=self.batch_size, device=self.device,
                          precision=self.precision)
        per_doc: list[list[Span]] = [[] for _ in docs]
        for (d, idx), spans in zip(pieces, found):
            doc, out = docs[d], per_doc[d]
            for start, end, kind, confidence in spans:
                if confidence < self.min_confidence:
                    continue
                for first, last in _split_at_line_breaks(doc, idx[start], idx[end - 1] + 1):
                    span = Span(doc, first, last, label=self.label_map.get(kind, kind))
                    span._.confidence, span._.source = round(confidence, 4), f"tagger:{kind.lower()}"
                    out.append(span)
        for doc, out in zip(docs, per_doc):
            doc.spans["tagger"] = out
        return docs


UNITS = ("sentence", "document")


def tagging_units(doc: Doc, unit: str = "sentence") -> list[list[int]]:
    """Token indices (spaces left out) of each piece of text the tagger sees: the document's
    sentences when they are set and `unit` is "sentence", else the whole document."""
    spaces = doc.to_array(IS_SPACE)
    bounds = [(s.start, s.end) for s in sentences(doc)] if unit == "sentence" else [(0, len(doc))]
    groups = [[i for i in range(a, b) if not spaces[i]] for a, b in bounds]
    return [g for g in groups if g]


def _split_at_line_breaks(doc: Doc, start: int, end: int) -> list[tuple[int, int]]:
    """Token ranges of a span cut where a line break lies inside it: the model sees words only,
    so it can run a span from the title into the abstract."""
    pieces, first = [], start
    for i in range(start, end):
        if doc[i].is_space and "\n" in doc[i].text:
            if i > first:
                pieces.append((first, i))
            first = i + 1
    if end > first:
        pieces.append((first, end))
    return [(a, b) for a, b in pieces if any(ch.isalnum() for ch in doc[a:b].text)]
