"""Builds the evidex spaCy pipeline from its config: `evidex.load()`."""

from __future__ import annotations

import os
import warnings
from importlib import resources
from pathlib import Path
from typing import Any, Optional, Union

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from thinc.api import Config

from . import extensions  # noqa: F401  (registers Doc/Span extensions)
from .components import (  # noqa: F401  (registers the factories)
    design, entities, linker, numbers, relations, sentences, tagger, tokenizer, vocabulary,
)
from .records import Record

import scispacy.abbreviation  # noqa: F401,E402  (registers "abbreviation_detector")

__version__ = "0.1.0"

# scispaCy's abbreviation detector runs an empty matcher on abstracts without abbreviations
warnings.filterwarnings("ignore", message=r"\[W036\]")


def default_config_path() -> Path:
    with resources.as_file(resources.files("evidex") / "data" / "pipeline.cfg") as path:
        return Path(path)


def load(config: Union[str, os.PathLike, None] = None, overrides: Optional[dict[str, Any]] = None) -> Language:
    """The evidex pipeline as a spaCy `Language`, built from `config` (default: the packaged one)."""
    cfg = Config().from_disk(config or default_config_path(), overrides=overrides or {})
    nlp = spacy.util.load_model_from_config(cfg, auto_fill=True, validate=True)
    nlp.meta["name"] = "evidex"
    nlp.meta["version"] = __version__
    return nlp


def model_version(nlp: Language) -> str:
    """What the table's `model_version` column says: package version and which models ran."""
    parts = [f"evidex-{__version__}"]
    parts.append(nlp.get_pipe("tagger").version if "tagger" in nlp.pipe_names else "vocabulary")
    parts.append(nlp.get_pipe("relations").version if "relations" in nlp.pipe_names else "relations:none")
    return "+".join(parts)


def make_doc(nlp: Language, record: Record) -> Doc:
    """A tokenised Doc for a record, with the record (id, title, meta) in `doc._.record`."""
    doc = nlp.make_doc(record.text)
    doc._.record = {"id": record.id, "title": record.title, "meta": record.meta}
    return doc

