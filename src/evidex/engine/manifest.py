"""The manifest of a folder output: which shards are complete, what they hold, and what the run
was (inputs, input format, shard size, model version), so a rerun can check it continues the
same job. Written atomically (temporary file, fsync, rename) after each shard is in place."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

NAME = "manifest.json"
FORMAT = 1


class ManifestMismatch(ValueError):
    """The folder holds a different job than the one asked for."""


@dataclass
class Manifest:
    inputs: list[list]
    input_format: str
    shard_size: int
    model_version: str
    format: int = FORMAT
    complete: bool = False
    # shard id (as a string: JSON keys) -> records, rows, errors, with_findings, no_finding, next
    shards: dict[str, dict[str, Any]] = field(default_factory=dict)

    def done(self, shard: int) -> bool:
        return str(shard) in self.shards

    def start(self) -> tuple[int, tuple[int, int]]:
        """The first shard not done, and the input cursor where it begins."""
        first = 0
        while self.done(first):
            first += 1
        if first == 0:
            return 0, (0, 0)
        return first, tuple(self.shards[str(first - 1)]["next"])

    def totals(self) -> dict[str, int]:
        keys = ("records", "with_findings", "no_finding", "errors", "rows")
        return {k: sum(s[k] for s in self.shards.values()) for k in keys}

    def check(self, inputs: list[list], input_format: str, shard_size: int, model_version: Optional[str]) -> None:
        """Raise ManifestMismatch unless this run continues the job the folder holds."""
        if self.format != FORMAT:
            raise ManifestMismatch(f"manifest format {self.format}, this evidex writes {FORMAT}")
        if self.inputs != inputs:
            raise ManifestMismatch("the inputs differ from the ones this folder was started with "
                                   "(paths or sizes changed)")
        if self.input_format != input_format:
            raise ManifestMismatch(f"input format {input_format!r}, the folder was started with {self.input_format!r}")
        if self.shard_size != shard_size:
            raise ManifestMismatch(f"shard size {shard_size}, the folder was started with {self.shard_size}")
        if model_version is not None and self.model_version != model_version:
            raise ManifestMismatch(f"model version {model_version!r}, the folder holds {self.model_version!r}")

    def save(self, folder: Path) -> None:
        write_atomic(Path(folder) / NAME, json.dumps(asdict(self), indent=1) + "\n")

    @classmethod
    def load(cls, folder: Path) -> "Manifest":
        data = json.loads((Path(folder) / NAME).read_text(encoding="utf-8"))
        return cls(**data)


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
