"""Peak memory of `evidex extract` streaming many abstracts into a folder of shards.

Repeats the real abstracts of `abstracts_raw/abstracts.jsonl.gz` (--data-dir, $EVIDEX_DATA or
../shared/corpora) up to --n records in one temporary JSONL.gz, runs the command line on it in
a child process with a pipeline config without transformers (rules and vocabulary: the part
whose memory could grow with the corpus, cheap enough to stream 100,000 abstracts on a CPU),
samples the child's resident memory (VmRSS, itself and its worker processes) every second, and
prints the samples at each tenth of the run and the peak (the kernel's VmHWM for the main
process, and the sum of the samples for the process tree).

    python scripts/bench_memory.py --n 100000
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from thinc.api import Config

from evidex.paths import data_dir
from evidex.pipeline import default_config_path


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree(pid: int) -> list[int]:
    """pid and its descendants."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            pass
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--shard-size", type=int, default=10_000)
    ap.add_argument("--keep", default=None, help="write the output folder here (default: a temporary one)")
    args = ap.parse_args()
    root = data_dir(args.data_dir)
    source = root / "abstracts_raw" / "abstracts.jsonl.gz" if root else None
    if source is None or not source.exists():
        sys.exit("abstracts_raw/abstracts.jsonl.gz not found: pass --data-dir or set EVIDEX_DATA")
    with gzip.open(source, "rt", encoding="utf-8") as fh:
        lines = [line for line in fh if line.strip()]
    work = Path(tempfile.mkdtemp(prefix="evidex-mem-"))
    corpus = work / "abstracts.jsonl.gz"
    with gzip.open(corpus, "wt", encoding="utf-8") as fh:
        for i, line in enumerate(itertools.islice(itertools.cycle(lines), args.n)):
            obj = json.loads(line)
            obj["id"] = f"{obj.get('id')}#{i // len(lines)}"  # copies get their own ids
            fh.write(json.dumps(obj) + "\n")
    paths = Config().from_disk(default_config_path(), interpolate=False)["paths"]
    overrides = {f"paths.{k}": None for k in ("tagger", "relations") if k in paths}
    config = work / "rules_only.cfg"
    config.write_text(Config().from_disk(default_config_path(), overrides=overrides).to_str(), encoding="utf-8")
    out = Path(args.keep) if args.keep else work / "out"
    cmd = [sys.executable, "-m", "evidex.cli", "extract", str(corpus), "-o", str(out), "--config", str(config),
           "--workers", str(args.workers), "--shard-size", str(args.shard_size), "--overwrite", "-q"]
    print("command:", " ".join(cmd))
    start = time.perf_counter()
    child = subprocess.Popen(cmd)
    samples = []  # (seconds, records done, main RSS KiB, tree RSS KiB)
    while child.poll() is None:
        main_rss = rss_kib(child.pid)
        total = sum(rss_kib(p) for p in tree(child.pid))
        peak_main = rss_kib(child.pid, "VmHWM")
        done = 0
        manifest = out / "manifest.json"
        try:
            done = sum(s["records"] for s in json.loads(manifest.read_text())["shards"].values())
        except (OSError, ValueError, KeyError):
            pass
        samples.append((time.perf_counter() - start, done, main_rss, total, peak_main))
        time.sleep(1.0)
    seconds = time.perf_counter() - start
    if child.returncode != 0:
        sys.exit(f"evidex extract failed with exit code {child.returncode}")
    report = json.loads((out / "summary.json").read_text())
    print(f"records: {report['total']['records']} in {seconds:.0f} s ({report['total']['records'] / seconds:.1f}/s), "
          f"{report['shards']} shards, workers {args.workers}")
    print("  seconds  records_done  main_RSS_MB  tree_RSS_MB")
    step = max(1, len(samples) // 10)
    for t, done, main_rss, total, _ in samples[::step] + samples[-1:]:
        print(f"  {t:7.0f}  {done:12d}  {main_rss / 1024:11.0f}  {total / 1024:11.0f}")
    print(f"peak: main process {max(s[4] for s in samples) / 1024:.0f} MB (VmHWM), "
          f"process tree {max(s[3] for s in samples) / 1024:.0f} MB (largest 1 s sample)")


if __name__ == "__main__":
    main()
