"""The README's screenshot of the evidence report (docs/report.png), made with headless chromium.

Extracts the example corpus with the default pipeline (or takes --table), builds the report,
and photographs it with the fullest cell of the evidence map opened, through the report's own
deep link (#cell=T-O), so the picture shows the map, a finding list and the filters.

    python scripts/report_screenshot.py [--table out/evidence.csv] [-o docs/report.png]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--force-device-scale-factor=1")


def example_table(folder: Path) -> Path:
    import evidex
    from evidex.schema import COLUMNS
    from evidex.writers import write_table

    table = folder / "evidence.csv"
    rows = [r for r in evidex.extract(evidex.read(REPO / "corpora" / "examples")) if "error" not in r]
    write_table(table, rows, COLUMNS)
    return table


def fullest_cell(table: Path) -> str:
    from evidex.kb import load_kb
    from evidex.report import inputs
    from evidex.report.aggregate import aggregate

    counts = {}
    for t, o, *_, findings, _docs in aggregate(inputs.load([table]).columns, load_kb())["map"]["counts"]:
        counts[f"{t}-{o}"] = counts.get(f"{t}-{o}", 0) + findings
    return max(counts, key=counts.get)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--table", type=Path, help="an evidence table (default: extract the example corpus)")
    ap.add_argument("-o", "--output", type=Path, default=REPO / "docs" / "report.png")
    ap.add_argument("--size", default="1280,1500", help="window width,height in pixels")
    args = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("no chromium found (Debian: apt-get install chromium)")
    from evidex.report import build_report

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        table = args.table or example_table(tmp)
        report = tmp / "report.html"
        build_report([table], report, title="Evidence report: example corpus")
        url = f"{report.as_uri()}#cell={fullest_cell(table)}"
        args.output.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp / 'profile'}", f"--window-size={args.size}",
                        "--virtual-time-budget=5000", f"--screenshot={args.output.resolve()}", url],
                       check=True, capture_output=True, timeout=120)
    print(f"{args.output} ({args.output.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
