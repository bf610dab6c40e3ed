"""PubMed / MEDLINE XML (`PubmedArticleSet` and the older `MedlineCitationSet`), plain or `.gz`.

Streamed with `lxml.etree.iterparse`, each article cleared once read, so memory stays flat on
baseline files of 30,000 articles. The parser resolves no entities and touches no network; a
file whose document type declaration defines entities (the "billion laughs" bomb) is refused.

iterparse cannot resume after a syntax error, and one broken article must not cost the rest of
a baseline file: after an error the reader re-opens the file, skips the articles already read
and parses the remaining ones one by one, reporting each broken one as a ReadError.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator, Optional, Union

from lxml import etree

from ..records import ReadError, Record
from ._io import open_binary

RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "MedlineCitation")
_PROLOG_BYTES = 1 << 16
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)
_ROOT = re.compile(rb"<(PubmedArticleSet|MedlineCitationSet|PubmedBookArticleSet)[\s>]")
_PMID = re.compile(rb"<PMID[^>]*>\s*(\d+)\s*</PMID>")
_CHUNK = 1 << 20

Item = Union[Record, ReadError]


def _parser_options() -> dict[str, Any]:
    return dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _text(el: Optional[etree._Element]) -> str:
    """All text inside an element (inline <i>, <sup>... included), whitespace collapsed."""
    if el is None:
        return ""
    return " ".join("".join(el.itertext()).split())


def _year(article: etree._Element) -> Optional[str]:
    for path in (".//Article/Journal/JournalIssue/PubDate/Year", ".//Article/ArticleDate/Year",
                 ".//Book/PubDate/Year", ".//DateCompleted/Year"):
        value = article.findtext(path)
        if value and value.strip().isdigit():
            return value.strip()
    medline_date = article.findtext(".//PubDate/MedlineDate") or ""
    match = re.search(r"\b(1[89]\d\d|20\d\d)\b", medline_date)
    return match.group(1) if match else None


def _has_entity_refs(el: etree._Element) -> bool:
    return any(isinstance(node, etree._Entity) for node in el.iter())


def parse_article(el: etree._Element, source: str, position: int) -> Item:
    """Turn one PubmedArticle / MedlineCitation / PubmedBookArticle element into a Record."""
    citation = el if el.tag == "MedlineCitation" else el.find("MedlineCitation")
    base = citation if citation is not None else el.find("BookDocument")
    pmid = (base.findtext("PMID") if base is not None else None) or ""
    doc_id = pmid.strip() or f"{Path(source).name}#{position}"
    where = {"input_file": source, "input_position": position}
    if base is None:
        return ReadError(doc_id, f"<{el.tag}> has neither MedlineCitation nor BookDocument", where)
    if _has_entity_refs(el):
        return ReadError(doc_id, "unresolved entity reference in article: refused", where)
    article = base.find("Article") if base.tag == "MedlineCitation" else base
    title = _text(article.find("ArticleTitle")) if article is not None else ""
    if not title and article is not None:
        title = _text(article.find("BookTitle")) or _text(article.find("VernacularTitle"))
    abstract_el = base.find(".//Abstract")
    parts: list[str] = []
    sections: list[dict[str, Any]] = []
    offset = 0
    if abstract_el is not None:
        for node in abstract_el.findall("AbstractText"):
            body = _text(node)
            if not body:
                continue
            if parts:
                offset += 1  # the "\n" joining sections
            label = node.get("Label")
            if label:
                sections.append({"label": label, "nlm_category": node.get("NlmCategory"),
                                 "start": offset, "end": offset + len(body)})
            parts.append(body)
            offset += len(body)
    abstract = "\n".join(parts)
    if not abstract:
        return ReadError(doc_id, "no abstract", where)
    journal = base.findtext(".//Journal/Title") or base.findtext(".//Journal/ISOAbbreviation")
    mesh = [
        {"descriptor": _text(h.find("DescriptorName")), "ui": h.find("DescriptorName").get("UI"),
         "major": h.find("DescriptorName").get("MajorTopicYN") == "Y",
         "qualifiers": [_text(q) for q in h.findall("QualifierName")]}
        for h in base.findall(".//MeshHeadingList/MeshHeading") if h.find("DescriptorName") is not None
    ]
    meta: dict[str, Any] = {
        "pmid": pmid.strip() or None,
        "year": _year(base),
        "journal": journal.strip() if journal else None,
        "publication_types": [_text(p) for p in base.findall(".//PublicationTypeList/PublicationType")],
        "mesh_terms": mesh,
        "keywords": [_text(k) for k in base.findall(".//KeywordList/Keyword")],
        "language": base.findtext(".//Language"),
        "sections": sections,
        **where,
    }
    doi = el.find(".//PubmedData/ArticleIdList/ArticleId[@IdType='doi']")
    if doi is not None and doi.text:
        meta["doi"] = doi.text.strip()
    return Record(doc_id, title, abstract, meta)


def _prolog_refused(path: Path) -> Optional[str]:
    with open_binary(path) as fh:
        head = fh.read(_PROLOG_BYTES)
    root = _ROOT.search(head)
    prolog = head[: root.start()] if root else head
    if _ENTITY_DECL.search(prolog):
        return "document type declaration defines entities: refused (entity expansion is never allowed)"
    return None


def _iterparse(path: Path, source: str, done: list[int]) -> Iterator[Item]:
    with open_binary(path) as fh:
        context = etree.iterparse(fh, events=("end",), tag=RECORD_TAGS, **_parser_options())
        for _, el in context:
            parent = el.getparent()
            if parent is None or parent.getparent() is not None:
                continue  # a MedlineCitation inside a PubmedArticle: handled with its article
            done[0] += 1
            yield parse_article(el, source, done[0])
            el.clear()
            while el.getprevious() is not None:  # drop what is already read
                del parent[0]


def _chunks(path: Path) -> Iterator[bytes]:
    """Split the raw stream at top-level record start tags (articles are never nested)."""
    with open_binary(path) as fh:
        head = fh.read(_PROLOG_BYTES)
        root = _ROOT.search(head)
        tags = (b"MedlineCitation",) if root and root.group(1) == b"MedlineCitationSet" else (b"PubmedArticle", b"PubmedBookArticle")
        start = re.compile(rb"<(?:" + b"|".join(tags) + rb")[\s>]")
        buf = head[root.end():] if root else head
        first = True
        while True:
            matches = list(start.finditer(buf))
            # keep the last (possibly incomplete) chunk in the buffer until more data comes
            cut = [m.start() for m in matches]
            block = fh.read(_CHUNK)
            if not block:
                pieces = [buf[a:b] for a, b in zip(cut, cut[1:] + [len(buf)])]
                if not first or cut:
                    yield from pieces
                return
            if len(cut) >= 2:
                for a, b in zip(cut, cut[1:]):
                    yield buf[a:b]
                buf = buf[cut[-1]:]
                first = False
            buf += block


def _parse_chunk(chunk: bytes, source: str, position: int) -> Item:
    chunk = re.sub(rb"</(PubmedArticleSet|MedlineCitationSet|PubmedBookArticleSet)>\s*$", b"", chunk.rstrip())
    parser = etree.XMLParser(**_parser_options())
    try:
        el = etree.fromstring(chunk, parser)
    except etree.XMLSyntaxError as exc:
        pmid = _PMID.search(chunk)
        doc_id = pmid.group(1).decode() if pmid else f"{Path(source).name}#{position}"
        return ReadError(doc_id, f"malformed XML: {exc}", {"input_file": source, "input_position": position})
    return parse_article(el, source, position)


def read(path: Path) -> Iterator[Item]:
    source = str(path)
    refused = _prolog_refused(path)
    if refused:
        yield ReadError(source, refused, {"input_file": source})
        return
    done = [0]
    try:
        yield from _iterparse(path, source, done)
        return
    except etree.XMLSyntaxError as exc:
        first_error = str(exc)
    # Resynchronise: re-read the records after the last good one, one at a time.
    position = 0
    reported = False
    for chunk in _chunks(path):
        position += 1
        if position <= done[0]:
            continue
        item = _parse_chunk(chunk, source, position)
        reported = reported or isinstance(item, ReadError)
        yield item
    if not reported:  # the error lay outside any article (e.g. a broken closing tag)
        yield ReadError(source, f"malformed XML outside articles: {first_error}", {"input_file": source})
