"""Small helpers shared by readers: opening plain or gzip files, strict decoding."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import IO


def open_binary(path: Path) -> IO[bytes]:
    """Open a file for reading bytes, decompressing `.gz` transparently."""
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def decode(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM); raises UnicodeDecodeError on bad bytes."""
    return data.decode("utf-8-sig")


def undecodable(value: str) -> bool:
    """True when text read with errors='surrogateescape' carried bytes that are not UTF-8."""
    return any("\udc80" <= ch <= "\udcff" for ch in value)
