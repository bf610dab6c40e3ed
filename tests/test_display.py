"""Document views: displaCy's entity markup with the relations listed under it, `evidex.render`
for notebooks, and `evidex show` for records and for BioC/PubTator files."""

from __future__ import annotations

import html as htmllib
import json
import re

import pytest
from typer.testing import CliRunner

import evidex
from evidex import interchange
from evidex.cli import app
from evidex.display import DIRECTION_COLORS, page, render
from evidex.pipeline import make_doc
from evidex.records import Record

runner = CliRunner()


@pytest.fixture(scope="module")
def doc(nlp, examples):
    record = next(json.loads(line) for line in examples.read_text(encoding="utf-8").splitlines()
                  if json.loads(line)["id"] == "EX-002")
    doc = nlp(make_doc(nlp, Record(record["id"], record["title"], record["abstract"])))
    assert doc._.relations, "EX-002 states several findings"
    return doc


def _marked(html: str) -> list[tuple[str, str]]:
    """(text, label) of every entity displaCy marked."""
    marks = re.findall(r'<mark class="entity"[^>]*>\s*(.*?)\s*<span[^>]*>(\w+)</span>\s*</mark>', html, re.S)
    return [(re.sub(r"\s+", " ", htmllib.unescape(text)), label) for text, label in marks]


def test_render_marks_every_entity_and_lists_relations(doc):
    html = render(doc, jupyter=False)
    assert _marked(html) == [(" ".join(s.text.split()), s.label_) for s in doc.ents]
    items = re.findall(r'<li data-direction="(\w+)">(.*?)</li>', html, re.S)
    assert [d for d, _ in items] == [r["direction"] for r in doc._.relations]
    for (direction, item), rel in zip(items, doc._.relations):
        assert DIRECTION_COLORS[direction] in item  # directions coloured
        assert doc.text[rel["outcome"][0]:rel["outcome"][1]] in item
    assert evidex.render is render


def test_page_is_standalone_html(doc):
    html = page(doc)
    assert html.lstrip().startswith("<!DOCTYPE html>") and "<title>EX-002" in html
    assert not re.search(r'<(?:script|link)\b[^>]*(?:src|href)=', html), "the page loads nothing"


def test_show_renders_a_record_and_a_bioc_document(tmp_path, monkeypatch, nlp, examples, doc):
    monkeypatch.setattr(evidex, "load", lambda *a, **k: nlp)
    out = tmp_path / "ex2.html"
    result = runner.invoke(app, ["show", str(examples), "--id", "EX-002", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert _marked(out.read_text(encoding="utf-8")) == _marked(render(doc, jupyter=False))

    bioc = tmp_path / "ex.bioc.json"
    with interchange.open_writer(bioc) as writer:
        writer.write(doc)
    result = runner.invoke(app, ["show", str(bioc), "--id", "EX-002"])  # to standard output
    assert result.exit_code == 0, result.output
    assert _marked(result.stdout) == _marked(render(doc, jupyter=False))

    missing = runner.invoke(app, ["show", str(examples), "--id", "EX-999"])
    assert missing.exit_code == 2 and "no record with id 'EX-999'" in missing.output


def test_overlapping_spans_are_reported_not_hidden():
    from evidex.interchange.document import AnnotatedDocument, Annotation

    text = "Islet graft survival was 80%."
    doc = AnnotatedDocument("o-1", "", text, spans={"entities": [
        Annotation(0, 20, "OUTCOME", "Islet graft survival"), Annotation(0, 11, "CELL_TYPE", "Islet graft")]})
    html = render(doc, jupyter=False)
    assert _marked(html) == [("Islet graft survival", "OUTCOME")]
    assert "1 overlapping span not shown" in html
