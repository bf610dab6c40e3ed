"""`evidex extract` end to end: in process with typer's CliRunner, and as a real subprocess."""

from __future__ import annotations

import csv
import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from evidex.cli import app
from evidex.schema import COLUMNS, ERROR_COLUMNS

REPO = Path(__file__).resolve().parents[1]

runner = CliRunner()


def read_csv(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return reader.fieldnames, list(reader)


def check_counts(summary: dict, rows: int, errors: int) -> None:
    assert summary["read"] == summary["with_findings"] + summary["no_finding"] + summary["errors"]
    assert summary["rows"] == rows
    assert summary["errors"] == errors
    assert len(summary["no_finding_ids"]) == summary["no_finding"]


def test_cli_extract_examples_to_csv(tmp_path, examples):
    out = tmp_path / "out" / "evidence.csv"  # the folder does not exist yet
    result = runner.invoke(app, ["extract", str(examples), "-o", str(out)])
    assert result.exit_code == 0, result.output

    header, rows = read_csv(out)
    assert tuple(header) == COLUMNS
    # every example is accounted for: rows, or read with no finding (which ones is the models' call)
    summary = json.loads((tmp_path / "out" / "evidence.summary.json").read_text(encoding="utf-8"))
    with_rows = {r["doc_id"] for r in rows}
    assert with_rows | set(summary["no_finding_ids"]) == {f"EX-00{i}" for i in range(1, 7)}
    assert len(with_rows) >= 5 and not with_rows & set(summary["no_finding_ids"])
    errors_header, errors = read_csv(tmp_path / "out" / "evidence.errors.csv")
    assert tuple(errors_header) == ERROR_COLUMNS and errors == []
    assert summary["read"] == 6 and summary["with_findings"] == len(with_rows)
    check_counts(summary, rows=len(rows), errors=0)
    assert summary["format"] == "csv"
    assert summary["output"] == str(out)
    assert summary["errors_file"] == str(tmp_path / "out" / "evidence.errors.csv")
    assert summary["model_version"].startswith("evidex-")

    texts = {json.loads(line)["id"]: json.loads(line) for line in examples.read_text(encoding="utf-8").splitlines()}
    for row in rows:
        rec = texts[row["doc_id"]]
        assert (rec["title"] + "\n\n" + rec["abstract"])[int(row["start"]):int(row["end"])] == row["sentence"]
        assert row["model_version"] == summary["model_version"]


def test_cli_mixed_folder_reports_every_input(tmp_path, examples):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(examples, folder / "abstracts.jsonl")
    (folder / "extra.jsonl").write_text(
        '{"id": "X-1", "title": "no abstract here"}\n'
        '{"id": "X-2", "abstract": "Type 1 diabetes is an autoimmune disease of the pancreas."}\n'
        '{"id": "X-3", "abstract": "unterminated\n', encoding="utf-8")
    (folder / "PMID-77.txt").write_bytes("Greffe d'îlots\n\nRésultats".encode("latin-1"))
    (folder / "notes.md").write_text("ignored", encoding="utf-8")
    out = tmp_path / "evidence.csv"

    result = runner.invoke(app, ["extract", str(folder), "-o", str(out), "--batch-size", "2", "-q"])
    assert result.exit_code == 0, result.output

    _, rows = read_csv(out)
    _, errors = read_csv(tmp_path / "evidence.errors.csv")
    summary = json.loads((tmp_path / "evidence.summary.json").read_text(encoding="utf-8"))
    assert summary["read"] == 6 + 3 + 1
    check_counts(summary, rows=len(rows), errors=len(errors))
    assert {e["doc_id"] for e in errors} == {"X-1", "extra.jsonl:3", "PMID-77"}
    # X-2 states no finding; the examples give rows, or (the models' call) none
    assert "X-2" in summary["no_finding_ids"]
    assert set(summary["no_finding_ids"]) - {"X-2"} <= {f"EX-00{i}" for i in range(1, 7)}
    assert {r["doc_id"] for r in rows} | set(summary["no_finding_ids"]) >= {f"EX-00{i}" for i in range(1, 7)}


def test_cli_real_pubmed_file(tmp_path, pubmed_file):
    src = pubmed_file("pubmedsample18n0001.xml.gz")
    out = tmp_path / "pubmed.jsonl"
    result = runner.invoke(app, ["extract", str(src), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    errors = [json.loads(line) for line in (tmp_path / "pubmed.errors.jsonl").read_text(encoding="utf-8").splitlines()]
    summary = json.loads((tmp_path / "pubmed.summary.json").read_text(encoding="utf-8"))
    assert summary["read"] == 177 and summary["errors"] == 68 and summary["format"] == "jsonl"
    check_counts(summary, rows=len(rows), errors=len(errors))
    assert all(e["error"] == "no abstract" and e["doc_id"].isdigit() for e in errors)


def test_cli_parquet(tmp_path, examples):
    out = tmp_path / "evidence.parquet"
    result = runner.invoke(app, ["extract", str(examples), "-o", str(out), "--format", "parquet", "-q"])
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.column_names == list(COLUMNS)
    assert table.schema.field("start").type == pa.int64() and table.schema.field("confidence").type == pa.float64()
    errors = pq.read_table(tmp_path / "evidence.errors.parquet")
    assert errors.column_names == list(ERROR_COLUMNS) and errors.num_rows == 0
    summary = json.loads((tmp_path / "evidence.summary.json").read_text(encoding="utf-8"))
    assert summary["format"] == "parquet"
    check_counts(summary, rows=table.num_rows, errors=0)


def test_cli_tsv_from_gzipped_jsonl(tmp_path, examples):
    src = tmp_path / "abstracts.jsonl.gz"
    src.write_bytes(gzip.compress(examples.read_bytes()))
    out = tmp_path / "evidence.tsv"
    result = runner.invoke(app, ["extract", str(src), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert rows and tuple(rows[0]) == COLUMNS
    with_rows = {r["doc_id"] for r in rows}
    assert with_rows <= {f"EX-00{i}" for i in range(1, 7)} and len(with_rows) >= 5


def test_cli_missing_input_exits_2(tmp_path):
    out = tmp_path / "evidence.csv"
    result = runner.invoke(app, ["extract", str(tmp_path / "no_such_abstracts.jsonl"), "-o", str(out)])
    assert result.exit_code == 2
    assert "input not found" in result.output
    assert not out.exists() and not (tmp_path / "evidence.summary.json").exists()


def test_cli_output_under_a_file_exits_2(tmp_path, examples):
    blocker = tmp_path / "results"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    result = runner.invoke(app, ["extract", str(examples), "-o", str(blocker / "evidence.csv")])
    assert result.exit_code == 2
    assert "output location unusable" in result.output


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write into read-only folders")
def test_cli_read_only_output_dir_exits_2(tmp_path, examples):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        result = runner.invoke(app, ["extract", str(examples), "-o", str(locked / "evidence.csv")])
    finally:
        locked.chmod(0o755)
    assert result.exit_code == 2
    assert "output location unusable" in result.output


def test_cli_output_that_is_a_folder_exits_2(tmp_path, examples):
    folder = tmp_path / "evidence.csv"
    folder.mkdir()
    result = runner.invoke(app, ["extract", str(examples), "-o", str(folder)])
    assert result.exit_code == 2
    assert "output location unusable" in result.output


@pytest.mark.parametrize("args,message", [
    (["--format", "xlsx"], "xlsx"),
    (["--input-format", "docx"], "docx"),
    (["--batch-size", "0"], "batch-size"),
])
def test_cli_bad_options_exit_2(tmp_path, examples, args, message):
    result = runner.invoke(app, ["extract", str(examples), "-o", str(tmp_path / "e.csv"), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "e.csv").exists()


def test_cli_missing_config_exits_2(tmp_path, examples):
    result = runner.invoke(app, ["extract", str(examples), "-o", str(tmp_path / "e.csv"),
                                 "--config", str(tmp_path / "nope.cfg")])
    assert result.exit_code == 2 and "config not found" in result.output


# --------------------------------------------------------------------------- real processes


def _env():
    env = dict(os.environ)
    env.pop("EVIDEX_DATA", None)
    env["COLUMNS"] = "400"  # rich wraps its summary line at the terminal width
    return env


def test_subprocess_module_entry_point(tmp_path):
    out = tmp_path / "run" / "evidence.csv"
    proc = subprocess.run([sys.executable, "-m", "evidex.cli", "extract", "corpora/examples", "-o", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=120, env=_env())
    assert proc.returncode == 0, proc.stderr
    header, rows = read_csv(out)
    assert tuple(header) == COLUMNS and rows
    summary = json.loads((tmp_path / "run" / "evidence.summary.json").read_text(encoding="utf-8"))
    assert summary["read"] == 6
    check_counts(summary, rows=len(rows), errors=0)
    assert "read 6 docs" in proc.stderr and str(out) in proc.stderr.replace("\n", "")


def test_subprocess_console_script_rejects_missing_input(tmp_path):
    script = Path(sys.executable).with_name("evidex")
    if not script.exists():
        pytest.skip(f"console script {script} not installed (pip install -e .)")
    out = tmp_path / "evidence.csv"
    proc = subprocess.run([str(script), "extract", str(tmp_path / "missing.xml.gz"), "-o", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=120, env=_env())
    assert proc.returncode == 2
    assert "input not found" in proc.stderr
    assert not out.exists()
