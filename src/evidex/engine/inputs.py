"""The input of a run as a list of sources, and its items with a cursor each, so that a rerun
can start where a finished shard ended without reading the files before it again.

A cursor is (source index, item index within that source). The order is the readers' order,
which is fixed for fixed inputs; the fingerprint (paths and sizes) says whether they are.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Optional, Union

from ..readers import files, read_file
from ..records import ReadError, Record

Item = Union[Record, ReadError]
Cursor = tuple[int, int]


@dataclass(frozen=True)
class Source:
    path: str
    size: Optional[int] = None      # None for a source that is an error (missing input, unknown type)
    error: Optional[ReadError] = None


def sources(paths: Iterable[Union[str, os.PathLike]], fmt: str = "auto") -> list[Source]:
    found = []
    for entry in files(list(paths), fmt):
        if isinstance(entry, ReadError):
            found.append(Source(entry.id, None, entry))
        else:
            found.append(Source(str(entry), entry.stat().st_size))
    return found


def fingerprint(found: list[Source]) -> list[list]:
    """What a resumed run must find again: each source's path and size."""
    return [[s.path, s.size] for s in found]


def stream(found: list[Source], fmt: str = "auto", start: Cursor = (0, 0)) -> Iterator[tuple[Cursor, Item]]:
    """(cursor, item) from `start` on; sources before it are not opened."""
    first, skip = start
    for index in range(first, len(found)):
        source = found[index]
        items = iter([source.error]) if source.error is not None else read_file(Path(source.path), fmt)
        for position, item in enumerate(items):
            if index == first and position < skip:
                continue
            yield (index, position), item
