"""Corpus converters: JSONL -> spaCy DocBin / brat -> JSONL gives the corpus back unchanged, the
DocBin holds entities, gold ids and relations where spaCy and evidex look for them, and broken
input is refused with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from spacy.tokens import DocBin
from spacy.vocab import Vocab
from typer.testing import CliRunner

import evidex
from evidex.cli import app
from evidex.corpus.convert import ConversionError, convert, read_brat, read_jsonl, to_brat, to_docbin

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpora" / "t1d_cell_therapy" / "t1d_cell_therapy.jsonl"


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """Eight documents with entities that cut scispaCy tokens ("tacrolimus-based", "ATG/etanercept")."""
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    docs = [json.loads(x) for x in lines]
    picked = [d for d in docs if d["id"] in ("T1DCT-0001", "T1DCT-0006", "T1DCT-0009", "T1DCT-0012")] + docs[100:104]
    path = tmp_path_factory.mktemp("sample") / "sample.jsonl"
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in picked), encoding="utf-8")
    return path


def test_docbin_round_trip_is_exact(sample, tmp_path):
    spacy_file, back = tmp_path / "c.spacy", tmp_path / "back.jsonl"
    assert convert(sample, spacy_file, "docbin") == 8
    assert convert(spacy_file, back, "jsonl") == 8
    assert back.read_text(encoding="utf-8") == sample.read_text(encoding="utf-8")


def test_docbin_holds_entities_ids_and_relations(sample, tmp_path):
    to_docbin(read_jsonl(sample), tmp_path / "c.spacy")
    docs = {d._.record["id"]: d for d in DocBin().from_disk(tmp_path / "c.spacy").get_docs(Vocab())}
    src = {d["id"]: d for d in read_jsonl(sample)}
    for doc_id, doc in docs.items():
        gold = src[doc_id]["entities"]
        assert [(e.start_char, e.end_char, e.label_, e.id_) for e in doc.ents] == \
            [(g["start"], g["end"], g["label"], g["id"]) for g in gold]
        assert [e.kb_id_ for e in doc.ents] == [g.get("kb_id", "") for g in gold]
        assert list(doc.spans["entities"]) == list(doc.ents)
        assert len(doc._.relations) == len(src[doc_id]["relations"]) and doc._.study_design == src[doc_id]["study_design"]
    doc = docs["T1DCT-0001"]
    first = doc._.relations[0]
    assert doc.text[slice(*first["outcome"])] == "insulin independent" and first["direction"] == "achieved"
    assert first["ids"]["tail"] == "T23" and first["source"] == "gold"
    assert first["sentence"][0] <= first["outcome"][0] < first["outcome"][1] <= first["sentence"][1]
    # split at entity boundaries: "tacrolimus" of "tacrolimus-based" and "ATG" of "ATG/etanercept" are entities
    cut = {(e.text, d.text[e.end_char]) for d in docs.values() for e in d.ents if d.text[e.end_char:e.end_char + 1] in "-/"}
    assert {("tacrolimus", "-"), ("ATG", "/")} <= cut


def test_gold_docbin_gives_the_gold_evidence_table(sample, tmp_path):
    to_docbin(read_jsonl(sample), tmp_path / "c.spacy")
    doc = next(d for d in DocBin().from_disk(tmp_path / "c.spacy").get_docs(Vocab()) if d._.record["id"] == "T1DCT-0001")
    rows = list(evidex.rows(doc))
    assert rows and all(r["outcome_id"] for r in rows)
    assert {"evidex:insulin_independence", "evidex:hba1c"} <= {r["outcome_id"] for r in rows}
    assert {r["cell_type_id"] or r["intervention_id"] for r in rows} == {"evidex:islets"}


def test_brat_round_trip_and_files(sample, tmp_path):
    folder = tmp_path / "brat"
    to_brat(read_jsonl(sample), folder)
    ann = (folder / "T1DCT-0001.ann").read_text(encoding="utf-8").splitlines()
    assert "T1\tOUTCOME 0 20\tInsulin independence" in ann
    assert "N1\tReference T1 evidex:insulin_independence\tInsulin independence" in ann
    assert any(line.startswith("R1\tEffect Arg1:") for line in ann)
    assert any(line.startswith("A1\tDirection R1 ") for line in ann)
    assert "Direction\tArg:Effect, Value:increase|decrease|no_difference|achieved" in (folder / "annotation.conf").read_text()
    back = tmp_path / "back.jsonl"
    convert(folder, back, "jsonl")
    assert back.read_text(encoding="utf-8") == sample.read_text(encoding="utf-8")


def test_brat_nil_and_edits_are_read_back(sample, tmp_path):
    folder = tmp_path / "brat"
    to_brat(read_jsonl(sample)[:1], folder)
    ann = folder / "T1DCT-0001.ann"
    text = ann.read_text(encoding="utf-8").replace("Reference T1 evidex:insulin_independence", "Reference T1 NIL:NIL")
    text = text.replace("A1\tDirection R1 achieved", "A1\tDirection R1 increase")
    ann.write_text(text, encoding="utf-8")
    doc = read_brat(folder)[0]
    assert doc["entities"][0]["kb_id"] == "NIL"
    assert doc["relations"][0]["direction"] == "increase"
    ann.write_text(text.replace("A1\tDirection R1 increase", "A1\tDirection R1 better"), encoding="utf-8")
    with pytest.raises(ConversionError, match="unknown direction 'better'"):
        read_brat(folder)
    ann.write_text(text + "E1\tFinding:T1\n", encoding="utf-8")
    with pytest.raises(ConversionError, match="unsupported annotation 'E1'"):
        read_brat(folder)


def test_invalid_input_is_refused(tmp_path):
    bad = json.loads(CORPUS.read_text(encoding="utf-8").splitlines()[0])
    bad["entities"][0]["kb_id"] = "evidex:not_a_concept"
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(ConversionError, match="is not in the knowledge base"):
        convert(path, tmp_path / "out.spacy", "docbin")
    with pytest.raises(ConversionError, match="cannot tell the format"):
        convert(tmp_path / "corpus.txt", tmp_path / "out.spacy", "docbin")


def test_cli_convert(sample, tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["corpus", "convert", str(sample), "--to", "brat", "-o", str(tmp_path / "brat")])
    assert res.exit_code == 0, res.output
    assert "8 documents" in res.output and (tmp_path / "brat" / "T1DCT-0001.ann").is_file()
    res = runner.invoke(app, ["corpus", "validate", "--require-kb-ids", str(sample)])
    assert res.exit_code == 0 and "valid" in res.output
    res = runner.invoke(app, ["corpus", "convert", str(tmp_path / "brat"), "--to", "jsonl", "-o", str(tmp_path / "x.jsonl"),
                              "--from", "docbin"])
    assert res.exit_code == 2
