"""What readers produce: a Record to process, or a ReadError to report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .schema import TITLE_SEPARATOR


class TitledText:
    """The document text of anything with a `title` and an `abstract`."""

    title: str
    abstract: str

    @property
    def text(self) -> str:
        """The document text every offset refers to: title + blank line + abstract."""
        return document_text(self.title, self.abstract)

    @property
    def abstract_offset(self) -> int:
        """Where the abstract starts in `text`."""
        return abstract_offset(self.title, self.abstract)


@dataclass
class Record(TitledText):
    """One abstract. `meta` holds year, journal, mesh, publication_types, sections, source, ..."""

    id: str
    title: str = ""
    abstract: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


def document_text(title: str, abstract: str) -> str:
    """Title + blank line + abstract (or whichever of the two there is): the text of a Doc."""
    if title and abstract:
        return title + TITLE_SEPARATOR + abstract
    return title or abstract


def abstract_offset(title: str, abstract: str) -> int:
    """Where the abstract starts in `document_text(title, abstract)`."""
    return len(title) + len(TITLE_SEPARATOR) if title and abstract else 0


@dataclass
class ReadError:
    """A record that could not be read; it becomes an error row, never a silent drop."""

    id: str
    reason: str
    meta: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, str]:
        return {"doc_id": self.id, "error": self.reason}
