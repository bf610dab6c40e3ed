"""Shared by the engine tests: a rules-only pipeline config (no transformer: the tests are about
batching, shards and resume, not about models) and small inputs with awkward cases."""

from __future__ import annotations

import json
from pathlib import Path

from thinc.api import Config

from evidex.pipeline import default_config_path


def rules_only_overrides() -> dict:
    """Every model path of the packaged config set to null: rules and vocabulary only."""
    paths = Config().from_disk(default_config_path(), interpolate=False)["paths"]
    return {f"paths.{name}": None for name in ("tagger", "relations") if name in paths}


def rules_only_config(folder: Path) -> Path:
    path = folder / "rules_only.cfg"
    path.write_text(Config().from_disk(default_config_path(), overrides=rules_only_overrides()).to_str(),
                    encoding="utf-8")
    return path


def awkward_inputs(folder: Path, examples: Path, copies: int = 1) -> list[Path]:
    """The examples (`copies` times, so ids repeat), plus a file with a record without an
    abstract, a record whose id repeats an example's, and a line that is not JSON."""
    folder.mkdir(parents=True, exist_ok=True)
    text = examples.read_text(encoding="utf-8")
    (folder / "a.jsonl").write_text(text * copies, encoding="utf-8")
    (folder / "b.jsonl").write_text(
        json.dumps({"id": "X-1", "title": "no abstract"}) + "\n"
        + json.dumps({"id": "EX-001", "abstract": "HbA1c fell from 8.1% to 6.9% after islet transplantation."}) + "\n"
        + "not json\n", encoding="utf-8")
    return [folder / "a.jsonl", folder / "b.jsonl"]
