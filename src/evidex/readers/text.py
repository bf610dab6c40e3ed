"""Plain text: one abstract per `.txt` file.

The file name (without suffix) is the id. When the file starts with a single line followed by
a blank line, that line is the title and the rest is the abstract.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, Union

from ..records import ReadError, Record
from ._io import decode, open_binary

_TITLE = re.compile(r"\A([^\n]+)\n[ \t]*\n(.+)\Z", re.S)


def read(path: Path) -> Iterator[Union[Record, ReadError]]:
    doc_id = path.name.split(".")[0]
    with open_binary(path) as fh:
        data = fh.read()
    try:
        content = decode(data).replace("\r\n", "\n").strip()
    except UnicodeDecodeError as exc:
        yield ReadError(doc_id, f"undecodable bytes (not UTF-8) at byte {exc.start}", {"input_file": str(path)})
        return
    if not content:
        yield ReadError(doc_id, "empty file: no abstract", {"input_file": str(path)})
        return
    match = _TITLE.match(content)
    title, abstract = (match.group(1).strip(), match.group(2).strip()) if match else ("", content)
    yield Record(doc_id, title, abstract, {"input_file": str(path), "input_position": 0})
