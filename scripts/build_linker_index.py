"""Build the linker's candidate index (scispaCy TF-IDF + nmslib) from the knowledge base, offline.

    python scripts/build_linker_index.py             # writes src/evidex/data/kb/linker_index/
    python scripts/build_linker_index.py --check     # fails if the shipped index is stale
    python scripts/build_linker_index.py --kb my_kb.jsonl -o my_index/

The build is deterministic (sorted aliases, one indexing thread): the same KB file and library
versions give the same index (byte-identical files, except the pickled vectorizer, which is
compared by content), so the shipped index can be checked against a fresh build.
Run it after every edit of the KB file and commit the result with it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from evidex.kb_index import build, default_index_dir, differing_files  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kb", default=None, help="knowledge base JSONL (default: the packaged one)")
    ap.add_argument("-o", "--output", type=Path, default=None, help="index folder (default: the packaged one)")
    ap.add_argument("--check", action="store_true", help="build in a temporary folder and compare with --output")
    args = ap.parse_args()
    target = args.output or default_index_dir()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            build(args.kb, Path(tmp))
            stale = differing_files(Path(tmp), target)
        if stale:
            print(f"{target} is stale ({', '.join(stale)} differ): run python scripts/build_linker_index.py",
                  file=sys.stderr)
            return 1
        print(f"{target} is up to date")
        return 0
    aliases, *_ = build(args.kb, target)
    print(f"wrote {target}: {len(aliases)} aliases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
