"""Scores checked against hand-computed cases."""

import pytest

from evidex.evaluation.metrics import entity_scores, token_scores


def test_token_scores_by_hand():
    gold = [["B-PAR", "I-PAR", "O", "B-OUT"], ["O", "B-INT", "I-INT"]]
    pred = [["B-PAR", "O", "O", "B-OUT"], ["B-INT", "B-INT", "O"]]
    s = token_scores(gold, pred, ["PAR", "INT", "OUT"])
    # PAR: tp 1, fn 1 -> P 1, R .5, F .6667; INT: tp 1, fp 1, fn 1 -> .5/.5/.5; OUT: 1/1/1
    assert s["per_label"]["PAR"]["f1"] == pytest.approx(0.6667, abs=1e-4)
    assert s["per_label"]["INT"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "tp": 1, "fp": 1, "fn": 1}
    assert s["per_label"]["OUT"]["f1"] == 1.0
    assert s["macro_f1"] == pytest.approx((0.6667 + 0.5 + 1.0) / 3, abs=1e-4)


def test_token_scores_refuse_misaligned_sequences():
    with pytest.raises(ValueError):
        token_scores([["O", "O"]], [["O"]], ["PAR"])


def test_entity_scores_are_strict_on_boundaries_and_labels():
    gold = [("d1", 0, 10, "cell_type"), ("d1", 20, 30, "cell_line"), ("d2", 5, 9, "cell_type")]
    pred = [("d1", 0, 10, "cell_type"), ("d1", 20, 29, "cell_line"), ("d2", 5, 9, "cell_line")]
    s = entity_scores(gold, pred, ["cell_type", "cell_line"])
    # cell_type: tp 1 (d1), fn 1 (d2) -> P 1, R .5; cell_line: 0 tp, 2 fp, 1 fn
    assert s["per_label"]["cell_type"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "tp": 1, "fp": 0, "fn": 1}
    assert s["per_label"]["cell_line"]["f1"] == 0.0 and s["per_label"]["cell_line"]["fp"] == 2
