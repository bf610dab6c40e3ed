"""Extraction into a folder of Parquet shards with a manifest: resumable, exactly once.

    OUT/manifest.json             the job and its finished shards (see manifest.py)
    OUT/evidence/part-*.parquet   evidence rows       } one file of each per shard
    OUT/errors/part-*.parquet     error rows          } (see shards.py)
    OUT/records/part-*.parquet    one row per input item, with its status
    OUT/summary.json              counts over the whole folder, and for the latest run

Running the same job again into the same folder resumes: finished shards are kept, files of
unfinished ones are removed, and reading starts where the last finished shard ended. Every
input item ends in exactly one finished shard, as evidence rows or as one error row, and in
that shard's records table.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional, Union

from spacy.language import Language

from .inputs import Cursor, Item, Source, fingerprint, sources, stream
from .local import Summary, run, tally
from .manifest import NAME, Manifest, write_atomic
from .shards import TABLES, ShardRecorder, clean

SUMMARY = "summary.json"
DEFAULT_SHARD_SIZE = 10_000


class FolderError(ValueError):
    """The output folder cannot take this job (not an evidex folder, another job's folder...)."""


def is_folder_output(path: Path, fmt: Optional[str] = None) -> bool:
    """A path without a suffix (that is not an existing file) names a folder output; with a
    suffix it names one table file, as ever."""
    path = Path(path)
    return path.suffix == "" and not path.is_file() and fmt in (None, "parquet")


def prepare(folder: Path, overwrite: bool) -> Optional[Manifest]:
    """Check (and with `overwrite`, clear) the folder; the manifest to resume from, if any."""
    if folder.exists() and not folder.is_dir():
        raise FolderError(f"{folder} is a file; a folder output needs a folder")
    has_manifest = (folder / NAME).is_file()
    ours = {NAME, SUMMARY, *TABLES}
    if folder.is_dir() and not has_manifest and any(p.name not in ours for p in folder.iterdir()):
        raise FolderError(f"{folder} holds other files and no {NAME}: not an evidex output folder; "
                          "choose a new or empty folder")
    if overwrite:
        clean(folder, None)
        for name in (NAME, SUMMARY):
            (folder / name).unlink(missing_ok=True)
        for table in TABLES:
            sub = folder / table
            if sub.is_dir() and not any(sub.iterdir()):
                sub.rmdir()
        return None
    return Manifest.load(folder) if has_manifest else None


def _numbered(found: list[Source], fmt: str, manifest: Manifest) -> Iterator[tuple[int, Cursor, Item]]:
    """(record number, cursor, item) for every item in a shard not yet done."""
    first, cursor = manifest.start()
    seq = first * manifest.shard_size
    for cur, item in stream(found, fmt, cursor):
        if not manifest.done(seq // manifest.shard_size):
            yield seq, cur, item
        seq += 1


def extract_to_folder(inputs: Iterable[Union[str, os.PathLike]], folder: Union[str, os.PathLike], *,
                      nlp: Optional[Language] = None, config: Optional[str] = None, input_format: str = "auto",
                      engine: str = "local", workers: int = 0, batch_size: int = 64,
                      shard_size: int = DEFAULT_SHARD_SIZE, overwrite: bool = False,
                      on_doc: Optional[Callable[[Any], None]] = None,
                      on_progress: Optional[Callable[[Summary], None]] = None,
                      ray_options: Optional[dict[str, Any]] = None, serve: Optional[bool] = None) -> dict[str, Any]:
    """Run the pipeline (`nlp`, or the config text `config` for Ray) over `inputs` into `folder`;
    resume when the folder holds this job. Returns the report also written to summary.json."""
    from ..pipeline import model_version

    folder = Path(folder)
    if engine not in ("local", "ray"):
        raise ValueError(f"unknown engine {engine!r}; choose local or ray")
    if shard_size < 1:
        raise ValueError("shard_size must be at least 1")
    if engine == "local" and nlp is None:
        raise ValueError("the local engine needs nlp")
    if engine == "ray" and on_doc is not None:
        raise ValueError("on_doc needs the Docs in this process: use the local engine")
    manifest = prepare(folder, overwrite)
    found = sources(inputs, input_format)
    start = time.perf_counter()
    summary = Summary(keep_ids=False)  # corpus-sized: the ids are in the records table

    if engine == "local":
        version = model_version(nlp)
        manifest = _begin(folder, manifest, found, input_format, shard_size, version)
        recorder = ShardRecorder(folder, manifest, found, summary, on_progress)
        try:
            events = run(nlp, recorder.feed(_numbered(found, input_format, manifest)), batch_size=batch_size,
                         summary=summary, on_doc=on_doc, workers=workers, serve=serve)
            for event in events:
                recorder.event(event)
            recorder.finish()
        except BaseException:
            recorder.abandon()
            raise
    else:
        from .ray import RayExtractor

        with RayExtractor(config, workers=workers, batch_size=batch_size, **(ray_options or {})) as extractor:
            version = extractor.model_version
            manifest = _begin(folder, manifest, found, input_format, shard_size, version)
            for metas, events in extractor.map(_shards(_numbered(found, input_format, manifest), shard_size)):
                recorder = ShardRecorder(folder, manifest, found, summary, on_progress)
                for seq, cursor in metas:
                    recorder.fed(seq, cursor)
                for event in events:
                    tally(summary, event)
                    recorder.event(event)
                recorder.finish()

    manifest.complete = True
    manifest.save(folder)
    summary.seconds = round(time.perf_counter() - start, 3)
    report = {"folder": str(folder), "engine": engine, "complete": True, "model_version": version,
              "shards": len(manifest.shards), "total": manifest.totals(),
              "this_run": {**summary.as_dict(),
                           "docs_per_second": round(summary.read / summary.seconds, 2) if summary.seconds else None},
              "tables": {t: str(folder / t) for t in TABLES}}
    write_atomic(folder / SUMMARY, json.dumps(report, indent=2) + "\n")
    return report


def _begin(folder: Path, manifest: Optional[Manifest], found: list[Source], input_format: str,
           shard_size: int, version: str) -> Manifest:
    """The manifest of this job: the folder's, once checked, or a new one."""
    prints = fingerprint(found)
    if manifest is None:
        folder.mkdir(parents=True, exist_ok=True)
        manifest = Manifest(prints, input_format, shard_size, version)
        manifest.save(folder)
    else:
        try:
            manifest.check(prints, input_format, shard_size, version)
        except ValueError as exc:
            raise FolderError(f"{folder} holds another job: {exc}; use --overwrite to start afresh, "
                              "or another folder") from None
        manifest.complete = False
    clean(folder, manifest)
    for table in TABLES:  # present even before (or without) a first shard, for readers of the folder
        (folder / table).mkdir(exist_ok=True)
    return manifest


def _shards(numbered: Iterator[tuple[int, Cursor, Item]], size: int) -> Iterator[tuple[list, list]]:
    """Group numbered items by shard: ([(seq, cursor)], [item]) per shard."""
    metas: list = []
    items: list = []
    current = None
    for seq, cursor, item in numbered:
        if current is not None and seq // size != current:
            yield metas, items
            metas, items = [], []
        current = seq // size
        metas.append((seq, cursor))
        items.append(item)
    if items:
        yield metas, items
