"""How fast the whole evidex pipeline runs, in abstracts per second, on real abstracts.

Reads `abstracts_raw/abstracts.jsonl.gz` from the data directory (--data-dir, $EVIDEX_DATA or
../shared/corpora), repeats it up to --n records, and times in one run:
  - baseline: scispaCy tokenisation alone (the floor any spaCy pipeline pays),
  - evidex: the full pipeline through the engine (reading excluded, rows included).
Prints both rates and their ratio. Wall-clock figures on a shared machine are noisy: compare
ratios, not absolute numbers, across runs.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time

import evidex
from evidex.engine import Summary, run
from evidex.paths import data_dir


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--n", type=int, default=2000, help="records to process")
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args()
    root = data_dir(args.data_dir)
    source = root / "abstracts_raw" / "abstracts.jsonl.gz" if root else None
    if source is None or not source.exists():
        sys.exit("abstracts_raw/abstracts.jsonl.gz not found: pass --data-dir or set EVIDEX_DATA")
    records = [r for r in evidex.read(source) if isinstance(r, evidex.Record)]
    records = list(itertools.islice(itertools.cycle(records), args.n))
    chars = sum(len(r.text) for r in records)
    nlp = evidex.load()

    start = time.perf_counter()
    for doc in nlp.tokenizer.pipe((r.text for r in records), batch_size=args.batch_size):
        pass
    tok_rate = len(records) / (time.perf_counter() - start)

    summary = Summary()
    start = time.perf_counter()
    for _ in run(nlp, records, batch_size=args.batch_size, summary=summary):
        pass
    rate = len(records) / (time.perf_counter() - start)
    print(f"records: {len(records)} (mean {chars / len(records):.0f} characters), batch size {args.batch_size}")
    print(f"tokenizer only (baseline): {tok_rate:8.1f} abstracts/s")
    print(f"evidex pipeline:           {rate:8.1f} abstracts/s  ({rate / tok_rate:.2f}x the tokenizer-only rate)")
    print(f"rows: {summary.rows}, with findings: {summary.with_findings}, no finding: {summary.no_finding}, errors: {summary.errors}")


if __name__ == "__main__":
    main()
