"""`evidex evaluate linking`: the linker on the gold concept ids of the in-domain corpus.

Gold spans are given: each POPULATION, INTERVENTION, CELL_TYPE and OUTCOME entity of the split
carries a gold `kb_id` (a KB concept, or NIL; GUIDELINES.md section 9), and the linker predicts
an id or NIL for it from its text, its label and the long form the abbreviation detector
finds for it in the document, exactly as `evidex_linker` does in the pipeline. Scores:

- `accuracy`: predicted id == gold id (NIL included), over all mentions and per label;
- `in_kb_accuracy`: the same over mentions whose gold is a concept;
- `linked_precision`: correct among the mentions the linker did not call NIL;
- `nil`: precision / recall / F1 of NIL as a class;
- `exact_only_accuracy`: what exact name/synonym matching alone would score (steps 1 of the linker);
- `by_step`: how many links each step made and how many were right.

`thresholds` scores several candidate thresholds in one pass (candidates are generated once),
which is how the default threshold was chosen on the dev split.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Iterable, Optional, Sequence

from ..kb import NIL
from ..schema import CONCEPT_LABELS, TITLE_SEPARATOR
from .metrics import prf

CORPORA = ("t1d_cell_therapy",)
CONTEXT_PIPES = ("sentences", "abbreviations", "linker")


def context_pipeline(config: Optional[str] = None, overrides: Optional[dict] = None):
    """The pipeline's tokenizer, sentences and abbreviation detector, plus its linker (as the
    config sets it up): what the linker sees in a real run, without the tagger (gold spans
    replace it), the other rules or the relation model."""
    import spacy
    from thinc.api import Config

    from ..pipeline import default_config_path

    cfg = Config().from_disk(config or default_config_path(), overrides=overrides or {})
    cfg["nlp"]["pipeline"] = [p for p in cfg["nlp"]["pipeline"] if p in CONTEXT_PIPES]
    missing = set(CONTEXT_PIPES) - set(cfg["nlp"]["pipeline"])
    if missing:
        raise ValueError(f"the pipeline config lacks {sorted(missing)}")
    return spacy.util.load_model_from_config(cfg, auto_fill=True, validate=True)


def corpus_documents(split: str, path: Optional[Path] = None) -> list[dict]:
    from ..corpus.documents import load_documents
    from ..paths import T1D_CORPUS

    return load_documents(split, Path(path or T1D_CORPUS))


def mentions(nlp, docs: Iterable[dict]) -> list[dict]:
    """Gold concept mentions with what the linker sees of their context (the long form)."""
    from ..extensions import abbreviation_pairs

    out = []
    context = [p for p in CONTEXT_PIPES if p != "linker"]
    for d in docs:
        text = d["title"] + TITLE_SEPARATOR + d["abstract"]
        with nlp.select_pipes(enable=context):
            doc = nlp(text)
        long_forms = {(s.start_char, s.end_char): lf.text for s, lf in abbreviation_pairs(doc)}
        for ent in d["entities"]:
            if ent["label"] not in CONCEPT_LABELS:
                continue
            if "kb_id" not in ent:
                raise ValueError(f"{d['id']} {ent['id']}: no gold kb_id (GUIDELINES.md section 9)")
            out.append({"doc_id": d["id"], "entity": ent["id"], "text": ent["text"], "label": ent["label"],
                        "gold": ent["kb_id"], "long_form": long_forms.get((ent["start"], ent["end"]))})
    return out


def score(items: Sequence[dict], preds: Sequence) -> dict:
    n = len(items)
    correct = [p.id == m["gold"] for m, p in zip(items, preds)]
    per_label = {}
    for label in CONCEPT_LABELS:
        idx = [i for i, m in enumerate(items) if m["label"] == label]
        if idx:
            per_label[label] = {"accuracy": round(sum(correct[i] for i in idx) / len(idx), 4), "mentions": len(idx)}
    in_kb = [c for m, c in zip(items, correct) if m["gold"] != NIL]
    linked = [c for p, c in zip(preds, correct) if p.id != NIL]
    tp = sum(1 for m, p in zip(items, preds) if m["gold"] == NIL and p.id == NIL)
    fp = sum(1 for m, p in zip(items, preds) if m["gold"] != NIL and p.id == NIL)
    fn = sum(1 for m, p in zip(items, preds) if m["gold"] == NIL and p.id != NIL)
    steps: dict[str, Counter] = {}
    for p, c in zip(preds, correct):
        steps.setdefault(p.how, Counter())["links"] += 1
        steps[p.how]["correct"] += int(c)
    return {
        "accuracy": round(sum(correct) / n, 4) if n else 0.0,
        "mentions": n,
        "per_label": per_label,
        "in_kb_accuracy": round(sum(in_kb) / len(in_kb), 4) if in_kb else 0.0,
        "linked_precision": round(sum(linked) / len(linked), 4) if linked else 0.0,
        "nil": {**prf(tp, fp, fn), "gold": tp + fn, "predicted": tp + fp},
        "by_step": {k: dict(v) for k, v in sorted(steps.items())},
    }


def evaluate(corpus: str = "t1d_cell_therapy", split: str = "test", threshold: Optional[float] = None,
             thresholds: Sequence[float] = (), config: Optional[str] = None, corpus_path: Optional[Path] = None,
             errors: int = 0) -> dict:
    """Score the linker on the gold spans of `split`; see the module docstring for the metrics."""
    if corpus not in CORPORA:
        raise ValueError(f"unknown corpus {corpus!r}; choose {', '.join(CORPORA)}")
    nlp = context_pipeline(config)
    linker = nlp.get_pipe("linker")
    threshold = linker.threshold if threshold is None else threshold
    items = mentions(nlp, corpus_documents(split, corpus_path))
    runs = linker.link_mentions([(m["text"], m["label"], m["long_form"]) for m in items],
                                thresholds=[threshold, *thresholds])
    preds, swept = (runs[0], runs[1:]) if thresholds else (runs, [])
    metrics = score(items, preds)
    metrics["threshold"] = threshold
    metrics["exact_only_accuracy"] = round(
        sum((p.id if p.how in ("exact", "long_form") else NIL) == m["gold"] for m, p in zip(items, preds)) / len(items), 4
    ) if items else 0.0
    result = {"task": "linking", "corpus": corpus, "split": split, "metrics": metrics}
    if thresholds:
        result["sweep"] = [{"threshold": t, "accuracy": score(items, ps)["accuracy"]} for t, ps in zip(thresholds, swept)]
    if errors:
        result["errors"] = [{**{k: m[k] for k in ("doc_id", "entity", "text", "label", "gold")},
                             "predicted": p.id, "score": p.score, "how": p.how}
                            for m, p in zip(items, preds) if p.id != m["gold"]][:errors]
    return result
