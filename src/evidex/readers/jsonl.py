"""JSON Lines: one object per line with `id`, `title`, `abstract` (or `text`); other fields kept in meta."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator, Union

from ..records import ReadError, Record
from ._io import decode, open_binary


def record_from_mapping(obj: dict[str, Any], fallback_id: str, source: str, position: int) -> Union[Record, ReadError]:
    """Turn one mapping (a JSON object, a CSV row) into a Record, or a ReadError saying what is missing."""
    raw_id = obj.get("id", obj.get("pmid"))
    doc_id = str(raw_id).strip() if raw_id not in (None, "") else fallback_id
    where = {"input_file": source, "input_position": position}
    abstract = obj.get("abstract", obj.get("text"))
    title = obj.get("title") or ""
    if not isinstance(title, str):
        return ReadError(doc_id, "field 'title' is not text", where)
    if abstract is None or (isinstance(abstract, str) and not abstract.strip()):
        return ReadError(doc_id, "missing abstract", where)
    if not isinstance(abstract, str):
        return ReadError(doc_id, "field 'abstract' is not text", where)
    meta = {k: v for k, v in obj.items() if k not in ("id", "title", "abstract", "text")}
    meta.update(where)
    return Record(doc_id, title.strip(), abstract.strip(), meta)


def read(path: Path) -> Iterator[Union[Record, ReadError]]:
    with open_binary(path) as fh:
        for lineno, raw in enumerate(fh, start=1):
            fallback = f"{path.name}:{lineno}"
            try:
                line = decode(raw).strip()
            except UnicodeDecodeError as exc:
                yield ReadError(fallback, f"undecodable bytes (not UTF-8) at byte {exc.start} of line {lineno}")
                continue
            if not line:
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield ReadError(fallback, f"invalid JSON on line {lineno}: {exc.msg}")
                continue
            if not isinstance(obj, dict):
                yield ReadError(fallback, f"line {lineno} is not a JSON object")
                continue
            yield record_from_mapping(obj, fallback, str(path), lineno)
