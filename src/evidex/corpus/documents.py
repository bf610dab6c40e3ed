"""Reading the in-domain corpus: its documents, one split at a time, as plain dicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..paths import T1D_CORPUS

SPLITS = ("train", "dev", "test")


def load_documents(split: str, path: Path = T1D_CORPUS, limit: int = 0) -> list[dict[str, Any]]:
    """The corpus documents of one split, in file order (the first `limit` if set)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"in-domain corpus not found at {path} (python scripts/build_t1d_corpus.py)")
    docs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            doc = json.loads(line)
            if doc["split"] == split:
                docs.append(doc)
    return docs[:limit] if limit else docs
