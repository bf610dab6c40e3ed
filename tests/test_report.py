"""The HTML evidence report: tables of any format in, counts right, self-contained out; and in a
real headless browser (Debian's chromium, driven by Playwright): the map shows the counts, the
filters change them, a clicked cell lists the right sentences, and 100,000 rows stay small."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

import evidex
from evidex.cli import app
from evidex.pipeline import make_doc
from evidex.records import Record
from evidex.report import build_report, inputs
from evidex.report.aggregate import NOT_LINKED, NOT_STATED, aggregate, sample_size_number
from evidex.schema import COLUMNS, ERROR_COLUMNS
from evidex.writers import write_table

runner = CliRunner()
MAX_BYTES_100K = 20_000_000


def therapy_key(row: dict) -> str:
    return row["intervention_id"] or row["cell_type_id"] or (NOT_LINKED if row["intervention"] or row["cell_type"] else NOT_STATED)


def outcome_key(row: dict) -> str:
    return row["outcome_id"] or NOT_LINKED


@pytest.fixture(scope="module")
def example_rows(nlp, examples):
    rows = []
    for line in examples.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        rows += evidex.rows(nlp(make_doc(nlp, Record(r["id"], r["title"], r["abstract"]))))
    assert len({r["doc_id"] for r in rows}) >= 4 and len({r["study_design"] for r in rows}) >= 3
    return rows


@pytest.fixture(scope="module")
def example_table(tmp_path_factory, example_rows) -> Path:
    """The example corpus's table as `evidex extract` leaves it: table, errors, summary."""
    folder = tmp_path_factory.mktemp("examples")
    table = folder / "evidence.csv"
    write_table(table, example_rows, COLUMNS)
    write_table(folder / "evidence.errors.csv", [{"doc_id": "EX-404", "error": "no abstract"}], ERROR_COLUMNS)
    docs = len({r["doc_id"] for r in example_rows})
    (folder / "evidence.summary.json").write_text(json.dumps(
        {"read": docs + 1, "with_findings": docs, "no_finding": 0, "errors": 1, "rows": len(example_rows),
         "seconds": 1.5, "model_version": example_rows[0]["model_version"]}), encoding="utf-8")
    return table


@pytest.fixture(scope="module")
def example_report(tmp_path_factory, example_table) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    build_report([example_table], out)
    return out


# ---- counting, reading, building -----------------------------------------------------------


def test_sample_size_number():
    assert sample_size_number("48 consecutive recipients") == 48
    assert sample_size_number("n = 1,250") == 1250
    assert sample_size_number("Seventeen adults") == 17
    assert sample_size_number("thirty-two mice") == 32
    assert sample_size_number("10 of 12 recipients") == 12
    assert sample_size_number("") is None and sample_size_number("all recipients") is None


def test_aggregate_groups_therapies_and_counts_documents_once():
    base = dict.fromkeys(COLUMNS, "")
    base.update(study_design="cohort", organism="human", confidence=0.5, start=0, end=10)

    def row(**kw):
        return {**base, **kw}

    sentence = "Insulin independence was achieved by 10 of 12 islet recipients at 1 year."
    rows = [
        row(doc_id="1", cell_type="islet", cell_type_id="evidex:islets", outcome="Insulin independence",
            outcome_id="evidex:insulin_independence", direction="achieved", value="10 of 12", timepoint="at 1 year",
            sentence=sentence, confidence=0.9),
        row(doc_id="1", cell_type="islets", cell_type_id="evidex:islets", outcome="insulin independence",
            outcome_id="evidex:insulin_independence", direction="achieved", sentence="Later, insulin independence persisted."),
        row(doc_id="2", intervention="islet transplantation", intervention_id="MESH:D016381", outcome="HbA1c",
            outcome_id="evidex:hba1c", direction="decrease", sentence="HbA1c fell."),
        row(doc_id="3", study_design="rct", intervention="gadget therapy", outcome="HbA1c", outcome_id="evidex:hba1c",
            direction="no_difference", sentence="HbA1c did not differ."),
        row(doc_id="4", outcome="wellbeing", direction="increase", sentence="Wellbeing improved."),
    ]
    columns = {c: [r[c] for r in rows] for c in COLUMNS}
    data = aggregate(columns, evidex.kb.load_kb())
    m = data["map"]
    assert [(t["key"], t["label"]) for t in m["therapies"]] == [
        ("evidex:islets", "pancreatic islets"), ("MESH:D016381", "islet transplantation"),
        (NOT_LINKED, "therapy not linked"), (NOT_STATED, "therapy not stated")]
    assert m["therapies"][0]["kind"] == "cell" and sorted(m["therapies"][0]["forms"]) == ["islet", "islets"]
    assert [o["key"] for o in m["outcomes"]] == ["evidex:hba1c", "evidex:insulin_independence", NOT_LINKED]
    # islets x insulin independence: two findings, one document
    t, o, g, s = 0, 1, m["designs"].index("cohort"), m["organisms"].index("human")
    assert [t, o, g, s, m["directions"].index("achieved"), 2, 1] in m["counts"]
    assert [t, o, g, s, 1] in m["cellDocs"]
    assert sorted(m["pairDocs"]) == [[0, 0, 1], [1, 0, 3]]  # rct: doc 3; cohort: docs 1, 2, 4
    d = data["detail"]
    first = d["ranges"]["0-1"][0]
    assert d["conf"][first] == 900 and d["sentences"][d["sent"][first]] == sentence
    marks = d["marks"][first]
    found = {d["markKinds"][marks[i]]: sentence[marks[i + 1]:marks[i + 2]] for i in range(0, len(marks), 3)}
    assert found == {"outcome": "Insulin independence", "therapy": "islet", "value": "10 of 12", "timepoint": "at 1 year"}


def test_every_table_format_reads_the_same(tmp_path, example_rows):
    loaded = {}
    for fmt in ("csv", "tsv", "jsonl", "parquet"):
        path = tmp_path / f"evidence.{fmt}"
        write_table(path, example_rows, COLUMNS)
        loaded[fmt] = inputs.load([path]).columns
    assert loaded["csv"] == loaded["tsv"] == loaded["jsonl"] == loaded["parquet"]
    assert loaded["csv"]["confidence"] == [r["confidence"] for r in example_rows]
    # a folder of Parquet shards with their sidecars
    shards = tmp_path / "shards"
    half = len(example_rows) // 2
    write_table(shards / "part-0.parquet", example_rows[:half], COLUMNS)
    write_table(shards / "part-1.parquet", example_rows[half:], COLUMNS)
    write_table(shards / "part-1.errors.parquet", [{"doc_id": "X", "error": "bad"}] * 2, ERROR_COLUMNS)
    (shards / "part-1.summary.json").write_text('{"read": 9, "errors": 2}', encoding="utf-8")
    folder = inputs.load([shards])
    assert folder.columns == loaded["parquet"] and folder.error_rows == 2 and folder.summaries == [{"read": 9, "errors": 2}]
    assert [s.rows for s in folder.sources] == [half, len(example_rows) - half]


def test_extract_output_folder_is_read_as_one(tmp_path, example_rows):
    """`evidex extract -o FOLDER`: evidence/ and errors/ shards, records/ (not evidence), summary.json."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "out"
    half = len(example_rows) // 2
    write_table(folder / "evidence" / "part-00000.parquet", example_rows[:half], COLUMNS)
    write_table(folder / "evidence" / "part-00001.parquet", example_rows[half:], COLUMNS)
    write_table(folder / "errors" / "part-00001.parquet", [{"doc_id": "X-9", "error": "no abstract"}], ERROR_COLUMNS)
    (folder / "records").mkdir()
    pq.write_table(pa.table({"record": [0], "doc_id": ["X-9"], "status": ["error"]}), folder / "records" / "part-00000.parquet")
    (folder / "summary.json").write_text(json.dumps({
        "model_version": "evidex-test", "total": {"records": 7, "with_findings": 6, "no_finding": 0, "errors": 1,
                                                  "rows": len(example_rows)}, "this_run": {"seconds": 2.5}}), encoding="utf-8")
    loaded = inputs.load([folder])
    assert loaded.rows == len(example_rows) and loaded.error_rows == 1
    assert loaded.summaries == [{"read": 7, "with_findings": 6, "no_finding": 0, "errors": 1, "rows": len(example_rows),
                                 "seconds": 2.5, "model_version": "evidex-test"}]
    out = tmp_path / "report.html"
    build_report([folder], out)
    html = out.read_text(encoding="utf-8")
    assert re.search(r'data-prov="extraction">read 7 · with findings 6 · no finding 0 · errors 1 · rows \d+ · seconds 2.5<', html)


def test_report_from_a_real_extract_folder(tmp_path, nlp, examples, example_rows):
    from evidex.engine.folder import extract_to_folder

    folder = tmp_path / "out"
    extract_to_folder([examples], folder, nlp=nlp, shard_size=4)  # two shards
    loaded = inputs.load([folder])
    assert sorted(loaded.columns["sentence"]) == sorted(r["sentence"] for r in example_rows)
    assert len(loaded.sources) == 2 and loaded.summaries[0]["read"] == 6
    info = build_report([folder], tmp_path / "report.html")
    assert info["rows"] == len(example_rows)


def test_bad_tables_are_refused_with_the_reason(tmp_path, example_rows):
    missing = tmp_path / "other.csv"
    missing.write_text("id,text\n1,hello\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing columns: doc_id, title"):
        inputs.load([missing])
    wrong = tmp_path / "wrong.jsonl"
    write_table(wrong, [{**example_rows[0], "direction": "sideways"}], COLUMNS)
    with pytest.raises(ValueError, match="row 1: direction 'sideways'"):
        inputs.load([wrong])
    result = runner.invoke(app, ["report", str(missing), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "missing columns" in result.output


def test_report_is_self_contained_with_provenance(example_report, example_table, example_rows):
    html = example_report.read_text(encoding="utf-8")
    assert not re.search(r"<(?:script|img|iframe)\b[^>]*\bsrc=|<link\b|@import|url\(", html, re.I)
    assert set(re.findall(r"https?://[\w.]+", html)) <= {"http://www.w3.org", "https://pubmed.ncbi.nlm.nih.gov"}
    prov = dict(re.findall(r'<dd data-prov="(\w+)">([^<]*)', html))
    assert prov["rows"] == str(len(example_rows))
    assert prov["documents"] == str(len({r["doc_id"] for r in example_rows}))
    assert prov["error_rows"].startswith("1 (")
    assert str(example_table) in html and example_rows[0]["model_version"] in html
    assert "Findings per outcome and direction" in html and 'id="no-years"' in html


def test_years_come_from_the_records(tmp_path, example_table, example_rows, examples):
    records = tmp_path / "records.jsonl"
    lines = [json.loads(line) for line in examples.read_text(encoding="utf-8").splitlines()]
    records.write_text("".join(json.dumps({**r, "year": 2015 + i}) + "\n" for i, r in enumerate(lines)), encoding="utf-8")
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(example_table), "-o", str(out), "--records", str(records)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "Study designs over the years" in html and 'id="no-years"' not in html
    years = {r["id"]: 2015 + i for i, r in enumerate(lines)}
    for doc_id in {r["doc_id"] for r in example_rows}:
        assert f"<title>{years[doc_id]}: " in html


# ---- in a real browser -----------------------------------------------------------------------


def _chromium() -> str | None:
    return os.environ.get("EVIDEX_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    path = _chromium()
    if not path:
        pytest.skip("no chromium found (Debian: apt-get install chromium; or set EVIDEX_CHROMIUM): browser tests skipped")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]'): browser tests skipped")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def _open(browser, path: Path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    requests = []
    page.on("request", lambda req: requests.append(req.url) if not req.url.startswith(("file:", "data:", "blob:")) else None)
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-ready=map]")
    return page, errors, requests


def _expected(rows):
    """(therapy, outcome) -> (findings, documents, {direction: findings})"""
    cells = defaultdict(lambda: [0, set(), Counter()])
    for r in rows:
        c = cells[(therapy_key(r), outcome_key(r))]
        c[0] += 1
        c[1].add(r["doc_id"])
        c[2][r["direction"]] += 1
    return {k: (f, len(d), dict(dirs)) for k, (f, d, dirs) in cells.items()}


def _shown(page):
    """What the map shows: (therapy, outcome) -> (findings, documents, {direction: findings})."""
    return page.evaluate("""() => {
        const t = {}, o = {}, out = {};
        document.querySelectorAll('#evidence-map tbody tr').forEach(tr => t[tr.dataset.t] = tr.dataset.key);
        document.querySelectorAll('#evidence-map th.outcome').forEach(th => o[th.dataset.o] = th.dataset.key);
        document.querySelectorAll('#evidence-map td.filled').forEach(td => {
            const [ti, oi] = td.dataset.cell.split('-');
            const dirs = {};
            td.querySelectorAll('[data-dir]').forEach(c => dirs[c.dataset.dir] = +c.dataset.findings);
            out[t[ti] + '|' + o[oi]] = [+td.dataset.findings, +td.dataset.docs, dirs];
        });
        return out;
    }""")


def _as_shown(expected):
    return {f"{t}|{o}": [f, d, dirs] for (t, o), (f, d, dirs) in expected.items()}


def test_browser_map_filters_and_cell_list(browser, example_report, example_rows):
    page, errors, requests = _open(browser, example_report)
    assert _shown(page) == _as_shown(_expected(example_rows))
    assert page.get_attribute("#filter-summary", "data-findings") == str(len(example_rows))

    # keep one study design: the counts become that design's
    design = Counter(r["study_design"] for r in example_rows).most_common(1)[0][0]
    for box in page.query_selector_all("input[name=design]"):
        if box.get_attribute("value") != design:
            box.uncheck()
    subset = [r for r in example_rows if r["study_design"] == design]
    assert _shown(page) == _as_shown(_expected(subset))
    assert page.get_attribute("#filter-summary", "data-documents") == str(len({r["doc_id"] for r in subset}))
    assert f"design={design}" in page.url

    # click the fullest cell: it lists that cell's sentences, most confident first
    (t, o), _ = max(_expected(subset).items(), key=lambda kv: kv[1][0])
    ti = page.get_attribute(f'#evidence-map tbody tr[data-key="{t}"]', "data-t")
    oi = page.get_attribute(f'#evidence-map th.outcome[data-key="{o}"]', "data-o")
    page.click(f'td[data-cell="{ti}-{oi}"]')
    page.wait_for_selector("#detail[data-state=ready]")
    listed = page.eval_on_selector_all("#detail-list li.finding", "els => els.map(e => [e.dataset.doc, e.querySelector('.sentence').textContent])")
    cell_rows = sorted((r for r in subset if (therapy_key(r), outcome_key(r)) == (t, o)), key=lambda r: -r["confidence"])
    assert sorted(listed) == sorted([r["doc_id"], r["sentence"]] for r in cell_rows)
    assert [c for c in page.eval_on_selector_all("#detail-list li.finding .facts", "els => els.map(e => e.textContent)")
            if "confidence" not in c] == []
    marks = page.eval_on_selector_all("#detail-list li.finding mark.m-outcome", "els => els.map(e => e.textContent)")
    assert set(marks) <= {r["outcome"] for r in cell_rows} and marks

    # narrow the list to one direction
    direction = Counter(r["direction"] for r in cell_rows).most_common()[-1][0]
    page.click(f'#detail-directions button[data-dir="{direction}"]')
    page.wait_for_selector("#detail[data-state=ready]")
    dirs = page.eval_on_selector_all("#detail-list li.finding", "els => els.map(e => e.dataset.dir)")
    assert dirs == [direction] * sum(r["direction"] == direction for r in cell_rows)

    # "Show all" restores every count
    page.click("#filter-reset")
    assert _shown(page) == _as_shown(_expected(example_rows))
    assert errors == [] and requests == []
    page.close()


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """100,000 synthetic rows as four Parquet shards in a folder, and their report."""
    from evidex.report.synthetic import synthetic_rows

    rows = list(synthetic_rows(100_000, seed=7))
    folder = tmp_path_factory.mktemp("big") / "evidence"
    for i in range(4):
        write_table(folder / f"part-{i}.parquet", rows[i::4], COLUMNS)
    out = folder.parent / "report.html"
    info = build_report([folder], out)
    return rows, out, info


def test_report_of_100k_rows_is_small(big):
    rows, out, info = big
    print(f"\n100,000-row report: {info['bytes'] / 1e6:.1f} MB, built in {info['seconds']:.1f} s")
    assert info["rows"] == 100_000 and info["detail_rows"] == 100_000
    assert out.stat().st_size < MAX_BYTES_100K


def test_browser_opens_100k_rows_in_seconds(browser, big):
    rows, out, _ = big
    started = time.perf_counter()
    page, errors, requests = _open(browser, out)
    opened = time.perf_counter() - started
    page.wait_for_selector("html[data-detail=ready]", timeout=60_000)
    print(f"\n100,000-row report: map drawn {opened:.1f} s after opening, lists ready {time.perf_counter() - started:.1f} s")
    assert opened < 30, "the map should be drawn within seconds"
    assert page.get_attribute("#filter-summary", "data-findings") == "100000"
    expected = _expected(rows)
    assert _shown(page) == _as_shown(expected)

    (t, o), (findings, _, _) = max(expected.items(), key=lambda kv: kv[1][0])
    ti = page.get_attribute(f'#evidence-map tbody tr[data-key="{t}"]', "data-t")
    oi = page.get_attribute(f'#evidence-map th.outcome[data-key="{o}"]', "data-o")
    page.click(f'td[data-cell="{ti}-{oi}"]')
    page.wait_for_selector("#detail[data-state=ready]")
    assert page.get_attribute("#detail-range", "data-total") == str(findings)
    best = sorted((r for r in rows if (therapy_key(r), outcome_key(r)) == (t, o)), key=lambda r: -r["confidence"])
    first = page.eval_on_selector_all("#detail-list li.finding .sentence", "els => els.map(e => e.textContent)")
    assert len(first) == 25 and set(first) <= {r["sentence"] for r in best[:40]}
    page.click("#detail-pager [data-page=next]")
    assert page.text_content("#detail-range").startswith("Findings 26–50 of")

    page.uncheck("input[name=organism][value=human]")
    assert _shown(page) == _as_shown(_expected([r for r in rows if r["organism"] != "human"]))
    assert errors == [] and requests == []
    page.close()
