"""Table writers: CSV, TSV, JSONL and Parquet. They know formats, not columns."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from .schema import FLOAT_COLUMNS, INT_COLUMNS

FORMATS = ("csv", "tsv", "jsonl", "parquet")


def format_for(path: Path, fmt: Optional[str] = None) -> str:
    """The format named, or the one the file suffix says (default csv)."""
    if fmt:
        if fmt not in FORMATS:
            raise ValueError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")
        return fmt
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else "csv"


def _arrow_type(column: str) -> pa.DataType:
    if column in INT_COLUMNS:
        return pa.int64()
    if column in FLOAT_COLUMNS:
        return pa.float64()
    return pa.string()


class TableWriter:
    """Streams rows with fixed columns to one file; use as a context manager."""

    def __init__(self, path: Path, columns: Sequence[str], fmt: Optional[str] = None, batch_rows: int = 5000):
        self.path = Path(path)
        self.columns = tuple(columns)
        self.fmt = format_for(self.path, fmt)
        self.batch_rows = batch_rows
        self.count = 0
        self._fh = None
        self._csv = None
        self._pq: Optional[pq.ParquetWriter] = None
        self._pending: list[dict[str, Any]] = []
        self._schema = pa.schema([(c, _arrow_type(c)) for c in self.columns])

    def __enter__(self) -> "TableWriter":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.fmt in ("csv", "tsv"):
            self._fh = open(self.path, "w", encoding="utf-8", newline="")
            self._csv = csv.DictWriter(self._fh, fieldnames=self.columns, delimiter="," if self.fmt == "csv" else "\t",
                                       extrasaction="raise")
            self._csv.writeheader()
        elif self.fmt == "jsonl":
            self._fh = open(self.path, "w", encoding="utf-8")
        else:
            self._pq = pq.ParquetWriter(self.path, self._schema)
        return self

    def write(self, row: dict[str, Any]) -> None:
        self.count += 1
        if self.fmt in ("csv", "tsv"):
            self._csv.writerow({c: ("" if row.get(c) is None else row.get(c)) for c in self.columns})
        elif self.fmt == "jsonl":
            self._fh.write(json.dumps({c: row.get(c) for c in self.columns}, ensure_ascii=False) + "\n")
        else:
            self._pending.append(row)
            if len(self._pending) >= self.batch_rows:
                self._flush()

    def write_all(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.write(row)

    def _flush(self) -> None:
        if self._pending:
            arrays = {c: [r.get(c) if r.get(c) != "" or c not in INT_COLUMNS + FLOAT_COLUMNS else None
                          for r in self._pending] for c in self.columns}
            self._pq.write_table(pa.table(arrays, schema=self._schema))
            self._pending = []

    def __exit__(self, *exc) -> None:
        if self._pq is not None:
            self._flush()
            self._pq.close()
        if self._fh is not None:
            self._fh.close()


def write_table(path: Path, rows: Iterable[dict[str, Any]], columns: Sequence[str], fmt: Optional[str] = None) -> int:
    with TableWriter(path, columns, fmt) as writer:
        writer.write_all(rows)
        return writer.count
