"""The local engine: records in, rows and error rows out, in batches, on one machine.

With `workers=0` everything runs in this process. With `workers=N` each of N worker processes
runs the whole pipeline over chunks of a batch, working ahead on the next chunks. With the
models on a GPU (or `serve=True`) the workers hold no weights: their model components send each
forward pass to a `nn.serving.ModelServer` in this process, which merges what all workers sent
meanwhile into one pass per model, so the GPU sees large batches while the Python work around
it (tokenising, rules, windows, decoding, relation candidates) runs on every core. With the
models on the CPU each worker runs its own copy with one torch thread: on 2 cores two such
processes do more than one process with two threads (small matrices use two threads poorly).
`serve=False` with the models on a GPU keeps the older split: the stages before the tagger in
the workers, the models and everything after them here. Either way each batch runs in a spaCy memory zone, so the string store does not
grow with the corpus.

A batch that fails in the pipeline is re-run one document at a time, so one bad document
becomes one error row and the others still give their rows. Every item read ends as rows and
one ("doc", ...) event, or as one ("error", ...) event, in input order; `Summary` counts each.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Optional, Union

from spacy.language import Language

from ..pipeline import make_doc, model_version
from ..records import ReadError, Record
from ..table import rows as table_rows
from .memory import release
from .stages import Split, config_text, core_on_gpu, split

Item = Union[Record, ReadError]


@dataclass
class Summary:
    read: int = 0
    with_findings: int = 0
    no_finding: int = 0
    errors: int = 0
    rows: int = 0
    seconds: float = 0.0
    no_finding_ids: list[str] = field(default_factory=list)
    keep_ids: bool = True  # False for corpus-sized runs: the ids then live in the output's records table

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("read", "with_findings", "no_finding", "errors", "rows", "seconds")}

    @property
    def balanced(self) -> bool:
        return self.read == self.with_findings + self.no_finding + self.errors


# What run() yields: ("row", row), ("error", error row), ("doc", doc_id, n_rows) once per record read.
Event = tuple

# records per chunk sent to a worker: enough to amortise the hand-over, small enough to spread
MAX_CHUNK = 64


def _full(nlp: Language, records: list[Record]) -> list[tuple[Any, Optional[str]]]:
    """(doc, None) or (None, reason) per record, the whole pipeline in this process."""
    try:
        return [(doc, None) for doc in nlp.pipe((make_doc(nlp, r) for r in records), batch_size=len(records))]
    except Exception:  # isolate the document that broke the batch
        return [_one(nlp, r) for r in records]


def _one(nlp: Language, record: Record) -> tuple[Any, Optional[str]]:
    try:
        return nlp(make_doc(nlp, record)), None
    except Exception as exc:  # noqa: BLE001 - reported as an error row, never raised
        return None, f"pipeline failed: {type(exc).__name__}: {exc}"


def _from_core(nlp: Language, parts: Split, records: list[Record], docs: list, failed: dict[int, str]
               ) -> list[tuple[Any, Optional[str]]]:
    """Finish Docs the workers prepared: the core and later components, over the whole batch."""
    kept = [r for i, r in enumerate(records) if i not in failed]
    try:
        if parts.has_core and docs:
            docs = list(nlp.pipe(docs, disable=list(parts.before_core), batch_size=len(docs)))
        done = iter([(doc, None) for doc in docs])
    except Exception:  # isolate the document that broke the batch, from a fresh Doc
        done = iter([_one(nlp, r) for r in kept])
    return [(None, failed[i]) if i in failed else next(done) for i in range(len(records))]


def _events(batch: list[Item], results: list[tuple[Any, Optional[str]]], version: str,
            on_doc: Optional[Callable[[Any], None]]) -> Iterator[Event]:
    done = iter(results)
    for item in batch:
        if isinstance(item, ReadError):
            yield ("error", item.row())
            continue
        doc, error = next(done)
        if error is None:
            try:
                rows = list(table_rows(doc, version))
                if on_doc is not None:  # e.g. a BioC or PubTator writer that needs the whole Doc
                    on_doc(doc)
            except Exception as exc:  # noqa: BLE001 - a bad relation is one error row
                error = f"building rows failed: {type(exc).__name__}: {exc}"
        if error is not None:
            yield ("error", {"doc_id": item.id, "error": error})
            continue
        yield from (("row", row) for row in rows)
        yield ("doc", item.id, len(rows))


def _batches(items: Iterable[Item], batch_size: int) -> Iterator[list[Item]]:
    """Items in order, cut so each batch holds `batch_size` records (read errors ride along)."""
    batch: list[Item] = []
    records = 0
    for item in items:
        batch.append(item)
        if isinstance(item, Record):
            records += 1
            if records >= batch_size:
                yield batch
                batch, records = [], 0
    if batch:
        yield batch


def tally(summary: Summary, event: Event) -> None:
    """Count one event in `summary`."""
    if event[0] == "row":
        summary.rows += 1
        return
    summary.read += 1
    if event[0] == "error":
        summary.errors += 1
    elif event[2]:
        summary.with_findings += 1
    else:
        summary.no_finding += 1
        if summary.keep_ids:
            summary.no_finding_ids.append(event[1])


def run(nlp: Language, items: Iterable[Item], batch_size: int = 64, summary: Summary | None = None,
        on_doc: Optional[Callable[[Any], None]] = None, workers: int = 0,
        serve: Optional[bool] = None) -> Iterator[Event]:
    """Process records in batches; count every record in `summary`. `on_doc(doc)` is called
    once per processed Doc, before its rows are yielded; the Doc is valid only during the call.
    `workers`: processes for the CPU stages (0: all in this process). `serve`: the workers run
    the whole pipeline and send only their forward passes to this process's models (default:
    when the models are on a GPU)."""
    summary = summary if summary is not None else Summary()
    version = model_version(nlp)
    start = time.perf_counter()

    def counted(events: Iterator[Event]) -> Iterator[Event]:
        for event in events:
            tally(summary, event)
            summary.seconds = round(time.perf_counter() - start, 3)
            yield event

    if workers <= 0:
        for batch in _batches(items, batch_size):
            with nlp.memory_zone():
                records = [r for r in batch if isinstance(r, Record)]
                yield from counted(_events(batch, _full(nlp, records) if records else [], version, on_doc))
            release(nlp)
    else:
        yield from counted(_run_with_workers(nlp, items, batch_size, on_doc, workers, version, serve))
    summary.seconds = round(time.perf_counter() - start, 3)


def _run_with_workers(nlp: Language, items: Iterable[Item], batch_size: int,
                      on_doc: Optional[Callable[[Any], None]], workers: int, version: str,
                      serve: Optional[bool] = None) -> Iterator[Event]:
    from contextlib import nullcontext

    from ..nn.serving import ModelServer, queues, served_models
    from .docbytes import unpack
    from .workers import StagePool

    parts = split(nlp)
    models = served_models(nlp)
    serve = bool(models) and (core_on_gpu(nlp) if serve is None else serve)
    if parts.has_core and (serve or not core_on_gpu(nlp)):
        parts = Split(parts.before_core + parts.from_core, ())
    chunk = max(1, min(MAX_CHUNK, math.ceil(batch_size / workers)))
    per_batch = math.ceil(batch_size / chunk)

    def chunks() -> Iterator[tuple[Any, list[Record]]]:
        for batch in _batches(items, batch_size):
            records = [r for r in batch if isinstance(r, Record)]
            pieces = [records[i:i + chunk] for i in range(0, len(records), chunk)] or [[]]
            for k, piece in enumerate(pieces):
                yield (batch if k == len(pieces) - 1 else None), piece

    # at least one whole batch ahead, so the workers prepare the next batch while this one runs
    # the server outlives the pool: workers finishing their last chunks still get answers
    serving = queues(workers) if serve else None
    with (ModelServer(models, serving[0], serving[1]) if serve else nullcontext()), \
            StagePool(config_text(nlp), parts.from_core, workers, in_flight=2 * max(workers, per_batch),
                      serving=serving) as pool:
        prepared: list[tuple[bytes, dict[int, str]]] = []  # the chunks of the batch being assembled
        for batch, data, errors in pool.map(chunks()):
            prepared.append((data, errors))
            if batch is None:
                continue
            records = [r for r in batch if isinstance(r, Record)]
            with nlp.memory_zone():
                docs, failed, offset = [], {}, 0
                for piece_data, piece_errors in prepared:
                    if piece_data:
                        docs.extend(unpack(piece_data, nlp.vocab))
                    failed.update({offset + i: e for i, e in piece_errors.items()})
                    offset += min(chunk, len(records) - offset)
                prepared = []
                yield from _events(batch, _from_core(nlp, parts, records, docs, failed) if records else [],
                                   version, on_doc)
            release(nlp)
