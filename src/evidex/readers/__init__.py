"""Readers: one module per input format. `read(path)` picks one by the file name."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator, Union

from ..records import ReadError, Record
from . import delimited, jsonl, pubmed, text

Item = Union[Record, ReadError]

# suffix (after dropping .gz) -> reader
_READERS = {
    ".txt": text.read,
    ".jsonl": jsonl.read,
    ".json": jsonl.read,
    ".ndjson": jsonl.read,
    ".csv": delimited.read_csv,
    ".tsv": delimited.read_tsv,
    ".xml": pubmed.read,
}

FORMATS = ("auto", "text", "jsonl", "csv", "tsv", "pubmed")
_BY_NAME = {"text": text.read, "jsonl": jsonl.read, "csv": delimited.read_csv,
            "tsv": delimited.read_tsv, "pubmed": pubmed.read}


def format_of(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    suffix = os.path.splitext(name)[1]
    reader = _READERS.get(suffix)
    return next((k for k, v in _BY_NAME.items() if v is reader), None)


def files(paths: Union[str, os.PathLike, Iterable[Union[str, os.PathLike]]], fmt: str = "auto") -> Iterator[Union[Path, ReadError]]:
    """The files `read` reads, in its order (folders walked sorted, files of unknown type in a
    folder skipped), and a ReadError for an input that is missing or a named file of unknown type."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    for path in map(Path, paths):
        if not path.exists():
            yield ReadError(str(path), "input not found")
            continue
        found = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in found:
            if fmt == "auto" and format_of(file) is None:
                if not path.is_dir():  # a named file of unknown type is an error; in a folder, skip it
                    yield ReadError(str(file), f"unknown input format (suffix {file.suffix!r})")
                continue
            yield file


def read_file(file: Path, fmt: str = "auto") -> Iterator[Item]:
    """Records (and ReadErrors) of one file, in the format named or the one its suffix says."""
    name = format_of(file) if fmt == "auto" else fmt
    if name not in _BY_NAME:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    try:
        yield from _BY_NAME[name](file)
    except OSError as exc:  # unreadable file, broken gzip stream...
        yield ReadError(str(file), f"cannot read file: {exc}")


def read(paths: Union[str, os.PathLike, Iterable[Union[str, os.PathLike]]], fmt: str = "auto") -> Iterator[Item]:
    """Yield a Record (or a ReadError) for every abstract in the given files or folders.

    Folders are walked in sorted order and every file with a known suffix is read
    (`.txt`, `.jsonl`, `.csv`, `.tsv`, `.xml`, each optionally `.gz`).
    """
    for entry in files(paths, fmt):
        if isinstance(entry, ReadError):
            yield entry
        else:
            yield from read_file(entry, fmt)
