"""Where the pipeline splits: the CPU stages before the transformer core, and the core onwards.

The engine runs the components before the core in worker processes (parsing, tokenising and
rules parallelise across cores) and the core and what follows it in the process that holds
the model, over large batches. Both halves are built from the same config: one pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import spacy
from spacy.language import Language
from thinc.api import Config

# factories whose component is the transformer core
CORE_FACTORIES = ("evidex_tagger",)


@dataclass(frozen=True)
class Split:
    before_core: tuple[str, ...]  # run in the CPU workers
    from_core: tuple[str, ...]    # run where the model is

    @property
    def has_core(self) -> bool:
        return bool(self.from_core)


def split(nlp: Language) -> Split:
    """Split `nlp` at its first core component; a pipeline without one is all CPU stages."""
    names = nlp.pipe_names
    factories = [nlp.get_pipe_meta(name).factory for name in names]
    at = next((i for i, f in enumerate(factories) if f in CORE_FACTORIES), len(names))
    return Split(tuple(names[:at]), tuple(names[at:]))


def core_on_gpu(nlp: Language) -> bool:
    """Whether the pipeline's transformer core runs on a GPU (else the workers can run it too)."""
    for name in split(nlp).from_core:
        device = getattr(nlp.get_pipe(name), "device", None)
        if device is not None and getattr(device, "type", "cpu") != "cpu":
            return True
    return False


def config_text(nlp: Language) -> str:
    """The pipeline's config, for rebuilding it in another process."""
    return nlp.config.to_str()


def load_from_text(text: str, exclude: Iterable[str] = ()) -> Language:
    """A pipeline from config text; components in `exclude` are not even built (no model load)."""
    from .. import pipeline  # noqa: F401  (registers evidex's factories and extensions)

    return spacy.util.load_model_from_config(Config().from_str(text), auto_fill=True, validate=True,
                                             exclude=list(exclude))
