"""The relation classifier: training pairs from the in-domain corpus, sentence choice at
evaluation, and a training smoke test (no public corpus needed)."""

import random
from pathlib import Path

import pytest
import torch

from evidex.evaluation.relations import _direction, most_relevant
from evidex.nn.pair_classifier import RELATION_LABELS, PairClassifier
from evidex.training.relation_data import SentenceSplitter, t1d_examples

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def splitter():
    return SentenceSplitter()


def test_in_domain_pairs_carry_annotated_directions_and_negatives(splitter):
    pairs = t1d_examples("dev", splitter, negatives=2, rng=random.Random(0))
    labels = {p.label for p in pairs}
    assert {"achieved", "none"} <= labels and labels <= set(RELATION_LABELS)
    positive = next(p for p in pairs if p.label == "achieved")
    assert positive.prompt.startswith("intervention: ") and "; outcome: " in positive.prompt
    # the outcome named in the prompt is in the sentence it is paired with
    outcome = positive.prompt.split("; outcome: ", 1)[1]
    assert outcome in positive.sentence


def test_most_relevant_sentence_is_the_one_least_likely_to_be_unrelated():
    # prompt 0 has rows 0-2, prompt 1 rows 3-4
    assert most_relevant([0.9, 0.2, 0.6, 0.1, 0.4], [0, 0, 0, 1, 1]) == {0: 1, 1: 3}


def test_direction_ignores_none_and_achieved():
    probs = torch.tensor([0.5, 0.1, 0.15, 0.05, 0.2])  # none, increase, decrease, no_difference, achieved
    assert _direction(probs, RELATION_LABELS) == "decrease"


def test_relation_training_smoke(tmp_path):
    from evidex.training.train_relations import train
    logs = []
    result = train(REPO / "configs" / "relations.cfg", tmp_path / "rel", log=logs.append, overrides={
        "data.evidence_inference": False, "data.t1d_repeat": 1, "training.steps": 4, "training.eval_every": 4,
        "training.batch_size": 8, "training.warmup": 1, "model.trainable_layers": 1})
    assert result["steps"] == 4 and result["best"] is not None
    model = PairClassifier.from_pretrained(tmp_path / "rel")
    from evidex.nn.encoder import load_encoder
    tok, _ = load_encoder()
    probs = model.predict(tok, [("intervention: islets; comparator: none; outcome: HbA1c", "HbA1c fell to 6.1%.")])
    assert probs.shape == (1, len(RELATION_LABELS)) and abs(float(probs.sum()) - 1.0) < 1e-4
    # continuing a trained classifier: its settings stay, its weights move
    again = train(REPO / "configs" / "relations_continue.cfg", tmp_path / "rel2", log=logs.append, overrides={
        "model.init": str(tmp_path / "rel"), "data.evidence_inference": False, "data.t1d_repeat": 1,
        "training.steps": 2, "training.eval_every": 2, "training.batch_size": 8, "training.warmup": 1})
    assert again["steps"] == 2 and any("continuing" in line for line in logs)
    continued = PairClassifier.from_pretrained(tmp_path / "rel2")
    assert continued.config.trainable_layers == 1
    before = dict(model.named_parameters())
    assert any(not torch.equal(p, before[n]) for n, p in continued.named_parameters() if p.requires_grad)
