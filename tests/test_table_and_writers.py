"""The evidence table (evidex.rows), the writers (CSV, TSV, JSONL, Parquet) and the engine that
turns records into rows and error rows."""

from __future__ import annotations

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import evidex
from evidex import ReadError, Record
from evidex.components.relations import RelationExtractor
from evidex.engine import Summary, run
from evidex.pipeline import make_doc
from evidex.schema import COLUMNS, DIRECTIONS, ERROR_COLUMNS, ORGANISMS, STUDY_DESIGNS
from evidex.writers import TableWriter, format_for, write_table

TITLE = "Islet transplantation improves glycaemic control in type 1 diabetes"
ABSTRACT = ("Twelve adults with type 1 diabetes received islet transplantation. "
            "HbA1c decreased after islet transplantation (P < 0.001). "
            "Ten of 12 recipients were insulin independent at 1 year. "
            "In conclusion, islet transplantation reduced HbA1c.")


@pytest.fixture(scope="module")
def doc(nlp):
    return nlp(make_doc(nlp, Record("PMID-39000001", TITLE, ABSTRACT, {"year": "2024"})))


@pytest.fixture(scope="module")
def table(doc):
    return list(evidex.rows(doc))


def test_rows_have_exactly_the_schema_columns(table):
    assert table
    for row in table:
        assert tuple(row) == COLUMNS


def test_rows_offsets_slice_the_sentence_out_of_the_text(doc, table):
    assert doc.text == TITLE + "\n\n" + ABSTRACT
    for row in table:
        assert isinstance(row["start"], int) and isinstance(row["end"], int)
        assert doc.text[row["start"]:row["end"]] == row["sentence"]
        assert row["sentence"] == row["sentence"].strip()
        assert row["outcome"] and row["outcome"] in row["sentence"]
    assert [r["start"] for r in table] == sorted(r["start"] for r in table)


def test_rows_values(table):
    by_outcome = {r["outcome"]: r for r in table}
    title_row = by_outcome["glycaemic control"]
    assert (title_row["start"], title_row["end"]) == (0, len(TITLE))  # the title keeps no trailing blank line
    assert title_row["direction"] == "increase" and title_row["intervention_id"] == "MESH:D016381"

    hba1c = by_outcome["HbA1c"]
    assert hba1c["direction"] == "decrease" and hba1c["p_value"] == "P < 0.001"
    assert hba1c["outcome_id"] == "evidex:hba1c"

    indep = by_outcome["insulin independent"]
    assert indep["direction"] == "achieved"
    assert (indep["value"], indep["timepoint"]) == ("Ten of 12", "at 1 year")

    for row in table:
        assert row["doc_id"] == "PMID-39000001" and row["title"] == TITLE
        assert row["population"] == "type 1 diabetes" and row["sample_size"] == "Twelve adults"
        assert row["organism"] == "human"
        assert row["direction"] in DIRECTIONS
        assert row["study_design"] in STUDY_DESIGNS and row["organism"] in ORGANISMS
        assert isinstance(row["confidence"], float) and 0 < row["confidence"] <= 1
        assert row["model_version"] == f"evidex-{evidex.__version__}"


def test_repeated_finding_is_one_row(table):
    # "HbA1c decreased after islet transplantation" and "islet transplantation reduced HbA1c": one row
    assert [r["outcome_id"] for r in table].count("evidex:hba1c") == 1
    keys = [(r["intervention_id"], r["cell_type_id"], r["outcome_id"], r["direction"], r["timepoint"]) for r in table]
    assert len(keys) == len(set(keys))


def test_doc_without_findings_has_no_rows(process):
    doc = process("Type 1 diabetes is an autoimmune disease. We aimed to describe the history of islet research.")
    assert list(evidex.rows(doc)) == []


def test_model_version_argument(doc):
    assert {r["model_version"] for r in evidex.rows(doc, "evidex-test+rules")} == {"evidex-test+rules"}


# --------------------------------------------------------------------------- writers

TRICKY = {c: "" for c in COLUMNS}
TRICKY.update({
    "doc_id": "PMID-1", "title": 'Islets, "revisited"\tand more', "study_design": "rct", "organism": "human",
    "outcome": "HbA1c", "direction": "decrease", "value": "7.8 ± 0.9% → 6.1 ± 0.4%",
    "sentence": 'HbA1c fell (P < 0.001),\nsee "Table 2"; µ-dose 10,000 IEQ/kg.', "start": 1234, "end": 1290,
    "confidence": 0.65, "model_version": "evidex-0.1.0",
})


def _read_back(path, fmt):
    if fmt in ("csv", "tsv"):
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh, delimiter="," if fmt == "csv" else "\t")
            return reader.fieldnames, list(reader)
    if fmt == "jsonl":
        lines = path.read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines]
        return (list(rows[0]) if rows else []), rows
    table = pq.read_table(path)
    return table.column_names, table.to_pylist()


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet"])
def test_writers_round_trip(tmp_path, table, fmt):
    rows = table + [TRICKY]
    path = tmp_path / f"evidence.{fmt}"
    assert write_table(path, rows, COLUMNS) == len(rows)
    columns, back = _read_back(path, fmt)
    assert tuple(columns) == COLUMNS
    assert len(back) == len(rows)
    for original, got in zip(rows, back):
        if fmt in ("csv", "tsv"):  # text formats: everything is text; numbers parse back exactly
            assert int(got["start"]) == original["start"] and int(got["end"]) == original["end"]
            assert float(got["confidence"]) == original["confidence"]
            got = {**got, "start": original["start"], "end": original["end"], "confidence": original["confidence"]}
        else:  # typed formats keep int and float
            assert type(got["start"]) is int and type(got["end"]) is int and type(got["confidence"]) is float
        assert got == original


def test_parquet_schema_types(tmp_path, table):
    path = tmp_path / "evidence.parquet"
    write_table(path, table, COLUMNS)
    schema = pq.read_schema(path)
    assert schema.names == list(COLUMNS)
    assert schema.field("start").type == pa.int64() and schema.field("end").type == pa.int64()
    assert schema.field("confidence").type == pa.float64()
    assert all(schema.field(c).type == pa.string() for c in COLUMNS if c not in ("start", "end", "confidence"))


def test_parquet_in_several_batches_and_empty_table(tmp_path, table):
    many = [dict(table[0], doc_id=f"PMID-{i}", start=i, end=i + 10) for i in range(25)]
    path = tmp_path / "many.parquet"
    with TableWriter(path, COLUMNS, batch_rows=7) as writer:
        writer.write_all(many)
    back = pq.read_table(path).to_pylist()
    assert [r["doc_id"] for r in back] == [f"PMID-{i}" for i in range(25)]
    assert [r["start"] for r in back] == list(range(25))

    empty = tmp_path / "evidence.errors.parquet"
    with TableWriter(empty, ERROR_COLUMNS):
        pass
    t = pq.read_table(empty)
    assert t.num_rows == 0 and t.column_names == list(ERROR_COLUMNS)


def test_missing_values_are_empty_or_null(tmp_path):
    row = {"doc_id": "PMID-2", "direction": "increase", "start": None, "end": "", "confidence": None}
    write_table(tmp_path / "a.csv", [row], COLUMNS)
    write_table(tmp_path / "a.parquet", [row], COLUMNS)
    _, (csv_row,) = _read_back(tmp_path / "a.csv", "csv")
    assert csv_row["doc_id"] == "PMID-2" and csv_row["start"] == "" and csv_row["outcome"] == ""
    (pq_row,) = pq.read_table(tmp_path / "a.parquet").to_pylist()
    assert pq_row["start"] is None and pq_row["end"] is None and pq_row["confidence"] is None


def test_format_for():
    from pathlib import Path
    assert format_for(Path("out/evidence.parquet")) == "parquet"
    assert format_for(Path("out/evidence.TSV")) == "tsv"
    assert format_for(Path("out/evidence.txt")) == "csv"
    assert format_for(Path("out/evidence.csv"), "jsonl") == "jsonl"
    with pytest.raises(ValueError):
        format_for(Path("out/evidence.csv"), "xlsx")


# --------------------------------------------------------------------------- engine / extract

NO_FINDING = Record("NF-1", "History of islet research",
                    "Type 1 diabetes is an autoimmune disease. We aimed to describe the history of islet research.")


def _examples(examples):
    return [r for r in evidex.read(examples)]


def test_engine_every_record_is_accounted_for(nlp, examples):
    items = _examples(examples) + [ReadError("broken.jsonl:3", "invalid JSON on line 3"), NO_FINDING]
    summary = Summary()
    events = list(run(nlp, items, batch_size=4, summary=summary))

    row_events = [e[1] for e in events if e[0] == "row"]
    error_events = [e[1] for e in events if e[0] == "error"]
    doc_events = [e for e in events if e[0] == "doc"]
    assert summary.read == len(items) == 8
    assert summary.balanced
    assert summary.errors == 1 and error_events == [{"doc_id": "broken.jsonl:3", "error": "invalid JSON on line 3"}]
    # NF-1 states no finding; each example gives rows or (the models' call) none
    assert "NF-1" in summary.no_finding_ids and set(summary.no_finding_ids) - {"NF-1"} <= {f"EX-00{i}" for i in range(1, 7)}
    assert summary.with_findings + summary.no_finding == 7 and summary.with_findings >= 5
    assert summary.rows == len(row_events) > 0
    assert [e[1] for e in doc_events] == [r.id for r in items if isinstance(r, Record)]
    assert sum(e[2] for e in doc_events) == len(row_events)
    assert {r["doc_id"] for r in row_events} | set(summary.no_finding_ids) == {f"EX-00{i}" for i in range(1, 7)} | {"NF-1"}
    assert all(tuple(r) == COLUMNS for r in row_events)


def test_engine_batch_size_does_not_change_rows(nlp, examples):
    one = [e for e in run(nlp, _examples(examples), batch_size=1) if e[0] == "row"]
    all_at_once = [e for e in run(nlp, _examples(examples), batch_size=64) if e[0] == "row"]
    assert one == all_at_once


def test_extract_accepts_strings_records_and_errors(nlp):
    out = list(evidex.extract(
        ["Ten of 12 recipients of islet transplantation were insulin independent at 1 year.",
         ReadError("PMID-404", "no abstract"),
         Record("PMID-5", "", "HbA1c decreased after islet transplantation (P < 0.001).")],
        nlp=nlp))
    errors = [r for r in out if "error" in r]
    rows = [r for r in out if "error" not in r]
    assert errors == [{"doc_id": "PMID-404", "error": "no abstract"}]
    assert {r["doc_id"] for r in rows} == {"text-0", "PMID-5"}
    assert next(r for r in rows if r["doc_id"] == "text-0")["value"] == "Ten of 12"


def test_a_failing_component_costs_one_document(nlp, examples, monkeypatch):
    original = RelationExtractor.candidates

    def flaky(self, doc):
        if doc._.record["id"] == "EX-003":
            raise RuntimeError("relation model crashed on this abstract")
        return original(self, doc)

    monkeypatch.setattr(RelationExtractor, "candidates", flaky)
    items = _examples(examples)
    summary = Summary()
    events = list(run(nlp, items, batch_size=64, summary=summary))  # one batch: the whole batch fails first

    errors = [e[1] for e in events if e[0] == "error"]
    assert len(errors) == 1
    assert errors[0]["doc_id"] == "EX-003"
    assert "RuntimeError" in errors[0]["error"] and "relation model crashed" in errors[0]["error"]
    rows = [e[1] for e in events if e[0] == "row"]
    others = {"EX-001", "EX-002", "EX-004", "EX-005", "EX-006"}
    assert {r["doc_id"] for r in rows} | set(summary.no_finding_ids) == others  # the others all went through
    assert summary.read == 6 and summary.errors == 1 and summary.with_findings + summary.no_finding == 5
    assert summary.with_findings >= 4 and summary.balanced


def test_real_pubmed_sample_through_the_engine(nlp, pubmed_file):
    items = list(evidex.read(pubmed_file("pubmedsample18n0001.xml.gz")))
    summary = Summary()
    events = list(run(nlp, items, summary=summary))
    assert summary.read == 177
    assert summary.errors == 68  # articles without abstracts
    assert summary.with_findings + summary.no_finding == 109
    assert summary.balanced
    rows = [e[1] for e in events if e[0] == "row"]
    texts = {r.id: r.text for r in items if isinstance(r, Record)}
    for row in rows:
        assert texts[row["doc_id"]][row["start"]:row["end"]] == row["sentence"]
