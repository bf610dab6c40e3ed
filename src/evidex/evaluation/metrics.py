"""Scores: token-level P/R/F1 (as BLURB scores EBM-NLP PICO) and strict entity P/R/F1.

Both are small set/count computations; they are checked against hand-computed cases in
tests/test_metrics.py. (seqeval scores entity spans from BIO sequences; evidex scores
character spans from standoff files and token labels, so it counts directly.)
"""

from __future__ import annotations

from collections import Counter
from typing import Hashable, Iterable, Sequence


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp, "fp": fp, "fn": fn}


def token_scores(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], labels: Sequence[str]) -> dict:
    """Per-label token P/R/F1 and their macro average over `labels`.
    `gold`/`pred` are per-sentence label sequences (B-/I- prefixes are ignored: a token counts
    for its type)."""
    counts = {label: Counter() for label in labels}
    for g_seq, p_seq in zip(gold, pred, strict=True):
        if len(g_seq) != len(p_seq):
            raise ValueError("gold and predicted sequences differ in length")
        for g, p in zip(g_seq, p_seq):
            g, p = g.split("-", 1)[-1], p.split("-", 1)[-1]
            for label in labels:
                if p == label and g == label:
                    counts[label]["tp"] += 1
                elif p == label:
                    counts[label]["fp"] += 1
                elif g == label:
                    counts[label]["fn"] += 1
    per_label = {label: prf(c["tp"], c["fp"], c["fn"]) for label, c in counts.items()}
    macro = sum(s["f1"] for s in per_label.values()) / len(labels) if labels else 0.0
    return {"macro_f1": round(macro, 4), "per_label": per_label}


def entity_scores(gold: Iterable[tuple[Hashable, int, int, str]], pred: Iterable[tuple[Hashable, int, int, str]],
                  labels: Sequence[str]) -> dict:
    """Strict entity P/R/F1: a prediction counts only with exactly the gold document, start, end
    and label. Items are (doc_id, start, end, label)."""
    gold_set, pred_set = set(gold), set(pred)
    per_label = {}
    for label in labels:
        g = {x for x in gold_set if x[3] == label}
        p = {x for x in pred_set if x[3] == label}
        per_label[label] = prf(len(g & p), len(p - g), len(g - p))
    macro = sum(s["f1"] for s in per_label.values()) / len(labels) if labels else 0.0
    return {"macro_f1": round(macro, 4), "per_label": per_label}
