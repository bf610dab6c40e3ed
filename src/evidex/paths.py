"""Where evidex finds public corpora: `--data-dir`, else $EVIDEX_DATA, else ../shared/corpora."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

ENV_VAR = "EVIDEX_DATA"
REPO_ROOT = Path(__file__).resolve().parents[2]


def data_dir(option: Optional[str | os.PathLike] = None) -> Optional[Path]:
    """The corpus folder, or None when none is configured and the default is absent."""
    if option:
        return Path(option)
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    default = REPO_ROOT.parent / "shared" / "corpora"
    return default if default.is_dir() else None


MODELS_DIR = REPO_ROOT / "models"
# our own annotated corpus ships in the repository, not in the data directory
T1D_CORPUS = REPO_ROOT / "corpora" / "t1d_cell_therapy" / "t1d_cell_therapy.jsonl"


def model_path(name: str | os.PathLike) -> Path:
    """A model folder: a path as given (absolute or from the working folder), else a name
    under the repository's models/ folder."""
    path = Path(name)
    if path.is_dir():
        return path
    shipped = MODELS_DIR / path
    if shipped.is_dir():
        return shipped
    raise FileNotFoundError(f"no model folder {str(name)!r} (looked in the working folder and in {MODELS_DIR})")
