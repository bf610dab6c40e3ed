"""evidex: structured evidence from biomedical abstracts.

    import evidex
    nlp = evidex.load()                       # a spaCy Language
    for row in evidex.extract(evidex.read("abstracts.jsonl")):
        ...                                   # evidence rows (and {"doc_id", "error"} rows)
    evidex.render(doc)                        # displaCy view of a processed Doc (Jupyter)
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Optional, Union

from spacy.language import Language

from .display import render
from .pipeline import __version__, load
from .readers import read
from .records import ReadError, Record
from .table import rows as _rows

__all__ = ["load", "read", "extract", "rows", "render", "Record", "ReadError", "__version__"]


def rows(doc, model_version: Optional[str] = None) -> Iterator[dict[str, Any]]:
    """Evidence-table rows (dicts with the columns of `evidex.schema.COLUMNS`) of one processed Doc."""
    return _rows(doc, model_version if model_version is not None else f"evidex-{__version__}")


def extract(records: Iterable[Union[Record, ReadError, str]], nlp: Optional[Language] = None,
            batch_size: int = 64, workers: int = 0) -> Iterator[dict[str, Any]]:
    """Evidence rows for records (Records, ReadErrors, or plain abstract strings).

    Yields evidence rows; a record that cannot be read or processed yields one
    `{"doc_id": ..., "error": ...}` row instead. `workers`: processes for the CPU stages
    (see `evidex.engine.run`); for corpus-sized, resumable runs see `evidex.engine.folder`.
    """
    from .engine import run

    nlp = nlp or load()

    def as_records():
        for i, item in enumerate(records):
            yield Record(f"text-{i}", "", item) if isinstance(item, str) else item

    for event in run(nlp, as_records(), batch_size=batch_size, workers=workers):
        if event[0] in ("row", "error"):
            yield event[1]
