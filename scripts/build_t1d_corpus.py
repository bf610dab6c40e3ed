"""Build corpora/t1d_cell_therapy/t1d_cell_therapy.jsonl from the authoring files.

Annotators never count characters. The authoring files (`corpora/t1d_cell_therapy/src/*.jsonl`,
read in name order) hold the documents in the final format, except that each entity is given as

    {"id": "T3", "label": "OUTCOME", "text": "HbA1c", "occurrence": 1}

`occurrence` is the 0-based index of the whole-word occurrence of `text` in the document text
(title + "\\n\\n" + abstract): 0 is the first. Whole-word means the match is neither preceded
nor followed by a letter or digit ("islets" is found in "SC-islets" but not in "isletsX").
`occurrence` may be left out only when the text occurs exactly once. Concept entities
(POPULATION, INTERVENTION, CELL_TYPE, OUTCOME) also carry `kb_id`, their gold knowledge-base
concept or "NIL" (GUIDELINES.md section 9), copied to the output. Relations are written as in
the final file; optional slots (value, timepoint, sample_size, p_value, comparator) may be left
out and become null.

The builder computes start/end, fails loudly (exit 1, every problem listed) on any text that is
not found, an occurrence out of range, an ambiguous text without an occurrence, or any problem
the corpus validator reports, and only then writes the output. It prints the corpus counts.

    python scripts/build_t1d_corpus.py            # build and write
    python scripts/build_t1d_corpus.py --check    # build, and fail if the written file is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from evidex.corpus.validate import (  # noqa: E402
    DOC_KEYS, RELATION_KEYS, document_text, validate_documents,
)
from evidex.schema import DIRECTIONS, ENTITY_LABELS  # noqa: E402

CORPUS = REPO / "corpora" / "t1d_cell_therapy"
SOURCES = CORPUS / "src"
OUTPUT = CORPUS / "t1d_cell_therapy.jsonl"
AUTHOR_ENTITY_KEYS = {"id", "label", "text", "occurrence", "kb_id"}
OPTIONAL_SLOTS = ("value", "timepoint", "sample_size", "p_value", "comparator")


class BuildError(Exception):
    pass


def whole_word_occurrences(text: str, needle: str) -> list[int]:
    """Start offsets of `needle` in `text` not preceded or followed by a letter or digit."""
    starts, i = [], text.find(needle)
    while i != -1:
        before = text[i - 1] if i > 0 else ""
        after = text[i + len(needle)] if i + len(needle) < len(text) else ""
        if not before.isalnum() and not after.isalnum():
            starts.append(i)
        i = text.find(needle, i + 1)
    return starts


def build_document(src: dict[str, Any], where: str) -> tuple[dict[str, Any], list[str]]:
    errors: list[str] = []
    missing = [k for k in DOC_KEYS if k not in src]
    if missing:
        return {}, [f"{where}: missing key(s) {', '.join(missing)}"]
    where = f"{where} ({src['id']})"
    text = document_text(src)
    entities = []
    for ent in src["entities"]:
        eid = ent.get("id")
        extra = set(ent) - AUTHOR_ENTITY_KEYS
        if extra or not {"id", "label", "text"} <= set(ent):
            errors.append(f"{where} entity {eid!r}: keys must be id, label, text[, occurrence][, kb_id] (got {sorted(ent)})")
            continue
        needle = ent["text"]
        if not isinstance(needle, str) or not needle or needle != needle.strip():
            errors.append(f"{where} entity {eid}: text {needle!r} must be non-empty without surrounding spaces")
            continue
        starts = whole_word_occurrences(text, needle)
        occurrence = ent.get("occurrence")
        if not starts:
            inside = "; it occurs only inside longer words" if needle in text else ""
            errors.append(f"{where} entity {eid}: text {needle!r} not found{inside}")
            continue
        if occurrence is None:
            if len(starts) > 1:
                errors.append(f"{where} entity {eid}: text {needle!r} occurs {len(starts)} times; "
                              "give 'occurrence' (0-based)")
                continue
            occurrence = 0
        if not isinstance(occurrence, int) or isinstance(occurrence, bool) or not 0 <= occurrence < len(starts):
            errors.append(f"{where} entity {eid}: occurrence {occurrence!r} of {needle!r} out of range "
                          f"(it occurs {len(starts)} time(s))")
            continue
        start = starts[occurrence]
        entities.append({"id": eid, "label": ent["label"], "start": start, "end": start + len(needle),
                         "text": needle, **({"kb_id": ent["kb_id"]} if "kb_id" in ent else {})})
    relations = []
    for i, rel in enumerate(src["relations"]):
        extra = set(rel) - set(RELATION_KEYS)
        if extra:
            errors.append(f"{where} relation #{i}: unknown key(s) {sorted(extra)}")
        out = {k: rel.get(k) for k in RELATION_KEYS}
        relations.append(out)
    doc = {k: src[k] for k in DOC_KEYS if k not in ("entities", "relations")}
    doc["entities"] = entities
    doc["relations"] = relations
    return doc, errors


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def build(sources: list[Path]) -> tuple[list[dict[str, Any]], list[str]]:
    docs: list[dict[str, Any]] = []
    located: list[tuple[str, Any]] = []
    errors: list[str] = []
    for path in sources:
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                where = f"{_shown(path)}:{lineno}"
                try:
                    src = json.loads(line)
                except json.JSONDecodeError as exc:
                    errors.append(f"{where}: not valid JSON ({exc})")
                    continue
                doc, doc_errors = build_document(src, where)
                errors.extend(doc_errors)
                if doc:
                    docs.append(doc)
                    located.append((where, doc))
    errors.extend(validate_documents(located, require_kb_ids=True))
    return docs, errors


def counts(docs: list[dict[str, Any]]) -> dict[str, Counter]:
    c: dict[str, Counter] = {k: Counter() for k in
                             ("split", "study_design", "organism", "provenance", "label", "direction", "words")}
    for d in docs:
        c["split"][d["split"]] += 1
        c["study_design"][d["study_design"]] += 1
        c["organism"][d["organism"]] += 1
        c["provenance"]["invented" if d["provenance"] == "invented" else "paraphrase"] += 1
        c["words"][d["split"]] += len(d["abstract"].split())
        for e in d["entities"]:
            c["label"][e["label"]] += 1
        for r in d["relations"]:
            c["direction"][r["direction"]] += 1
    return c


def print_counts(docs: list[dict[str, Any]]) -> None:
    c = counts(docs)
    n_ent = sum(len(d["entities"]) for d in docs)
    n_rel = sum(len(d["relations"]) for d in docs)
    print(f"{len(docs)} documents, {n_ent} entities, {n_rel} relations")
    print("  split:       " + ", ".join(f"{k} {c['split'][k]}" for k in ("train", "dev", "test")))
    print("  labels:      " + ", ".join(f"{k} {c['label'][k]}" for k in ENTITY_LABELS))
    print("  directions:  " + ", ".join(f"{k} {c['direction'][k]}" for k in DIRECTIONS))
    print("  designs:     " + ", ".join(f"{k} {v}" for k, v in sorted(c["study_design"].items())))
    print("  organisms:   " + ", ".join(f"{k} {v}" for k, v in sorted(c["organism"].items())))
    print("  provenance:  " + ", ".join(f"{k} {v}" for k, v in sorted(c["provenance"].items())))
    words = [len(d["abstract"].split()) for d in docs]
    if words:
        print(f"  abstract words: min {min(words)}, max {max(words)}, mean {sum(words) / len(words):.0f}")


def render(docs: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", type=Path, default=SOURCES, help="folder of authoring *.jsonl files")
    ap.add_argument("-o", "--output", type=Path, default=OUTPUT)
    ap.add_argument("--check", action="store_true", help="do not write; fail if the output file differs")
    args = ap.parse_args()
    sources = sorted(args.src.glob("*.jsonl"))
    if not sources:
        print(f"no authoring files (*.jsonl) in {args.src}", file=sys.stderr)
        return 1
    docs, errors = build(sources)
    if errors:
        for e in errors:
            print(e, file=sys.stderr)
        print(f"{len(errors)} problem(s); nothing written", file=sys.stderr)
        return 1
    out = render(docs)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else None
        if current != out:
            print(f"{args.output} is stale: run python scripts/build_t1d_corpus.py", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
    else:
        args.output.write_text(out, encoding="utf-8")
        print(f"wrote {args.output}")
    print_counts(docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
