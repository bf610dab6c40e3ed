"""Folder output: Parquet shards + manifest, readable as one dataset; resume after a kill
finishes the job with every input item exactly once; the CLI's folder options."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow.dataset as pads
import pytest
from typer.testing import CliRunner

import evidex
from evidex.cli import app
from evidex.engine.folder import FolderError, extract_to_folder, is_folder_output
from evidex.engine.manifest import Manifest
from evidex.schema import COLUMNS, ERROR_COLUMNS

from engine_helpers import awkward_inputs, rules_only_config, rules_only_overrides

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def rules_nlp():
    return evidex.load(overrides=rules_only_overrides())


def table(folder: Path, name: str) -> list[dict]:
    return pads.dataset(folder / name, format="parquet").to_table().to_pylist()


def canonical(rows: list[dict]) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True) for r in rows)


def check_exactly_once(folder: Path, items: list) -> None:
    """Every input item once in the records table, in order; rows and errors agree with it."""
    records = sorted(table(folder, "records"), key=lambda r: r["record"])
    assert [r["record"] for r in records] == list(range(len(items)))
    assert [r["doc_id"] for r in records] == [i.id for i in items]
    evidence, errors = table(folder, "evidence"), table(folder, "errors")
    assert sum(r["rows"] for r in records) == len(evidence)
    assert Counter(r["doc_id"] for r in records if r["status"] == "error") == Counter(e["doc_id"] for e in errors)
    assert Counter(r["doc_id"] for r in evidence) == +_rows_per_id(records)  # + drops ids with no rows


def _rows_per_id(records: list[dict]) -> Counter:
    counts: Counter = Counter()
    for r in records:
        counts[r["doc_id"]] += r["rows"]
    return counts


def test_folder_output_shards_and_counts(rules_nlp, tmp_path, examples):
    inputs = awkward_inputs(tmp_path / "in", examples)
    out = tmp_path / "run"
    report = extract_to_folder(inputs, out, nlp=rules_nlp, shard_size=4)
    items = list(evidex.read(inputs))
    assert report["total"]["records"] == len(items) == 9 and report["shards"] == 3
    for name in ("evidence", "errors", "records"):
        assert sorted(p.name for p in (out / name).iterdir()) == [f"part-0000{k}.parquet" for k in range(3)]
    check_exactly_once(out, items)
    # the same rows as the plain engine, id for id
    assert canonical(table(out, "evidence")) == canonical([r for r in evidex.extract(items, nlp=rules_nlp)
                                                          if "error" not in r])
    assert json.loads((out / "summary.json").read_text())["total"] == report["total"]
    # a rerun of a finished job reads nothing and changes nothing
    again = extract_to_folder(inputs, out, nlp=rules_nlp, shard_size=4)
    assert again["this_run"]["read"] == 0 and again["total"] == report["total"]


def test_shards_read_as_one_dataset(rules_nlp, tmp_path, examples):
    inputs = awkward_inputs(tmp_path / "in", examples)
    out = tmp_path / "run"
    report = extract_to_folder(inputs, out, nlp=rules_nlp, shard_size=2)
    n_rows, n_records = report["total"]["rows"], report["total"]["records"]

    evidence = pads.dataset(out / "evidence", format="parquet").to_table()
    assert evidence.column_names == list(COLUMNS) and evidence.num_rows == n_rows
    assert pads.dataset(out / "errors", format="parquet").schema.names == list(ERROR_COLUMNS)

    from datasets import load_dataset
    hf = load_dataset("parquet", data_files=str(out / "evidence" / "*.parquet"), split="train",
                      cache_dir=str(tmp_path / "hf_cache"))
    assert hf.num_rows == n_rows and hf.column_names == list(COLUMNS)

    duckdb = pytest.importorskip("duckdb", reason="duckdb is in the test extra")
    con = duckdb.connect()
    assert con.execute(f"select count(*) from read_parquet('{out}/evidence/*.parquet')").fetchone()[0] == n_rows
    statuses = dict(con.execute(f"select status, count(*) from read_parquet('{out}/records/*.parquet') "
                                "group by status").fetchall())
    assert sum(statuses.values()) == n_records and statuses["error"] == 2


def test_resume_removes_leftovers_of_an_interrupted_shard(rules_nlp, tmp_path, examples):
    inputs = awkward_inputs(tmp_path / "in", examples)
    out = tmp_path / "run"
    extract_to_folder(inputs, out, nlp=rules_nlp, shard_size=2)
    # as if killed after shard 3's files were renamed but before the manifest listed it,
    # and while shard 4 was being written
    manifest = Manifest.load(out)
    del manifest.shards["3"], manifest.shards["4"]
    manifest.complete = False
    manifest.save(out)
    (out / "evidence" / "part-00004.parquet").unlink()
    (out / "evidence" / ".part-00004.parquet.tmp").write_bytes(b"half a file")
    report = extract_to_folder(inputs, out, nlp=rules_nlp, shard_size=2)
    assert report["this_run"]["read"] == 3  # shards 3 and 4: items 6, 7 and 8
    assert not list((out / "evidence").glob(".*.tmp"))
    check_exactly_once(out, list(evidex.read(inputs)))


def test_a_folder_of_another_job_is_refused(rules_nlp, tmp_path, examples):
    inputs = awkward_inputs(tmp_path / "in", examples)
    out = tmp_path / "run"
    extract_to_folder(inputs, out, nlp=rules_nlp, shard_size=4)
    with pytest.raises(FolderError, match="shard size 5"):
        extract_to_folder(inputs, out, nlp=rules_nlp, shard_size=5)
    with pytest.raises(FolderError, match="inputs differ"):
        extract_to_folder(inputs[:1], out, nlp=rules_nlp, shard_size=4)
    fresh = extract_to_folder(inputs[:1], out, nlp=rules_nlp, shard_size=4, overwrite=True)
    assert fresh["total"]["records"] == 6
    check_exactly_once(out, list(evidex.read(inputs[:1])))
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(FolderError, match="not an evidex output folder"):
        extract_to_folder(inputs, stranger, nlp=rules_nlp, overwrite=True)
    assert (stranger / "notes.txt").exists()


def test_which_outputs_are_folders(tmp_path):
    assert is_folder_output(tmp_path / "run") and is_folder_output(tmp_path / "run", "parquet")
    assert not is_folder_output(tmp_path / "evidence.csv") and not is_folder_output(tmp_path / "run", "csv")
    (tmp_path / "plainfile").write_text("x")
    assert not is_folder_output(tmp_path / "plainfile")


def _env():
    env = dict(os.environ)
    env["COLUMNS"] = "400"
    return env


def _children(pid: int) -> list[int]:
    """Child process ids (Linux /proc; empty elsewhere)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def test_resume_after_kill_gives_every_record_exactly_once(tmp_path, examples):
    inputs = awkward_inputs(tmp_path / "in", examples, copies=12)  # 75 items, ids repeated 12 times
    config = rules_only_config(tmp_path)
    out = tmp_path / "run"
    # with a worker process, so the kill also tests that the worker goes when its parent does
    cmd = [sys.executable, "-m", "evidex.cli", "extract", *map(str, inputs), "-o", str(out),
           "--config", str(config), "--shard-size", "5", "--batch-size", "5", "--workers", "1", "-q"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            manifest = out / "manifest.json"
            if manifest.is_file() and len(json.loads(manifest.read_text())["shards"]) >= 3:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be killed: " + proc.stderr.read().decode()
        children = _children(proc.pid)
        assert children or not Path("/proc/self/task").exists(), "the run has no worker process"
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    gone_by = time.monotonic() + 20
    while any(Path(f"/proc/{c}").exists() for c in children) and time.monotonic() < gone_by:
        time.sleep(0.2)
    assert not [c for c in children if Path(f"/proc/{c}").exists()], "worker processes outlived the killed run"
    done = Manifest.load(out)
    assert not done.complete and 3 <= len(done.shards) < 15

    # the worker count is no part of the job: resume in one process
    rerun = subprocess.run(cmd[:-2] + ["0", "-q"], cwd=REPO, env=_env(), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads((out / "summary.json").read_text())
    assert report["complete"] and report["total"]["records"] == 75
    assert 0 < report["this_run"]["read"] <= 75 - 5 * len(done.shards)
    items = list(evidex.read(inputs))
    check_exactly_once(out, items)
    # the same evidence as one uninterrupted run
    whole = tmp_path / "whole"
    extract_to_folder(inputs, whole, nlp=evidex.load(config), shard_size=5)
    assert canonical(table(out, "evidence")) == canonical(table(whole, "evidence"))
    assert canonical(table(out, "records")) == canonical(table(whole, "records"))


runner = CliRunner()


def test_cli_folder_output_resumes_by_default_and_overwrites_on_request(tmp_path, examples):
    config = rules_only_config(tmp_path)
    out = tmp_path / "run"
    args = ["extract", str(examples), "-o", str(out), "--config", str(config), "--shard-size", "4"]
    def invoke(extra):
        result = runner.invoke(app, args[:-1] + extra)
        return result.exit_code, " ".join(result.output.split())  # rich wraps long lines

    code, said = invoke(["4"])
    assert code == 0 and "this run: 6 docs" in said and "2 shards" in said, said
    code, said = invoke(["4"])
    assert code == 0 and "this run: 0 docs" in said and "folder total: 6 docs" in said
    code, said = invoke(["3"])
    assert code == 2 and "holds another job: shard size 3" in said
    code, said = invoke(["3", "--overwrite"])
    assert code == 0 and "this run: 6 docs" in said and "2 shards" in said
    assert len(list((out / "evidence").glob("part-*.parquet"))) == 2


def test_cli_ray_engine_needs_a_folder(tmp_path, examples):
    result = runner.invoke(app, ["extract", str(examples), "-o", str(tmp_path / "e.csv"), "--engine", "ray"])
    assert result.exit_code == 2 and "folder output" in result.output


def test_an_empty_input_gives_an_empty_complete_folder(rules_nlp, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    report = extract_to_folder([empty], tmp_path / "run", nlp=rules_nlp)
    assert report["complete"] and report["shards"] == 0 and report["total"]["records"] == 0
    assert all((tmp_path / "run" / name).is_dir() for name in ("evidence", "errors", "records"))
