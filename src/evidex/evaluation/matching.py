"""Span and relation scores with one-to-one matching: exact and overlapping entity spans,
(head, outcome, direction) relations, and the table's deduplicated triples.

Every score here pairs predictions with gold items one-to-one (a maximum bipartite matching),
so a long predicted span that overlaps two gold spans is credited once, and one gold span cannot
make two predictions correct. Precision and recall share the same true positives:
P = matched / predicted, R = matched / gold. All counts are micro over documents; items of
different documents never match.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Callable, Hashable, Iterable, NamedTuple, Sequence

from .metrics import prf

Span = tuple[int, int]


def overlaps(a: Span, b: Span) -> bool:
    """At least one character in common (end offsets are exclusive)."""
    return a[0] < b[1] and b[0] < a[1]


def _closeness(a: Span, b: Span) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / max(1, max(a[1], b[1]) - min(a[0], b[0]))


def max_matching(n_left: int, n_right: int, compatible: Callable[[int, int], bool],
                 preference: Callable[[int, int], float] | None = None) -> list[tuple[int, int]]:
    """A maximum one-to-one matching between left items 0..n_left-1 and right items
    0..n_right-1 where `compatible(i, j)` allows i-j (augmenting paths, Kuhn's algorithm).
    `preference` only orders the candidates tried first: it changes which pairs are chosen
    among equally large matchings, never how many."""
    options = []
    for i in range(n_left):
        js = [j for j in range(n_right) if compatible(i, j)]
        if preference is not None:
            js.sort(key=lambda j: -preference(i, j))
        options.append(js)
    owner = [-1] * n_right  # left item matched to each right item

    def augment(i: int, visited: set[int]) -> bool:
        for j in options[i]:
            if j in visited:
                continue
            visited.add(j)
            if owner[j] < 0 or augment(owner[j], visited):
                owner[j] = i
                return True
        return False

    for i in range(n_left):
        augment(i, set())
    return sorted((i, j) for j, i in enumerate(owner) if i >= 0)


def _by_key(items: Iterable, key: Callable) -> dict[Hashable, list]:
    groups: dict[Hashable, list] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return groups


# --------------------------------------------------------------------------- entities

def span_scores(gold: Iterable[tuple[Hashable, int, int, str]], pred: Iterable[tuple[Hashable, int, int, str]],
                labels: Sequence[str], mode: str = "exact") -> dict:
    """Per-label entity P/R/F1 and their macro average over `labels`. Items are
    (doc_id, start, end, label); repeated items count once.

    - exact: a prediction is a true positive when a gold span of the same document and label has
      the same start and end.
    - overlap: a prediction is a true positive when it is paired with a gold span of the same
      document and label that shares at least one character with it, in a maximum one-to-one
      matching of predicted and gold spans (so a prediction covering two gold spans is credited
      once, and the other gold span is a false negative).
    """
    if mode not in ("exact", "overlap"):
        raise ValueError(f"mode must be 'exact' or 'overlap', not {mode!r}")
    gold_by = _by_key(set(gold), lambda x: (x[0], x[3]))
    pred_by = _by_key(set(pred), lambda x: (x[0], x[3]))
    counts = {label: Counter() for label in labels}
    for key in set(gold_by) | set(pred_by):
        label = key[1]
        if label not in counts:
            continue
        g, p = gold_by.get(key, []), pred_by.get(key, [])
        if mode == "exact":
            tp = len(set(g) & set(p))
        else:
            tp = len(max_matching(len(p), len(g), lambda i, j: overlaps(p[i][1:3], g[j][1:3])))
        counts[label]["tp"] += tp
        counts[label]["fp"] += len(p) - tp
        counts[label]["fn"] += len(g) - tp
    per_label = {label: prf(c["tp"], c["fp"], c["fn"]) for label, c in counts.items()}
    macro = sum(s["f1"] for s in per_label.values()) / len(labels) if labels else 0.0
    return {"macro_f1": round(macro, 4), "per_label": per_label}


# --------------------------------------------------------------------------- relations

class Relation(NamedTuple):
    """A therapy -> outcome finding of one document. `head_key`/`tail_key` name the concept of
    each span (a knowledge-base id, else the normalised text) for the looser concept match."""

    doc_id: Hashable
    head: Span
    tail: Span
    direction: str
    head_key: str = ""
    tail_key: str = ""


def _same_mention(a: Relation, b: Relation) -> bool:
    return overlaps(a.head, b.head) and overlaps(a.tail, b.tail)


def _same_concept(a: Relation, b: Relation) -> bool:
    head = overlaps(a.head, b.head) or (a.head_key != "" and a.head_key == b.head_key)
    tail = overlaps(a.tail, b.tail) or (a.tail_key != "" and a.tail_key == b.tail_key)
    return head and tail


def _preference(a: Relation, b: Relation) -> float:
    return _closeness(a.head, b.head) + _closeness(a.tail, b.tail)


def match_relations(gold: Sequence[Relation], pred: Sequence[Relation], same: Callable[[Relation, Relation], bool],
                    directed: bool = True, skip_gold: set[int] = frozenset(), skip_pred: set[int] = frozenset()
                    ) -> list[tuple[int, int]]:
    """(gold index, predicted index) pairs of a maximum one-to-one matching, document by
    document, where `same` accepts the head and tail and (if `directed`) the directions are equal.
    Indices in `skip_gold`/`skip_pred` take no part."""
    pairs = []
    gold_by = _by_key((i for i in range(len(gold)) if i not in skip_gold), lambda i: gold[i].doc_id)
    pred_by = _by_key((j for j in range(len(pred)) if j not in skip_pred), lambda j: pred[j].doc_id)
    for doc_id, gs in gold_by.items():
        ps = pred_by.get(doc_id, [])

        def ok(a: int, b: int) -> bool:
            g, p = gold[gs[a]], pred[ps[b]]
            return same(g, p) and (not directed or g.direction == p.direction)

        found = max_matching(len(gs), len(ps), ok, lambda a, b: _preference(gold[gs[a]], pred[ps[b]]))
        pairs.extend((gs[a], ps[b]) for a, b in found)
    return sorted(pairs)


def _counted(gold: Sequence[Relation], pred: Sequence[Relation], matched: list[tuple[int, int]]) -> dict:
    return prf(len(matched), len(pred) - len(matched), len(gold) - len(matched))


def relation_scores(gold: Sequence[Relation], pred: Sequence[Relation], directions: Sequence[str]) -> dict:
    """Relation P/R/F1 under one-to-one matching (see `match_relations`):

    - headline (`precision`, `recall`, `f1`): a prediction is correct when its head span overlaps
      the gold head span, its outcome span overlaps the gold tail span, and the directions are
      equal; `per_label` splits these counts by direction (a correct prediction has the gold
      direction, so the per-direction counts add up to the headline ones) and `macro_f1`
      averages their F1 over `directions`;
    - `pairs`: the same without the direction (did the extractor find the finding at all);
    - `concept`: head and outcome each match by overlap or by the same concept key (so the main
      therapy named in the title matches the gold head mentioned later), direction equal;
    - `direction_confusion`: gold direction -> predicted direction over the findings that match
      with the direction, then the remaining ones that match without it.
    """
    directed = match_relations(gold, pred, _same_mention)
    result = _counted(gold, pred, directed)
    per_label = {}
    for d in directions:
        tp = sum(1 for i, _ in directed if gold[i].direction == d)
        n_pred = sum(1 for r in pred if r.direction == d)
        n_gold = sum(1 for r in gold if r.direction == d)
        per_label[d] = prf(tp, n_pred - tp, n_gold - tp)
    result["macro_f1"] = round(sum(s["f1"] for s in per_label.values()) / len(directions), 4) if directions else 0.0
    result["per_label"] = per_label
    result["pairs"] = _counted(gold, pred, match_relations(gold, pred, _same_mention, directed=False))
    result["concept"] = _counted(gold, pred, match_relations(gold, pred, _same_concept))
    rest = match_relations(gold, pred, _same_mention, directed=False,
                           skip_gold={i for i, _ in directed}, skip_pred={j for _, j in directed})
    confusion: dict[str, Counter] = defaultdict(Counter)
    for i, j in directed + rest:
        confusion[gold[i].direction][pred[j].direction] += 1
    result["direction_confusion"] = {g: dict(sorted(c.items())) for g, c in sorted(confusion.items())}
    return result


def triple_scores(gold: Iterable[tuple], pred: Iterable[tuple]) -> dict:
    """P/R/F1 over sets of hashable items (e.g. (doc_id, head text, outcome text, direction)
    triples, the table's view): repeated items count once, a prediction is correct when the
    same item is in the gold set."""
    g, p = set(gold), set(pred)
    return prf(len(g & p), len(p - g), len(g - p))
