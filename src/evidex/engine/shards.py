"""Shards of a folder output. Shard k holds the input items k*size ... (k+1)*size - 1, as three
Parquet files with the same name:

    evidence/part-0000k.parquet   the evidence table's rows (schema.COLUMNS)
    errors/part-0000k.parquet     error rows (doc_id, error)
    records/part-0000k.parquet    one row per input item: record (its number in the input),
                                  doc_id, input_file, input_index, status, rows

Each file is written under a temporary name and renamed once complete; the manifest lists the
shard only after all three are in place. Files of shards the manifest does not list are
leftovers of an interrupted run and are removed before a run resumes.
"""

from __future__ import annotations

import os
import re
from collections import deque
from pathlib import Path
from typing import Any, Iterable, Optional

import pyarrow as pa
import pyarrow.parquet as pq

from ..schema import COLUMNS, ERROR_COLUMNS
from ..writers import TableWriter
from .inputs import Cursor, Source
from .local import Event, Summary
from .manifest import Manifest

TABLES = ("evidence", "errors", "records")
RECORD_SCHEMA = pa.schema([("record", pa.int64()), ("doc_id", pa.string()), ("input_file", pa.string()),
                           ("input_index", pa.int64()), ("status", pa.string()), ("rows", pa.int64())])
STATUSES = ("findings", "no_finding", "error")
_PART = re.compile(r"^part-(\d{5,})\.parquet$")


def part_name(shard: int) -> str:
    return f"part-{shard:05d}.parquet"


def clean(folder: Path, manifest: Optional[Manifest]) -> list[Path]:
    """Remove temporary files and shard files the manifest does not list; return what went."""
    removed = []
    for table in TABLES:
        sub = folder / table
        if not sub.is_dir():
            continue
        for path in sub.iterdir():
            match = _PART.match(path.name)
            orphan = match is not None and (manifest is None or not manifest.done(int(match.group(1))))
            if orphan or (path.name.startswith(".part-") and path.name.endswith(".tmp")):
                path.unlink()
                removed.append(path)
    return removed


class OpenShard:
    """One shard being written: rows stream to temporary files, committed all at once."""

    def __init__(self, folder: Path, shard: int):
        self.folder, self.shard = folder, shard
        self.paths = {t: folder / t / part_name(shard) for t in TABLES}
        self.tmp = {t: p.with_name(f".{p.name}.tmp") for t, p in self.paths.items()}
        for p in self.tmp.values():
            p.parent.mkdir(parents=True, exist_ok=True)
        self.evidence = TableWriter(self.tmp["evidence"], COLUMNS, "parquet").__enter__()
        self.errors = TableWriter(self.tmp["errors"], ERROR_COLUMNS, "parquet").__enter__()
        self.records: list[dict[str, Any]] = []
        self.counts = {"records": 0, "with_findings": 0, "no_finding": 0, "errors": 0, "rows": 0}

    def record(self, seq: int, cursor: Cursor, source: Source, doc_id: str, status: str, rows: int) -> None:
        self.records.append({"record": seq, "doc_id": doc_id, "input_file": source.path,
                             "input_index": cursor[1], "status": status, "rows": rows})
        self.counts["records"] += 1
        self.counts[{"findings": "with_findings", "no_finding": "no_finding", "error": "errors"}[status]] += 1
        self.counts["rows"] += rows

    def commit(self, manifest: Manifest, next_cursor: Cursor) -> None:
        self.evidence.__exit__(None, None, None)
        self.errors.__exit__(None, None, None)
        pq.write_table(pa.Table.from_pylist(self.records, schema=RECORD_SCHEMA), self.tmp["records"])
        for table in TABLES:
            _fsync(self.tmp[table])
            os.replace(self.tmp[table], self.paths[table])
        manifest.shards[str(self.shard)] = {**self.counts, "next": list(next_cursor)}
        manifest.save(self.folder)

    def abandon(self) -> None:
        for writer in (self.evidence, self.errors):
            try:
                writer.__exit__(None, None, None)
            except Exception:  # noqa: BLE001 - the files are removed either way
                pass
        for p in self.tmp.values():
            p.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


class ShardRecorder:
    """Turns the engine's ordered events into shards. `fed(seq, cursor)` is called for each item
    as it goes into the engine; each item's events end with one ("doc"|"error") event, in order,
    so the oldest fed item is the one the next events belong to."""

    def __init__(self, folder: Path, manifest: Manifest, found: list[Source], summary: Summary,
                 on_progress=None):
        self.folder, self.manifest, self.found, self.summary = Path(folder), manifest, found, summary
        self.size = manifest.shard_size
        self.on_progress = on_progress
        self.pending: deque[tuple[int, Cursor]] = deque()
        self.open: Optional[OpenShard] = None
        self.last: Optional[Cursor] = None  # the cursor after the last item recorded

    def fed(self, seq: int, cursor: Cursor) -> None:
        self.pending.append((seq, cursor))

    def _shard_for(self, seq: int) -> OpenShard:
        shard = seq // self.size
        if self.open is None or self.open.shard != shard:
            if self.open is not None:  # items of a shard are contiguous: the last one closes it
                raise RuntimeError(f"shard {self.open.shard} left open when shard {shard} began")
            self.open = OpenShard(self.folder, shard)
        return self.open

    def event(self, event: Event) -> None:
        seq, cursor = self.pending[0]
        shard = self._shard_for(seq)
        if event[0] == "row":
            shard.evidence.write(event[1])
            return
        self.pending.popleft()
        source = self.found[cursor[0]]
        self.last = (cursor[0], cursor[1] + 1)
        if event[0] == "error":
            shard.errors.write(event[1])
            shard.record(seq, cursor, source, event[1]["doc_id"], "error", 0)
        else:
            shard.record(seq, cursor, source, event[1], "findings" if event[2] else "no_finding", event[2])
        if self.on_progress is not None:
            self.on_progress(self.summary)
        if seq % self.size == self.size - 1:
            self._commit()

    def finish(self) -> None:
        """At the end of the input: commit the open shard (the last one may be short)."""
        if self.pending:
            raise RuntimeError(f"{len(self.pending)} items went into the engine and never came out")
        self._commit()

    def _commit(self) -> None:
        if self.open is not None:
            self.open.commit(self.manifest, self.last)
            self.open = None

    def abandon(self) -> None:
        if self.open is not None:
            self.open.abandon()
            self.open = None

    def feed(self, items: Iterable[tuple[int, Cursor, Any]]):
        """The items for the engine, noting each as fed."""
        for seq, cursor, item in items:
            self.fed(seq, cursor)
            yield item
