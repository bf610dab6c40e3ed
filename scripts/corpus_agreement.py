"""Inter-annotator agreement between two annotated corpus files (the evidex corpus format).

    python scripts/corpus_agreement.py A.jsonl B.jsonl [--json | --details]

Both files are built corpus files (character offsets, see corpora/t1d_cell_therapy/GUIDELINES.md).
Only the documents present in both files are compared (matched by id; their title and abstract
must be identical). A is taken as the reference, so precision = matched / n_B and
recall = matched / n_A; F1 = 2 * matched / (n_A + n_B) does not depend on that choice.
All figures are micro-averaged over the shared documents.

What is measured:

- Entities, per label and over all labels, F1 with
  * exact matching: same label, same start and end;
  * overlap matching: same label and overlapping character spans, one-to-one (a maximum
    matching, so one long span cannot count for two short ones).
- Relations, F1 with head and tail spans matched by overlap (entity labels ignored), one-to-one:
  * on (head, tail, direction);
  * on (head, tail), direction ignored.
- Direction agreement on the relation pairs matched on (head, tail): accuracy, Cohen's kappa and
  the confusion table. The same pairs also give the agreement of the other relation slots (value,
  timepoint, sample_size, p_value by overlapping spans or both null; comparator by overlapping
  spans or equal text, whether an entity or free text, or both null: two mentions of "placebo" are
  the same comparator).
- Document labels study_design and organism: accuracy and Cohen's kappa.

When several one-to-one matchings have the same size, the one whose pairs agree best (span overlap,
and for relations also value and timepoint) is used; direction never influences which relations
are paired, so it cannot inflate the direction agreement. Cohen's kappa is reported as null when it
is undefined (both annotators used one and the same category throughout).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Optional

DIRECTED, UNDIRECTED = "head_tail_direction", "head_tail"
SPAN_SLOTS = ("value", "timepoint", "sample_size", "p_value")

Doc = dict[str, Any]
Span = tuple[int, int]


# --------------------------------------------------------------------------- loading

def load_corpus(path: Path) -> dict[str, Doc]:
    """Documents of a built corpus file by id."""
    docs: dict[str, Doc] = {}
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                doc = json.loads(line)
                docs[doc["id"]] = doc
    return docs


def shared_pairs(a: dict[str, Doc], b: dict[str, Doc]) -> list[tuple[Doc, Doc]]:
    """(A document, B document) for every id in both corpora, in A's order; texts must agree."""
    pairs = []
    for doc_id, doc_a in a.items():
        doc_b = b.get(doc_id)
        if doc_b is None:
            continue
        if (doc_a["title"], doc_a["abstract"]) != (doc_b["title"], doc_b["abstract"]):
            raise ValueError(f"{doc_id}: title or abstract differs between the two files")
        pairs.append((doc_a, doc_b))
    return pairs


# --------------------------------------------------------------------------- matching

def overlaps(x: Span, y: Span) -> bool:
    return x[0] < y[1] and y[0] < x[1]


def jaccard(x: Span, y: Span) -> float:
    inter = max(0, min(x[1], y[1]) - max(x[0], y[0]))
    return inter / (max(x[1], y[1]) - min(x[0], y[0]))


def _hungarian(cost: list[list[float]]) -> list[int]:
    """Column assigned to each row of a square cost matrix, minimising the total cost."""
    n = len(cost)
    inf = float("inf")
    u, v = [0.0] * (n + 1), [0.0] * (n + 1)
    p, way = [0] * (n + 1), [0] * (n + 1)  # p[j]: row (1-based) assigned to column j
    for i in range(1, n + 1):
        p[0], j0 = i, 0
        minv, used = [inf] * (n + 1), [False] * (n + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = p[j0], inf, 0
            for j in range(1, n + 1):
                if not used[j]:
                    cur = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(n + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    assignment = [-1] * n
    for j in range(1, n + 1):
        if p[j]:
            assignment[p[j] - 1] = j - 1
    return assignment


def max_matching(n_a: int, n_b: int, score: Callable[[int, int], Optional[float]]) -> list[tuple[int, int]]:
    """A largest one-to-one set of compatible (i, j) pairs; among those, the best total score.

    `score(i, j)` is None when item i of A and item j of B cannot be paired, else a tie-break
    in [0, 1] (higher is better).
    """
    size = max(n_a, n_b)
    if not n_a or not n_b:
        return []
    big = size + 1  # any extra pair outweighs all tie-breaks together
    scores = [[score(i, j) if i < n_a and j < n_b else None for j in range(size)] for i in range(size)]
    cost = [[-(big + s) if s is not None else 0.0 for s in row] for row in scores]
    return [(i, j) for i, j in enumerate(_hungarian(cost)) if i < n_a and j < n_b and scores[i][j] is not None]


# --------------------------------------------------------------------------- statistics

def prf(matched: int, n_a: int, n_b: int) -> dict[str, Any]:
    """Counts with precision and recall (A as reference) and F1; None where undefined."""
    return {
        "n_a": n_a, "n_b": n_b, "matched": matched,
        "precision": matched / n_b if n_b else None,
        "recall": matched / n_a if n_a else None,
        "f1": 2 * matched / (n_a + n_b) if n_a + n_b else None,
    }


def cohen_kappa(labels_a: list[str], labels_b: list[str]) -> Optional[float]:
    """Cohen's kappa of two equally long label sequences; None when undefined (chance agreement 1)."""
    if len(labels_a) != len(labels_b):
        raise ValueError("label sequences differ in length")
    n = len(labels_a)
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(labels_a, labels_b)) / n
    count_a, count_b = Counter(labels_a), Counter(labels_b)
    expected = sum(count_a[k] * count_b[k] for k in count_a) / (n * n)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def categorical_agreement(labels_a: list[str], labels_b: list[str]) -> dict[str, Any]:
    n = len(labels_a)
    agree = sum(x == y for x, y in zip(labels_a, labels_b))
    confusion = Counter(zip(labels_a, labels_b))
    return {
        "n": n, "agree": agree, "accuracy": agree / n if n else None,
        "kappa": cohen_kappa(labels_a, labels_b),
        "confusion": [{"a": x, "b": y, "count": c} for (x, y), c in sorted(confusion.items())],
    }


# --------------------------------------------------------------------------- entities

def _span(ent: dict[str, Any]) -> Span:
    return ent["start"], ent["end"]


def entity_matches(doc_a: Doc, doc_b: Doc, label: str, mode: str) -> tuple[int, int, int]:
    """(n_a, n_b, matched) for one label in one document; mode 'exact' or 'overlap'."""
    spans_a = [_span(e) for e in doc_a["entities"] if e["label"] == label]
    spans_b = [_span(e) for e in doc_b["entities"] if e["label"] == label]
    if mode == "exact":
        matched = sum((Counter(spans_a) & Counter(spans_b)).values())
    else:
        matched = len(max_matching(len(spans_a), len(spans_b),
                                   lambda i, j: jaccard(spans_a[i], spans_b[j])
                                   if overlaps(spans_a[i], spans_b[j]) else None))
    return len(spans_a), len(spans_b), matched


def entity_agreement(pairs: list[tuple[Doc, Doc]]) -> dict[str, dict[str, Any]]:
    """{'exact'|'overlap': {label: prf, ..., 'ALL': prf}} over all shared documents."""
    labels = sorted({e["label"] for a, b in pairs for e in a["entities"] + b["entities"]})
    result: dict[str, dict[str, Any]] = {}
    for mode in ("exact", "overlap"):
        totals = {label: [0, 0, 0] for label in labels}
        for doc_a, doc_b in pairs:
            for label in labels:
                for k, x in enumerate(entity_matches(doc_a, doc_b, label, mode)):
                    totals[label][k] += x
        per_label = {label: prf(m, na, nb) for label, (na, nb, m) in totals.items()}
        all_counts = [sum(t[k] for t in totals.values()) for k in range(3)]
        per_label["ALL"] = prf(all_counts[2], all_counts[0], all_counts[1])
        result[mode] = per_label
    return result


# --------------------------------------------------------------------------- relations

def _resolved(doc: Doc) -> list[dict[str, Any]]:
    """Relations with their entity ids replaced by spans; comparator as (span or None, text)."""
    spans = {e["id"]: _span(e) for e in doc["entities"]}
    texts = {e["id"]: e["text"] for e in doc["entities"]}
    out = []
    for rel in doc["relations"]:
        r = {"head": spans[rel["head"]], "tail": spans[rel["tail"]], "direction": rel["direction"]}
        for slot in SPAN_SLOTS:
            r[slot] = spans.get(rel.get(slot)) if rel.get(slot) else None
        comparator = rel.get("comparator")
        r["comparator"] = (spans.get(comparator), texts.get(comparator, comparator)) if comparator else None
        out.append(r)
    return out


def _normalised(text: str) -> str:
    text = " ".join(text.casefold().split())
    return text[4:] if text.startswith("the ") else text


def _slot_agrees(x: Any, y: Any) -> bool:
    """Both null, or overlapping spans; comparators (span or None, text) also by equal text."""
    if x is None or y is None:
        return x is None and y is None
    if isinstance(x[0], int):
        return overlaps(x, y)
    (span_x, text_x), (span_y, text_y) = x, y
    return (span_x is not None and span_y is not None and overlaps(span_x, span_y)) \
        or _normalised(text_x) == _normalised(text_y)


def relation_matching(rels_a: list[dict[str, Any]], rels_b: list[dict[str, Any]],
                      directed: bool) -> list[tuple[int, int]]:
    """One-to-one pairs of relations whose heads and tails overlap (and directions agree if directed)."""
    def score(i: int, j: int) -> Optional[float]:
        ra, rb = rels_a[i], rels_b[j]
        if not (overlaps(ra["head"], rb["head"]) and overlaps(ra["tail"], rb["tail"])):
            return None
        if directed and ra["direction"] != rb["direction"]:
            return None
        tie = (jaccard(ra["head"], rb["head"]) + jaccard(ra["tail"], rb["tail"])
               + _slot_agrees(ra["timepoint"], rb["timepoint"]) + _slot_agrees(ra["value"], rb["value"]))
        return tie / 4
    return max_matching(len(rels_a), len(rels_b), score)


def relation_agreement(pairs: list[tuple[Doc, Doc]]) -> dict[str, Any]:
    counts = {DIRECTED: [0, 0, 0], UNDIRECTED: [0, 0, 0]}
    dirs_a: list[str] = []
    dirs_b: list[str] = []
    slot_agree = Counter()
    for doc_a, doc_b in pairs:
        rels_a, rels_b = _resolved(doc_a), _resolved(doc_b)
        for key, directed in ((DIRECTED, True), (UNDIRECTED, False)):
            matched = relation_matching(rels_a, rels_b, directed)
            counts[key][0] += len(rels_a)
            counts[key][1] += len(rels_b)
            counts[key][2] += len(matched)
            if directed:
                continue
            for i, j in matched:
                dirs_a.append(rels_a[i]["direction"])
                dirs_b.append(rels_b[j]["direction"])
                for slot in SPAN_SLOTS + ("comparator",):
                    slot_agree[slot] += _slot_agrees(rels_a[i][slot], rels_b[j][slot])
    n_pairs = len(dirs_a)
    return {
        DIRECTED: prf(counts[DIRECTED][2], counts[DIRECTED][0], counts[DIRECTED][1]),
        UNDIRECTED: prf(counts[UNDIRECTED][2], counts[UNDIRECTED][0], counts[UNDIRECTED][1]),
        "direction": categorical_agreement(dirs_a, dirs_b),
        "slots": {slot: {"agree": slot_agree[slot], "n": n_pairs,
                         "accuracy": slot_agree[slot] / n_pairs if n_pairs else None}
                  for slot in SPAN_SLOTS + ("comparator",)},
    }


# --------------------------------------------------------------------------- report

def agreement(a: dict[str, Doc], b: dict[str, Doc]) -> dict[str, Any]:
    """Every agreement figure for the documents shared by corpora a and b."""
    pairs = shared_pairs(a, b)
    return {
        "documents": {"shared": len(pairs), "only_a": len(set(a) - set(b)), "only_b": len(set(b) - set(a))},
        "entities": entity_agreement(pairs),
        "relations": relation_agreement(pairs),
        "document_labels": {key: categorical_agreement([x[key] for x, _ in pairs], [y[key] for _, y in pairs])
                            for key in ("study_design", "organism")},
    }


def _f(x: Optional[float]) -> str:
    return "  n/a" if x is None else f"{x:5.3f}"


def _prf_cells(r: dict[str, Any]) -> str:
    return f"{r['matched']:5d} {_f(r['precision'])} {_f(r['recall'])} {_f(r['f1'])}"


def _confusion_lines(confusion: list[dict[str, Any]], indent: str = "    ") -> list[str]:
    rows = sorted({c["a"] for c in confusion})
    cols = sorted({c["b"] for c in confusion})
    table = {(c["a"], c["b"]): c["count"] for c in confusion}
    width = max(len(x) for x in rows + cols + ["A \\ B"]) + 1
    lines = [indent + "A \\ B".ljust(width) + "".join(c.rjust(width) for c in cols)]
    for r in rows:
        lines.append(indent + r.ljust(width) + "".join(str(table.get((r, c), 0)).rjust(width) for c in cols))
    return lines


def format_report(res: dict[str, Any], name_a: str, name_b: str) -> str:
    d = res["documents"]
    lines = [f"A = {name_a} (reference for precision/recall)", f"B = {name_b}",
             f"shared documents: {d['shared']} (only in A: {d['only_a']}, only in B: {d['only_b']})", "",
             "ENTITIES            n_A   n_B |  exact:  match     P     R    F1 | overlap: match     P     R    F1"]
    exact, overlap = res["entities"]["exact"], res["entities"]["overlap"]
    for label in exact:
        e, o = exact[label], overlap[label]
        lines.append(f"  {label:<15} {e['n_a']:5d} {e['n_b']:5d} |        {_prf_cells(e)} |        {_prf_cells(o)}")
    rel = res["relations"]
    lines += ["", "RELATIONS (head and tail spans matched by overlap, one-to-one)",
              "                            n_A   n_B  match     P     R    F1"]
    for key, name in ((DIRECTED, "(head, tail, direction)"), (UNDIRECTED, "(head, tail)")):
        r = rel[key]
        lines.append(f"  {name:<24} {r['n_a']:5d} {r['n_b']:5d}  {_prf_cells(r)}")
    direction = rel["direction"]
    lines += ["", f"DIRECTION on the {direction['n']} pairs matched on (head, tail): "
                  f"accuracy {_f(direction['accuracy'])}, Cohen's kappa {_f(direction['kappa'])}"]
    if direction["confusion"]:
        lines += _confusion_lines(direction["confusion"])
    lines += ["", "RELATION SLOTS on the same pairs (agree = both null, or overlapping spans; comparator also same text)"]
    for slot, s in rel["slots"].items():
        lines.append(f"  {slot:<12} {s['agree']:3d} / {s['n']:<3d} {_f(s['accuracy'])}")
    lines += ["", "DOCUMENT LABELS      n  agree  accuracy  kappa"]
    for key, s in res["document_labels"].items():
        lines.append(f"  {key:<15} {s['n']:4d} {s['agree']:6d}     {_f(s['accuracy'])}  {_f(s['kappa'])}")
    for key, s in res["document_labels"].items():
        disagreements = [c for c in s["confusion"] if c["a"] != c["b"]]
        if disagreements:
            lines.append(f"  {key} disagreements (A -> B): "
                         + ", ".join(f"{c['a']} -> {c['b']} ({c['count']})" for c in disagreements))
    return "\n".join(lines)


def _entity_text(doc: Doc, span: Span) -> str:
    return (doc["title"] + "\n\n" + doc["abstract"])[span[0]:span[1]]


def _slot_text(doc: Doc, x: Any) -> Optional[str]:
    if x is None:
        return None
    return _entity_text(doc, x) if isinstance(x[0], int) else x[1]


def format_details(a: dict[str, Doc], b: dict[str, Doc]) -> str:
    """Per document: entities and relations without a partner under overlap matching, matched
    ones that differ (span, direction, slots), and differing document labels."""
    lines = []
    for doc_a, doc_b in shared_pairs(a, b):
        out = []
        labels = sorted({e["label"] for e in doc_a["entities"] + doc_b["entities"]})
        for label in labels:
            ents_a = [e for e in doc_a["entities"] if e["label"] == label]
            ents_b = [e for e in doc_b["entities"] if e["label"] == label]
            matched = max_matching(len(ents_a), len(ents_b),
                                   lambda i, j: jaccard(_span(ents_a[i]), _span(ents_b[j]))
                                   if overlaps(_span(ents_a[i]), _span(ents_b[j])) else None)
            for i, j in matched:
                if _span(ents_a[i]) != _span(ents_b[j]):
                    out.append(f"  ~ {label:<12} A {ents_a[i]['text']!r}  B {ents_b[j]['text']!r}")
            done_a, done_b = {i for i, _ in matched}, {j for _, j in matched}
            out += [f"  A {label:<12} {e['text']!r}" for i, e in enumerate(ents_a) if i not in done_a]
            out += [f"  B {label:<12} {e['text']!r}" for j, e in enumerate(ents_b) if j not in done_b]
        rels_a, rels_b = _resolved(doc_a), _resolved(doc_b)
        matched = relation_matching(rels_a, rels_b, directed=False)

        def show(doc: Doc, r: dict[str, Any]) -> str:
            return f"{_entity_text(doc, r['head'])!r} -> {_entity_text(doc, r['tail'])!r} ({r['direction']})"
        for i, j in matched:
            if rels_a[i]["direction"] != rels_b[j]["direction"]:
                out.append(f"  ~ relation  A {show(doc_a, rels_a[i])}  B {show(doc_b, rels_b[j])}")
            for slot in SPAN_SLOTS + ("comparator",):
                x, y = rels_a[i][slot], rels_b[j][slot]
                if not _slot_agrees(x, y):
                    out.append(f"  ~ {slot:<11} of {show(doc_a, rels_a[i])}: "
                               f"A {_slot_text(doc_a, x)!r}  B {_slot_text(doc_b, y)!r}")
        done_a, done_b = {i for i, _ in matched}, {j for _, j in matched}
        out += [f"  A relation  {show(doc_a, r)}" for i, r in enumerate(rels_a) if i not in done_a]
        out += [f"  B relation  {show(doc_b, r)}" for j, r in enumerate(rels_b) if j not in done_b]
        for key in ("study_design", "organism"):
            if doc_a[key] != doc_b[key]:
                out.append(f"  ~ {key}  A {doc_a[key]}  B {doc_b[key]}")
        if out:
            lines += [doc_a["id"]] + out
    return "\n".join(["DETAILS (~ matched but different; A/B: only in that file)"] + lines)


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a", type=Path, metavar="A.jsonl", help="first annotator's built corpus (reference)")
    ap.add_argument("b", type=Path, metavar="B.jsonl", help="second annotator's built corpus")
    out = ap.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the figures as JSON")
    out.add_argument("--details", action="store_true", help="also list the disagreements document by document")
    args = ap.parse_args(argv)
    a, b = load_corpus(args.a), load_corpus(args.b)
    try:
        res = agreement(a, b)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if res["documents"]["shared"] == 0:
        print("error: the two files share no document id", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print(format_report(res, str(args.a), str(args.b)))
    if args.details:
        print()
        print(format_details(a, b))
    return 0


if __name__ == "__main__":
    sys.exit(main())
