"""`evidex evaluate relations`: the relation classifier on Evidence Inference 2.0.

For each test prompt (intervention, comparator, outcome) whose evidence lies in the abstract,
the classifier reads every sentence of the abstract with the prompt, takes the sentence most
likely to state a relation (highest 1 - P(none)) and reports that sentence's direction
(increase, decrease or no difference). The oracle score gives it the gold evidence sentence.
Scores: macro F1 over the three labels and accuracy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from ..nn.entity_markers import mark_phrases
from ..nn.pair_classifier import PairClassifier, prompt_text
from ..schema import DECREASE, INCREASE, NO_DIFFERENCE
from ..training import corpora
from ..training.corpora import SentenceSplitter
from ..training.relation_corpora import evidence_inference
from ..training.relation_data import evidence_sentences
from .metrics import token_scores

THREE = [INCREASE, DECREASE, NO_DIFFERENCE]


def load_relation_model(model: str | Path):
    from ..nn.encoder import load_tokenizer
    from ..paths import model_path

    clf = PairClassifier.from_pretrained(model_path(model))
    return clf, load_tokenizer(clf.config.encoder)


def _direction(probs, labels: list[str]) -> str:
    return max(THREE, key=lambda d: float(probs[labels.index(d)]))


def most_relevant(none_probs: list[float], owners: list[int]) -> dict[int, int]:
    """For each prompt (owner), the row of its sentence least likely to state no relation."""
    best: dict[int, int] = {}
    for row, owner in enumerate(owners):
        if owner not in best or none_probs[row] < none_probs[best[owner]]:
            best[owner] = row
    return best


def evaluate(split: str = "test", model: str | Path = "relations", data: Optional[Path] = None, limit: int = 0,
             details: bool = False) -> dict:
    """Scores; with `details`, also `result["predictions"]`: per prompt, the gold and predicted
    labels, the sentence chosen and the gold evidence sentence (for error analysis)."""
    clf, tokenizer = load_relation_model(model)
    root = Path(data) if data else corpora.data_dir()
    ei_split = "validation" if split == "dev" else split
    prompts = [p for p in evidence_inference(ei_split, root) if p.evidence]
    if limit:
        prompts = prompts[:limit]
    splitter = SentenceSplitter()
    labels = clf.config.labels
    pairs, owners, oracle_pairs, kept, gold_sentences = [], [], [], [], []
    sentences_of: dict[str, list[tuple[int, int]]] = {}
    for p in prompts:
        sentences = sentences_of.setdefault(p.pmcid, splitter(p.abstract))
        gold = evidence_sentences(p, sentences)
        if not gold:
            continue
        text = prompt_text(p.intervention, p.outcome, p.comparator)
        kept.append(p)

        def shown(sentence: str) -> str:
            return mark_phrases(sentence, p.outcome, p.intervention) if clf.config.markers else sentence

        for s, e in sentences:
            pairs.append((text, shown(p.abstract[s:e])))
            owners.append(len(kept) - 1)
        oracle_pairs.append((text, shown(p.abstract[slice(*sentences[gold[0]])])))
        gold_sentences.append(p.abstract[slice(*sentences[gold[0]])])
    probs = clf.predict(tokenizer, pairs)
    oracle = clf.predict(tokenizer, oracle_pairs)
    best = most_relevant(probs[:, labels.index("none")].tolist(), owners)
    predicted = [_direction(probs[best[i]], labels) for i in range(len(kept))]
    oracle_pred = [_direction(oracle[i], labels) for i in range(len(kept))]
    gold = [p.label for p in kept]
    full = token_scores([gold], [predicted], THREE)
    orc = token_scores([gold], [oracle_pred], THREE)
    accuracy = sum(g == p for g, p in zip(gold, predicted)) / len(gold) if gold else 0.0
    result = {"task": "relations", "corpus": "evidence_inference", "split": split, "model": str(model),
              "metrics": {"macro_f1": full["macro_f1"], "accuracy": round(accuracy, 4),
                          "oracle_macro_f1": orc["macro_f1"],
                          "oracle_accuracy": round(sum(g == p for g, p in zip(gold, oracle_pred)) / max(1, len(gold)), 4),
                          "per_label": full["per_label"], "prompts": len(kept)}}
    if details:
        result["predictions"] = [
            {"pmcid": p.pmcid, "intervention": p.intervention, "comparator": p.comparator, "outcome": p.outcome,
             "gold": g, "predicted": pr, "oracle": o, "chosen_sentence": pairs[best[i]][1],
             "gold_sentence": gold_sentences[i], "chosen_is_gold": pairs[best[i]][1] == oracle_pairs[i][1]}
            for i, (p, g, pr, o) in enumerate(zip(kept, gold, predicted, oracle_pred))]
    return result
