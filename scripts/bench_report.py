"""How big the evidence report gets and how long it takes, on a synthetic table of --rows rows.

Writes the table as Parquet shards (evidex.report.synthetic: realistic columns, sentences that
compress like real text), builds the report, and, when chromium and Playwright are present,
times how long the page takes to draw its map and to unpack its finding lists.

    python scripts/bench_report.py [--rows 100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path


def open_in_browser(report: Path) -> dict:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"browser": "playwright not installed"}
    if not chromium:
        return {"browser": "no chromium"}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page()
        started = time.perf_counter()
        page.goto(report.as_uri())
        page.wait_for_selector("body[data-ready=map]", timeout=120_000)
        drawn = time.perf_counter() - started
        page.wait_for_selector("html[data-detail=ready]", timeout=120_000)
        ready = time.perf_counter() - started
        browser.close()
    return {"map_drawn_s": round(drawn, 2), "lists_ready_s": round(ready, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--keep", type=Path, help="keep the table and report in this folder")
    args = ap.parse_args()
    from evidex.report import build_report
    from evidex.report.synthetic import synthetic_rows
    from evidex.schema import COLUMNS
    from evidex.writers import write_table

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        rows = list(synthetic_rows(args.rows))
        for i in range(args.shards):
            write_table(folder / "evidence" / f"part-{i}.parquet", rows[i::args.shards], COLUMNS)
        info = build_report([folder / "evidence"], folder / "report.html")
        result = {"rows": info["rows"], "documents": info["documents"], "report_mb": round(info["bytes"] / 1e6, 2),
                  "build_s": info["seconds"], **open_in_browser(folder / "report.html")}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
