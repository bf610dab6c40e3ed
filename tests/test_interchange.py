"""BioC (JSON, XML) and PubTator: evidex's Docs written and read back keep every span, relation
and offset; files from other tools read into evidex's text; annotations become training data."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from evidex import interchange
from evidex.cli import app
from evidex.interchange import from_doc
from evidex.interchange.training import UnmappedLabels, training_examples
from evidex.pipeline import make_doc
from evidex.records import Record

runner = CliRunner()


@pytest.fixture(scope="module")
def docs(nlp, examples):
    records = [json.loads(line) for line in examples.read_text(encoding="utf-8").splitlines()]
    out = [nlp(make_doc(nlp, Record(r["id"], r["title"], r["abstract"], {"note": r["note"], "year": 2021})))
           for r in records]
    # a structured abstract: its sections are joined by line breaks, which PubTator cannot keep
    out.append(nlp(make_doc(nlp, Record("N-1", "Islet transplantation in type 1 diabetes",
                                        "RESULTS: Ten of 12 recipients were insulin independent at 1 year.\n"
                                        "CONCLUSIONS: HbA1c decreased from 7.8% to 6.1% after islet transplantation."))))
    assert sum(len(d._.relations) for d in out) >= 10, "the examples must give relations to test with"
    return out


def _all_spans(annotated):
    return sorted({(a.start, a.end, a.label, a.kb_id) for group in annotated.spans.values() for a in group})


@pytest.mark.parametrize("fmt, name", [("bioc-json", "out.bioc.json"), ("bioc-xml", "out.bioc.xml")])
def test_bioc_round_trip_keeps_everything(tmp_path, docs, fmt, name):
    path = tmp_path / name
    with interchange.open_writer(path, fmt) as out:
        for doc in docs:
            out.write(doc)
    back = list(interchange.read(path))  # the format comes from the name
    assert [b.id for b in back] == [d._.record["id"] for d in docs]
    for doc, b in zip(docs, back):
        original = from_doc(doc)
        assert b.text == doc.text
        assert b.infons["study_design"] == doc._.study_design
        assert b.infons.get("year") == ("2021" if doc._.record["meta"] else None)
        for group in ("entities", "numbers"):
            assert [(a.start, a.end, a.label, a.kb_id, a.attrs) for a in b.spans.get(group, [])] == \
                   [(s.start_char, s.end_char, s.label_, s._.kb_id, original_attrs(s)) for s in doc.spans[group]]
        assert b.relations == doc._.relations  # offsets, direction, confidence, comparator, source
        assert b == original


def original_attrs(span):
    attrs = {"kb_name": span._.kb_name, "confidence": repr(float(span._.confidence)),
             "number_kind": span._.number_kind, "source": span._.source}
    return {k: v for k, v in attrs.items() if v}


def test_pubtator_round_trip_keeps_spans_relations_and_offsets(tmp_path, docs):
    path = tmp_path / "out.pubtator"
    with interchange.open_writer(path) as out:
        for doc in docs:
            out.write(doc)
    back = {b.id: b for b in interchange.read(path)}
    for doc in docs:
        original, b = from_doc(doc), back[doc._.record["id"]]
        # PubTator's text lines hold no line break: it became a space of the same length
        assert b.text == doc.text.replace("\n\n", "\0").replace("\n", " ").replace("\0", "\n\n")
        assert _all_spans(b) == _all_spans(original)
        for a in b.entities:
            assert " ".join(doc.text[a.start:a.end].split()) == " ".join(a.text.split())
        assert b.relations == doc._.relations


def test_other_tools_read_what_evidex_writes(tmp_path, docs):
    """The `bioc` package (the field's BioC/PubTator library) parses evidex's files, and every
    annotation's offsets hold its text in that library's view too."""
    from bioc import biocjson, biocxml, pubtator

    for fmt, name, load in (("bioc-xml", "x.bioc.xml", biocxml.load), ("bioc-json", "x.bioc.json", biocjson.load)):
        with interchange.open_writer(tmp_path / name, fmt) as out:
            for doc in docs:
                out.write(doc)
        with open(tmp_path / name, encoding="utf-8") as fh:
            collection = load(fh)
        assert len(collection.documents) == len(docs)
        n_annotations = 0
        for bdoc, doc in zip(collection.documents, docs):
            assert len(bdoc.relations) == len(doc._.relations)
            for passage in bdoc.passages:
                for ann in passage.annotations:
                    loc = ann.locations[0]
                    assert passage.text[loc.offset - passage.offset:loc.end - passage.offset] == ann.text
                    n_annotations += 1
        assert n_annotations >= sum(len(d.spans["entities"]) for d in docs)
    with interchange.open_writer(tmp_path / "x.pubtator") as out:
        for doc in docs:
            out.write(doc)
    with open(tmp_path / "x.pubtator", encoding="utf-8") as fh:
        documents = pubtator.load(fh)
    assert len(documents) == len(docs)
    for pdoc in documents:
        text = pdoc.title + " " + pdoc.abstract
        assert pdoc.annotations and all(text[a.start:a.end] == a.text for a in pdoc.annotations)


def _pubtator(doc_id, title, abstract, mentions, relations=()):
    """A PubTator block as other tools write it: offsets into title + " " + abstract."""
    text = title + " " + abstract
    lines = [f"{doc_id}|t|{title}", f"{doc_id}|a|{abstract}"]
    for mention, label, kb_id in mentions:
        start = text.index(mention)
        lines.append(f"{doc_id}\t{start}\t{start + len(mention)}\t{mention}\t{label}\t{kb_id}")
    lines += [f"{doc_id}\t" + "\t".join(r) for r in relations]
    return "\n".join(lines) + "\n\n"


FOREIGN = (
    _pubtator("2001", "Hyperglycaemia on tacrolimus after islet transplantation.",
              "Three of 12 recipients developed hyperglycaemia while taking tacrolimus. Switching to sirolimus "
              "restored normoglycaemia in all three.",
              [("Hyperglycaemia", "Disease", "D006943"), ("tacrolimus", "Chemical", "D016559"),
               ("islet transplantation", "Procedure", "D016381"), ("sirolimus", "Chemical", "D020123"),
               ("normoglycaemia", "Disease", "-")],
              [("CID", "D016559", "D006943")])
    + _pubtator("2002", "Teplizumab and C-peptide in recent-onset type 1 diabetes.",
                "Teplizumab preserved C-peptide over two years.",
                [("Teplizumab", "Chemical", "D000000"), ("C-peptide", "Chemical", "D002096")])
)


def test_foreign_pubtator_offsets_move_into_evidex_text(tmp_path):
    path = tmp_path / "cdr.pubtator"
    path.write_text(FOREIGN, encoding="utf-8")
    first, second = interchange.read(path)
    assert first.text.startswith("Hyperglycaemia on tacrolimus after islet transplantation.\n\nThree of 12")
    mentions = {first.text[a.start:a.end]: (a.label, a.kb_id) for a in first.entities}
    assert mentions == {"Hyperglycaemia": ("Disease", "D006943"), "tacrolimus": ("Chemical", "D016559"),
                        "islet transplantation": ("Procedure", "D016381"), "sirolimus": ("Chemical", "D020123"),
                        "normoglycaemia": ("Disease", "")}
    assert first.relations == [{"type": "CID", "arg1": "D016559", "arg2": "D006943"}]
    assert second.text[second.entities[1].start:second.entities[1].end] == "C-peptide"


def test_import_maps_labels_and_refuses_unmapped_ones(tmp_path, nlp):
    from evidex.training.corpora import user_jsonl

    path = tmp_path / "cdr.pubtator"
    path.write_text(FOREIGN, encoding="utf-8")
    with pytest.raises(UnmappedLabels, match=r"Chemical \(4\).*Disease \(2\).*Procedure \(1\)"):
        training_examples(interchange.read(path))

    out = tmp_path / "train.jsonl"
    result = runner.invoke(app, ["import", str(path), "-o", str(out), "--label", "Chemical=INTERVENTION",
                                 "--label", "Disease=OUTCOME", "--drop", "Procedure"])
    assert result.exit_code == 0, result.output
    assert "left out: Procedure 1" in result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in lines] == ["2001", "2002"]
    assert lines[0]["types"] == ["INTERVENTION", "OUTCOME"]  # also in 2002, which has no OUTCOME mention
    assert [(lines[0]["text"][e["start"]:e["end"]], e["label"]) for e in lines[0]["entities"]] == [
        ("Hyperglycaemia", "OUTCOME"), ("tacrolimus", "INTERVENTION"), ("sirolimus", "INTERVENTION"),
        ("normoglycaemia", "OUTCOME")]
    # the tagger's training loader takes the file as it is
    examples = list(user_jsonl(out, nlp.tokenizer))
    words = examples[0].words
    assert [(" ".join(words[s:e]), label) for s, e, label in examples[0].spans] == [
        ("Hyperglycaemia", "OUTCOME"), ("tacrolimus", "INTERVENTION"), ("sirolimus", "INTERVENTION"),
        ("normoglycaemia", "OUTCOME")]

    bad = runner.invoke(app, ["import", str(path), "-o", str(out), "--label", "Chemical"])
    assert bad.exit_code == 2 and "TYPE=LABEL" in bad.output


def test_foreign_bioc_xml_with_pubtator_offsets(tmp_path):
    title, abstract = "Encapsulated islets in type 1 diabetes.", "C-peptide was detectable in 2 of 17 recipients."
    a = len(title) + 1  # the abstract passage starts after one space, as PubTator's BioC has it
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE collection SYSTEM "BioC.dtd">
<collection><source>PubTator</source><date>2024</date><key>BioC.key</key>
<document><id>3003</id>
<passage><infon key="type">title</infon><offset>0</offset><text>{title}</text>
<annotation id="1"><infon key="type">CellType</infon><infon key="identifier">-</infon><location offset="13" length="6"/><text>islets</text></annotation>
</passage>
<passage><infon key="type">abstract</infon><offset>{a}</offset><text>{abstract}</text>
<annotation id="2"><infon key="type">Outcome</infon><location offset="{a}" length="9"/><text>C-peptide</text></annotation>
</passage>
<relation id="R1"><infon key="type">Association</infon><node refid="1" role="role1"/><node refid="2" role="role2"/></relation>
</document></collection>"""
    path = tmp_path / "pubtator3.xml"
    path.write_text(xml, encoding="utf-8")
    (doc,) = interchange.read(path)  # recognised by its content
    assert doc.text == title + "\n\n" + abstract
    islets, peptide = doc.entities
    assert doc.text[islets.start:islets.end] == "islets" and doc.text[peptide.start:peptide.end] == "C-peptide"
    assert peptide.start == len(title) + 2
    assert islets.kb_id == "" and islets.label == "CellType"
    assert doc.relations == [{"type": "Association", "role1": [islets.start, islets.end],
                              "role2": [peptide.start, peptide.end]}]
    examples, report = training_examples([doc], {"CellType": "CELL_TYPE"})
    assert report.entities == {"CELL_TYPE": 1, "OUTCOME": 1} and examples[0]["types"] == ["OUTCOME", "CELL_TYPE"]  # in TAGGER_TYPES order


def test_bad_files_are_refused_with_the_reason(tmp_path):
    wrong = tmp_path / "wrong.pubtator"
    wrong.write_text("9|t|Islet graft survival\n9|a|Graft survival was 80%.\n9\t21\t35\tgraft failure\tOUTCOME\t-\n",
                     encoding="utf-8")
    with pytest.raises(ValueError, match="should read 'graft failure'"):
        list(interchange.read(wrong))
    bomb = tmp_path / "bomb.bioc.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE collection [<!ENTITY a "aaaa">]><collection>&a;</collection>',
                    encoding="utf-8")
    with pytest.raises(ValueError, match="defines entities: refused"):
        list(interchange.read(bomb))
    with pytest.raises(ValueError, match="not a BioC or PubTator file"):
        list(interchange.read(tmp_path / "notes.txt"))
    result = runner.invoke(app, ["import", str(wrong), "-o", str(tmp_path / "t.jsonl")])
    assert result.exit_code == 2 and "should read" in result.output


def test_extract_writes_pubtator_and_bioc_with_sidecars(tmp_path, monkeypatch, nlp, examples, docs):
    import evidex

    monkeypatch.setattr(evidex, "load", lambda *a, **k: nlp)  # the rule pipeline, already loaded
    expected = {d._.record["id"]: d._.relations for d in docs}
    for fmt, name in (("pubtator", "evidence.txt"), ("bioc-json", "evidence.json")):
        out = tmp_path / fmt / name
        result = runner.invoke(app, ["extract", str(examples), "-o", str(out), "--format", fmt, "-q"])
        assert result.exit_code == 0, result.output
        back = {d.id: d for d in interchange.read(out, fmt)}
        assert set(back) == {f"EX-00{i}" for i in range(1, 7)}
        for doc_id, annotated in back.items():
            assert annotated.relations == expected[doc_id]
        with open(out.with_name("evidence.errors.csv"), encoding="utf-8", newline="") as fh:
            assert next(csv.reader(fh)) == ["doc_id", "error"]
        summary = json.loads(out.with_name("evidence.summary.json").read_text(encoding="utf-8"))
        assert summary["format"] == fmt and summary["read"] == 6
        assert summary["rows"] == sum(len(list(evidex.rows(d))) for d in docs if d._.record["id"] in back)
