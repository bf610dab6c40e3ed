"""CSV and TSV with a header row: `id`, `title`, `abstract` (or `text`); extra columns kept in meta."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Iterator, Union

from ..records import ReadError, Record
from ._io import open_binary, undecodable
from .jsonl import record_from_mapping

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # abstracts can exceed the 128 kB default


def _read(path: Path, delimiter: str) -> Iterator[Union[Record, ReadError]]:
    with open_binary(path) as raw:
        # surrogateescape keeps going past bad bytes so one bad row does not end the file
        fh = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
        reader = csv.DictReader(fh, delimiter=delimiter)
        fields = [f.strip().lower() for f in (reader.fieldnames or [])]
        if "abstract" not in fields and "text" not in fields:
            yield ReadError(str(path), f"no 'abstract' (or 'text') column in header {reader.fieldnames}")
            return
        reader.fieldnames = fields
        try:
            for rowno, row in enumerate(reader, start=1):
                fallback = f"{path.name}:{rowno}"
                if None in row:  # more cells than header fields
                    yield ReadError(row.get("id") or fallback, f"row {rowno} has more cells than the header")
                    continue
                values = {k: v for k, v in row.items() if v is not None}
                if any(undecodable(v) for v in values.values()):
                    yield ReadError(row.get("id") or fallback, f"undecodable bytes (not UTF-8) in row {rowno}")
                    continue
                yield record_from_mapping(values, fallback, str(path), rowno)
        except csv.Error as exc:
            yield ReadError(f"{path.name}:{reader.line_num}", f"malformed CSV: {exc}")


def read_csv(path: Path) -> Iterator[Union[Record, ReadError]]:
    return _read(path, ",")


def read_tsv(path: Path) -> Iterator[Union[Record, ReadError]]:
    return _read(path, "\t")
