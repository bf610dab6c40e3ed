"""Worker processes for the CPU stages: records in, tokenised and rule-annotated Docs out (as
DocBin bytes), in input order, with a bounded number of chunks in flight so memory stays flat.

Workers start with "spawn" (a fresh interpreter each): the main process may hold CUDA state
and torch threads, which do not survive a fork. Each worker builds the stages before the
transformer core from the main pipeline's config, so both halves are one pipeline.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Iterable, Iterator, Optional, Sequence

from ..records import Record

# A record as it crosses the process boundary: plain values only.
RecordTuple = tuple  # (id, title, abstract, meta)

_NLP = None  # the worker's pipeline (stages before the core)


def _init(config: str, exclude: Sequence[str], serving: Optional[tuple] = None) -> None:
    global _NLP
    # each worker is one core's worth of work: keep libraries from starting thread pools
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch  # may be imported already (by unpickling this function): tell it directly

    torch.set_num_threads(1)
    _exit_with_parent()
    if serving is not None:  # the models are served by the main process: take a response queue
        from ..nn.serving import connect

        requests, responses, slots = serving
        slot = slots.get()
        connect(requests, responses[slot], slot)
    from .stages import load_from_text

    _NLP = load_from_text(config, exclude)


def _exit_with_parent(every: float = 1.0) -> None:
    """End this worker when the main process is gone: one killed with SIGKILL cannot shut its
    pool down, and a worker would otherwise wait for work forever."""
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, name="evidex-parent-watch", daemon=True).start()


def run_stages(nlp, records: list[Record]) -> tuple[list, dict[int, str]]:
    """Docs for the records that went through `nlp`, and {index: reason} for those that failed.
    A failing batch is re-run one record at a time, so one bad record costs only itself."""
    from ..pipeline import make_doc

    try:
        return list(nlp.pipe((make_doc(nlp, r) for r in records), batch_size=len(records))), {}
    except Exception:  # noqa: BLE001 - isolate the record that broke the batch
        docs, errors = [], {}
        for i, record in enumerate(records):
            try:
                docs.append(nlp(make_doc(nlp, record)))
            except Exception as exc:  # noqa: BLE001 - reported as an error row, never raised
                errors[i] = f"pipeline failed: {type(exc).__name__}: {exc}"
        return docs, errors


def _work(chunk: list[RecordTuple]) -> tuple[bytes, dict[int, str]]:
    from .docbytes import pack

    from .memory import release

    records = [Record(*t) for t in chunk]
    try:
        with _NLP.memory_zone():  # the worker's string store stays the size of one chunk
            docs, errors = run_stages(_NLP, records)
            return pack(docs), errors
    finally:
        release(_NLP)


def default_workers(device: str = "auto") -> int:
    """Worker processes when none are asked for: with the transformer on a GPU, every core but
    the one that feeds it; on the CPU none, since torch's threads already use every core (on
    2 cores, measured: a worker gains nothing and costs its start-up)."""
    import torch

    cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    return max(1, (os.cpu_count() or 1) - 1) if cuda else 0


class StagePool:
    """`workers` processes running the pipeline's stages before the core (all of them when the
    core runs here too). With `serving` (`nn.serving.queues(workers)`) the workers' model
    components send their forward passes to a `ModelServer` in this process."""

    def __init__(self, config: str, exclude: Sequence[str], workers: int, in_flight: Optional[int] = None,
                 serving: Optional[tuple] = None):
        if workers < 1:
            raise ValueError("StagePool needs at least one worker")
        self.workers = workers
        self.in_flight = in_flight or 2 * workers
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init,
                                         initargs=(config, tuple(exclude), serving))

    def map(self, chunks: Iterable[tuple[object, list[Record]]]) -> Iterator[tuple[object, bytes, dict[int, str]]]:
        """(tag, records) -> (tag, DocBin bytes, errors), in order; `tag` rides along untouched."""
        pending: deque[tuple[object, Future]] = deque()
        for tag, records in chunks:
            if records:
                future = self._pool.submit(_work, [(r.id, r.title, r.abstract, r.meta) for r in records])
            else:
                future = None
            pending.append((tag, future))
            while len(pending) > self.in_flight:
                yield self._take(pending)
        while pending:
            yield self._take(pending)

    @staticmethod
    def _take(pending: deque) -> tuple[object, bytes, dict[int, str]]:
        tag, future = pending.popleft()
        if future is None:
            return tag, b"", {}
        data, errors = future.result()
        return tag, data, errors

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "StagePool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
