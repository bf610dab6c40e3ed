"""Interchange with other biomedical text-mining tools: BioC (JSON, XML) and PubTator.

    from evidex import interchange
    with interchange.open_writer("out.bioc.xml", "bioc-xml") as out:
        out.write(doc)                                  # a processed Doc (or an AnnotatedDocument)
    for annotated in interchange.read("corpus.pubtator"):
        annotated.text, annotated.entities, annotated.relations
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, Optional, Union

from ..readers._io import open_binary
from . import bioc, pubtator
from .document import AnnotatedDocument, Annotation, from_doc  # noqa: F401

FORMATS = ("bioc-json", "bioc-xml", "pubtator")

PathLike = Union[str, os.PathLike]


def format_of(path: PathLike, sniff: bool = True) -> Optional[str]:
    """The interchange format a file name says (`.bioc.json`, `.bioc.xml`, `.pubtator`, each
    optionally `.gz`), else (with `sniff`) what its first bytes show; None when it is none."""
    path = Path(path)
    name = path.name.lower().removesuffix(".gz")
    for suffix, fmt in ((".bioc.json", "bioc-json"), (".bioc.xml", "bioc-xml"), (".pubtator", "pubtator"),
                        (".pubtator.txt", "pubtator")):
        if name.endswith(suffix):
            return fmt
    if not sniff or not path.is_file():
        return None
    with open_binary(path) as fh:
        head = fh.read(1 << 14).decode("utf-8", errors="replace").lstrip("\ufeff \r\n\t")
    if head.startswith("<") and "<collection" in head:
        return "bioc-xml"
    if head[:1] in "{[" and ('"documents"' in head or '"passages"' in head):
        return "bioc-json"
    first = head.split("\n", 1)[0]
    if pubtator._TEXT_LINE.match(first):
        return "pubtator"
    return None


def _resolve(path: PathLike, fmt: Optional[str]) -> str:
    fmt = fmt or format_of(path)
    if fmt not in FORMATS:
        raise ValueError(f"{path}: not a BioC or PubTator file (name it .bioc.json, .bioc.xml or .pubtator, "
                         f"or say the format: {', '.join(FORMATS)})")
    return fmt


def read(path: PathLike, fmt: Optional[str] = None) -> Iterator[AnnotatedDocument]:
    """AnnotatedDocuments of a BioC JSON, BioC XML or PubTator file; ValueError on bad input."""
    fmt = _resolve(path, fmt)
    reader = {"bioc-json": bioc.read_json, "bioc-xml": bioc.read_xml, "pubtator": pubtator.read}[fmt]
    return reader(path)


def open_writer(path: PathLike, fmt: Optional[str] = None, infons: Optional[dict[str, str]] = None):
    """A context-manager writer with `.write(doc)` for Docs or AnnotatedDocuments."""
    fmt = fmt or format_of(path)
    if fmt == "bioc-json":
        return bioc.BioCJSONWriter(path, infons=infons)
    if fmt == "bioc-xml":
        return bioc.BioCXMLWriter(path, infons=infons)
    if fmt == "pubtator":
        return pubtator.PubTatorWriter(path)
    raise ValueError(f"unknown interchange format {fmt!r}; choose one of {', '.join(FORMATS)}")


def extract_formats(output: PathLike, fmt: Optional[str]) -> tuple[Optional[str], str]:
    """For `evidex extract`: (the interchange format of OUTPUT or None, the table format of the
    files it writes as tables: the evidence table, or beside a BioC/PubTator file the errors, as CSV)."""
    from ..writers import format_for

    doc_format = fmt if fmt in FORMATS else (format_of(output, sniff=False) if fmt is None else None)
    return (doc_format, "csv") if doc_format else (None, format_for(Path(output), fmt))


class ExtractOutput:
    """The main output of `evidex extract --format bioc-json|bioc-xml|pubtator`: whole Docs
    (spans, relations, record metadata), written as the engine hands them over through
    `on_doc`. Rows are counted by the engine's summary; the file holds the Docs they came from."""

    def __init__(self, path: PathLike, fmt: str, model_version: str = ""):
        self.writer = open_writer(path, fmt, infons={"model_version": model_version} if model_version else None)

    def __enter__(self) -> "ExtractOutput":
        self.writer.__enter__()
        return self

    def write(self, row) -> None:  # the table's rows are not this file's content
        pass

    def on_doc(self, doc) -> None:
        self.writer.write(doc)

    def __exit__(self, *exc) -> None:
        self.writer.__exit__(*exc)
