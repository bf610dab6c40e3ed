"""The local engine: records in, rows and error rows out, in batches, on one machine.

A batch that fails in the pipeline is re-run one document at a time, so one bad document
becomes one error row and the others still give their rows. Every record read ends as rows,
as "read, no finding", or as an error row; `Summary` counts each.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Optional, Union

from spacy.language import Language

from ..pipeline import make_doc, model_version
from ..records import ReadError, Record
from ..table import rows as table_rows


@dataclass
class Summary:
    read: int = 0
    with_findings: int = 0
    no_finding: int = 0
    errors: int = 0
    rows: int = 0
    seconds: float = 0.0
    no_finding_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("read", "with_findings", "no_finding", "errors", "rows", "seconds")}

    @property
    def balanced(self) -> bool:
        return self.read == self.with_findings + self.no_finding + self.errors


# What run() yields: ("row", row), ("error", error row), ("doc", doc_id, n_rows) once per record read.
Event = tuple


def _process(nlp: Language, batch: list[Record], version: str,
             on_doc: Optional[Callable[[Any], None]] = None) -> Iterator[Event]:
    try:
        docs = list(nlp.pipe((make_doc(nlp, r) for r in batch), batch_size=len(batch)))
        results = [(r, doc, None) for r, doc in zip(batch, docs)]
    except Exception:  # isolate the document that broke the batch
        results = []
        for record in batch:
            try:
                results.append((record, nlp(make_doc(nlp, record)), None))
            except Exception as exc:  # noqa: BLE001 - reported as an error row, never raised
                results.append((record, None, f"pipeline failed: {type(exc).__name__}: {exc}"))
    for record, doc, error in results:
        if error is None:
            try:
                rows = list(table_rows(doc, version))
                if on_doc is not None:  # e.g. a BioC or PubTator writer that needs the whole Doc
                    on_doc(doc)
            except Exception as exc:  # noqa: BLE001 - a bad relation is one error row
                error = f"building rows failed: {type(exc).__name__}: {exc}"
        if error is not None:
            yield ("error", {"doc_id": record.id, "error": error})
            continue
        for row in rows:
            yield ("row", row)
        yield ("doc", record.id, len(rows))


def run(nlp: Language, items: Iterable[Union[Record, ReadError]], batch_size: int = 64,
        summary: Summary | None = None, on_doc: Optional[Callable[[Any], None]] = None) -> Iterator[Event]:
    """Process records in batches; count every record in `summary`. `on_doc(doc)` is called
    once per processed Doc, before its rows are yielded."""
    summary = summary if summary is not None else Summary()
    version = model_version(nlp)
    start = time.perf_counter()
    batch: list[Record] = []

    def flush():
        for event in _process(nlp, batch, version, on_doc):
            if event[0] == "row":
                summary.rows += 1
            elif event[0] == "error":
                summary.errors += 1
            elif event[2]:
                summary.with_findings += 1
            else:
                summary.no_finding += 1
                summary.no_finding_ids.append(event[1])
            yield event
        batch.clear()
        summary.seconds = round(time.perf_counter() - start, 3)

    for item in items:
        summary.read += 1
        if isinstance(item, ReadError):
            summary.errors += 1
            yield ("error", item.row())
            continue
        batch.append(item)
        if len(batch) >= batch_size:
            yield from flush()
    if batch:
        yield from flush()
    summary.seconds = round(time.perf_counter() - start, 3)
