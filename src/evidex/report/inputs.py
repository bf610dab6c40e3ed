"""Evidence tables in, for the report: any of evidex's table formats, or folders of shards.

A table `OUT.ext` may have its sidecars beside it (`OUT.errors.ext`, `OUT.summary.json`, as
`evidex extract` writes them). A folder that `evidex extract -o FOLDER` wrote is read as such
(`evidence/` shards, `errors/` shards, `summary.json`); any other folder is read whole: every
table file in it, its `*.errors.*` tables and `*.summary.json` files. The sidecars give the provenance: how many
records were read and failed, how long it took, which models ran.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Union

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..schema import COLUMNS, DIRECTIONS, FLOAT_COLUMNS, INT_COLUMNS

TABLE_FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".parquet": "parquet"}


@dataclass
class Source:
    path: str
    format: str
    rows: int


@dataclass
class Tables:
    """All rows of the inputs, column by column, and what their sidecars said."""

    columns: dict[str, list[Any]]
    sources: list[Source]
    error_rows: int = 0
    error_files: list[str] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.columns["doc_id"])


def _format(path: Path) -> str | None:
    name = path.name.lower().removesuffix(".gz")
    return TABLE_FORMATS.get(os.path.splitext(name)[1])


def _is_sidecar(path: Path) -> bool:
    name = path.name.lower()
    return ".errors." in name or name.endswith(".summary.json")


def _read_arrow(path: Path, fmt: str) -> pa.Table:
    if fmt == "parquet":
        return pq.read_table(path)
    if fmt in ("csv", "tsv"):
        delimiter = "," if fmt == "csv" else "\t"
        with (gzip.open if path.name.lower().endswith(".gz") else open)(path, "rb") as fh:
            header = fh.readline().decode("utf-8-sig")
        names = next(csv.reader([header], delimiter=delimiter), [])
        # every column a string: "0.5" stays as written, an empty cell stays ""
        return pacsv.read_csv(
            path, parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False))
    rows = []
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{lineno}: not JSON ({exc})") from None
    names = list(dict.fromkeys(k for row in rows for k in row)) or list(COLUMNS)
    return pa.table({n: [None if r.get(n) is None else str(r.get(n)) for r in rows] for n in names})


def _values(column: pa.ChunkedArray, name: str) -> list[Any]:
    if name in INT_COLUMNS or name in FLOAT_COLUMNS:
        return column.to_pylist()  # keeps nulls as None (numpy would make them NaN)
    return column.to_numpy(zero_copy_only=False).tolist()  # twice as fast as to_pylist for strings


def _clean(column: str, values: list[Any], path: Path) -> list[Any]:
    if column in FLOAT_COLUMNS:
        try:
            return [float(v) if v not in (None, "") else 0.0 for v in values]
        except ValueError:
            raise ValueError(f"{path}: column {column!r} holds a value that is not a number") from None
    if column in INT_COLUMNS:
        try:
            return [int(float(v)) if v not in (None, "") else 0 for v in values]
        except ValueError:
            raise ValueError(f"{path}: column {column!r} holds a value that is not an integer") from None
    return ["" if v is None else str(v) for v in values]


def read_table(path: Path) -> tuple[dict[str, list[Any]], str]:
    """The columns of one evidence table; ValueError if it is not one."""
    fmt = _format(path)
    if fmt is None:
        raise ValueError(f"{path}: not an evidence table (expected {', '.join(TABLE_FORMATS)}, optionally .gz)")
    try:
        table = _read_arrow(path, fmt)
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read as {fmt}: {exc}") from None
    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        raise ValueError(f"{path}: not an evidex evidence table; missing columns: {', '.join(missing)}")
    wanted = [c for c in COLUMNS if c != "population"] + (["year"] if "year" in table.column_names else [])
    columns = {c: _clean(c, _values(table.column(c), c), path) for c in wanted}
    for i, direction in enumerate(columns["direction"]):
        if direction not in DIRECTIONS:
            raise ValueError(f"{path}: row {i + 1}: direction {direction!r} is not one of {', '.join(DIRECTIONS)}")
    return columns, fmt


def _sidecars(path: Path) -> tuple[list[Path], list[Path]]:
    name = path.name
    gz = ".gz" if name.lower().endswith(".gz") else ""
    stem, suffix = os.path.splitext(name[:len(name) - len(gz)])
    errors = path.with_name(f"{stem}.errors{suffix}{gz}")
    summary = path.with_name(f"{stem}.summary.json")
    return [errors] if errors.is_file() else [], [summary] if summary.is_file() else []


def _count_rows(path: Path) -> int:
    fmt = _format(path)
    if fmt == "parquet":
        return pq.ParquetFile(path).metadata.num_rows
    if fmt is None:
        return 0
    return _read_arrow(path, fmt).num_rows


def summary_counts(summary: dict[str, Any]) -> dict[str, Any]:
    """The counts of a `.summary.json` beside a table, or of a shard folder's `summary.json`
    (whose totals cover every run into the folder, and whose seconds are the latest run's)."""
    if isinstance(summary.get("total"), dict):
        total = summary["total"]
        counts = {"read": total.get("records"), **{k: total.get(k) for k in ("with_findings", "no_finding", "errors", "rows")}}
        counts["seconds"] = (summary.get("this_run") or {}).get("seconds")
    else:
        counts = {k: summary.get(k) for k in ("read", "with_findings", "no_finding", "errors", "rows", "seconds")}
    counts = {k: v for k, v in counts.items() if isinstance(v, (int, float))}
    if summary.get("model_version"):
        counts["model_version"] = summary["model_version"]
    return counts


def load(paths: Iterable[Union[str, os.PathLike]]) -> Tables:
    """Every row of every table named (files, or folders of them), with their sidecars."""
    tables: list[tuple[Path, list[Path], list[Path]]] = []
    for path in map(Path, paths):
        if path.is_dir() and (path / "evidence").is_dir():
            # `evidex extract -o FOLDER`: evidence/, errors/ and records/ shards, one summary.json
            found = sorted(p for p in (path / "evidence").rglob("*") if p.is_file() and _format(p))
            if not found:
                raise ValueError(f"{path / 'evidence'}: no evidence shards yet")
            errors = sorted(p for p in (path / "errors").rglob("*") if p.is_file() and _format(p))
            summary = path / "summary.json"
            tables.append((found[0], errors, [summary] if summary.is_file() else []))
            tables += [(f, [], []) for f in found[1:]]
        elif path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file())
            found = [p for p in files if _format(p) and not _is_sidecar(p)]
            if not found:
                raise ValueError(f"{path}: folder holds no evidence table ({', '.join(TABLE_FORMATS)})")
            errors = [p for p in files if _format(p) and ".errors." in p.name.lower()]
            summaries = [p for p in files if p.name.lower().endswith(".summary.json")]
            tables.append((found[0], errors, summaries))  # a folder's sidecars go with its first table
            tables += [(f, [], []) for f in found[1:]]
        elif path.is_file():
            tables.append((path, *_sidecars(path)))
        else:
            raise ValueError(f"{path}: no such file or folder")
    columns: dict[str, list[Any]] = {c: [] for c in COLUMNS if c != "population"}
    result = Tables(columns, [])
    with_year = False
    for path, errors, summaries in tables:
        cols, fmt = read_table(path)
        n = len(cols["doc_id"])
        if "year" in cols and not with_year:
            with_year = True
            columns["year"] = [""] * len(columns["doc_id"])
        for c in columns:
            columns[c] += cols.get(c, [""] * n)
        result.sources.append(Source(str(path), fmt, n))
        for e in errors:
            result.error_rows += _count_rows(e)
            result.error_files.append(str(e))
        for s in summaries:
            try:
                result.summaries.append(summary_counts(json.loads(s.read_text(encoding="utf-8"))))
            except (OSError, json.JSONDecodeError, AttributeError) as exc:
                raise ValueError(f"{s}: unreadable summary ({exc})") from None
    return result
