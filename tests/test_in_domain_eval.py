"""In-domain scores: matching rules on hand-computed cases, then one real corpus document
through the real pipeline and the CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from evidex.cli import app
from evidex.evaluation import in_domain
from evidex.evaluation.matching import Relation, max_matching, relation_scores, span_scores, triple_scores
from evidex.schema import DIRECTIONS

O, I = "OUTCOME", "INTERVENTION"


def test_exact_and_overlap_differ_on_boundaries():
    gold = [("d", 0, 10, O), ("d", 20, 30, O), ("d", 40, 50, I)]
    pred = [("d", 0, 10, O),      # exact hit
            ("d", 18, 25, O),     # overlaps gold 20-30: overlap only
            ("d", 40, 45, O),     # right place, wrong label: never a hit
            ("d", 60, 70, I)]     # nothing there
    exact = span_scores(gold, pred, [O, I], "exact")
    overlap = span_scores(gold, pred, [O, I], "overlap")
    # exact OUTCOME: tp 1, fp 2, fn 1 -> P 1/3, R 1/2, F1 0.4
    assert exact["per_label"][O] == {"precision": 0.3333, "recall": 0.5, "f1": 0.4, "tp": 1, "fp": 2, "fn": 1}
    # overlap OUTCOME: tp 2, fp 1, fn 0 -> P 2/3, R 1, F1 0.8
    assert overlap["per_label"][O] == {"precision": 0.6667, "recall": 1.0, "f1": 0.8, "tp": 2, "fp": 1, "fn": 0}
    assert exact["per_label"][I]["tp"] == overlap["per_label"][I]["tp"] == 0
    assert overlap["per_label"][I]["fp"] == 1 and overlap["per_label"][I]["fn"] == 1
    assert exact["macro_f1"] == 0.2 and overlap["macro_f1"] == 0.4


def test_overlap_is_one_to_one():
    # one long prediction over two gold spans is credited once
    s = span_scores([("d", 0, 5, O), ("d", 6, 10, O)], [("d", 0, 10, O)], [O], "overlap")["per_label"][O]
    assert (s["tp"], s["fp"], s["fn"]) == (1, 0, 1)
    # two predictions inside one gold span: one of them is a false positive
    s = span_scores([("d", 0, 10, O)], [("d", 0, 4, O), ("d", 5, 10, O)], [O], "overlap")["per_label"][O]
    assert (s["tp"], s["fp"], s["fn"]) == (1, 1, 0)
    # the same offsets in another document are no match
    s = span_scores([("d1", 0, 10, O)], [("d2", 0, 10, O)], [O], "overlap")["per_label"][O]
    assert (s["tp"], s["fp"], s["fn"]) == (0, 1, 1)


def test_matching_is_maximum_not_greedy():
    # X (5-15) overlaps gold A (0-10) best and gold B (12-20) too; Y (0-3) overlaps only A.
    # Pairing X with A first would leave Y alone; the maximum matching pairs X-B and Y-A.
    s = span_scores([("d", 0, 10, O), ("d", 12, 20, O)], [("d", 5, 15, O), ("d", 0, 3, O)], [O], "overlap")
    assert s["per_label"][O]["tp"] == 2
    assert max_matching(2, 2, lambda i, j: (i, j) != (1, 1)) == [(0, 1), (1, 0)]


def test_relation_direction_mismatch_and_concepts():
    gold = [Relation("d", (0, 5), (10, 20), "increase"),
            Relation("d", (30, 35), (40, 50), "achieved", "islets", "insulin independence")]
    pred = [Relation("d", (0, 5), (12, 18), "decrease"),                      # right pair, wrong direction
            Relation("d", (31, 35), (40, 50), "achieved"),                    # a hit
            Relation("d", (0, 5), (40, 50), "achieved", "islets", "x")]       # head elsewhere, same concept
    s = relation_scores(gold, pred, DIRECTIONS)
    # one hit: P 1/3, R 1/2, F1 0.4
    assert (s["tp"], s["fp"], s["fn"], s["f1"]) == (1, 2, 1, 0.4)
    assert s["per_label"]["achieved"] == {"precision": 0.5, "recall": 1.0, "f1": 0.6667, "tp": 1, "fp": 1, "fn": 0}
    assert s["per_label"]["increase"]["fn"] == 1 and s["per_label"]["decrease"]["fp"] == 1
    assert s["macro_f1"] == pytest.approx(0.6667 / 4, abs=1e-4)
    # without the direction the first prediction counts: tp 2, fp 1 -> F1 0.8
    assert (s["pairs"]["tp"], s["pairs"]["f1"]) == (2, 0.8)
    # the third prediction matches the second gold finding by concept, but that one is taken: still one hit
    assert s["concept"]["tp"] == 1
    assert s["direction_confusion"] == {"achieved": {"achieved": 1}, "increase": {"decrease": 1}}


def test_concept_match_credits_another_mention_of_the_same_therapy():
    gold = [Relation("d", (300, 310), (400, 420), "achieved", "evidex:islets", "evidex:insulin_independence")]
    pred = [Relation("d", (0, 6), (400, 420), "achieved", "evidex:islets", "evidex:insulin_independence")]
    s = relation_scores(gold, pred, DIRECTIONS)
    assert s["tp"] == 0 and s["concept"]["tp"] == 1


def test_repeated_gold_finding_needs_two_predictions():
    gold = [Relation("d", (0, 5), (10, 20), "achieved")] * 2       # e.g. at 1 and at 2 years
    s = relation_scores(gold, [Relation("d", (0, 5), (10, 20), "achieved")], DIRECTIONS)
    assert (s["tp"], s["fp"], s["fn"]) == (1, 0, 1)


def test_table_triples_lowercase_and_dedup():
    texts = {"d": "Islet  Transplantation raised HbA1c; islet transplantation raised hba1c"}
    rels = [Relation("d", (0, 22), (30, 35), "increase"), Relation("d", (37, 58), (66, 71), "increase")]
    assert in_domain.table_triples(rels, texts) == {("d", "islet transplantation", "hba1c", "increase")}
    gold = {("d", "a", "b", "increase"), ("d", "a", "c", "decrease")}
    pred = [("d", "a", "b", "increase"), ("d", "a", "b", "increase"), ("d", "a", "c", "increase")]
    assert triple_scores(gold, pred) == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "tp": 1, "fp": 1, "fn": 1}


def test_bad_split_and_stale_offsets_are_refused(tmp_path, nlp):
    with pytest.raises(ValueError, match="unknown split"):
        in_domain.load_documents("validation")
    doc = in_domain.load_documents("dev", limit=1)[0]
    doc["entities"][0]["start"] += 1
    path = tmp_path / "stale.jsonl"
    path.write_text(json.dumps(doc) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="offsets"):
        in_domain.evaluate_ner("dev", source="vocabulary", nlp=nlp, path=path)


def _consistent(s: dict) -> None:
    tp, fp, fn = s["tp"], s["fp"], s["fn"]
    assert all(0.0 <= s[k] <= 1.0 for k in ("precision", "recall", "f1"))
    assert s["precision"] == pytest.approx(tp / (tp + fp) if tp + fp else 0.0, abs=1e-4)
    assert s["recall"] == pytest.approx(tp / (tp + fn) if tp + fn else 0.0, abs=1e-4)
    assert s["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn) if tp else 0.0, abs=1e-4)


def test_real_document_through_the_pipeline(tagged_nlp):
    doc = in_domain.load_documents("dev", limit=1)[0]
    n_gold = sum(e["label"] in in_domain.LABELS for e in doc["entities"])
    for source in ("pipeline", "tagger"):
        result = json.loads(json.dumps(in_domain.evaluate_ner("dev", source=source, limit=1, nlp=tagged_nlp)))
        assert (result["task"], result["corpus"], result["split"], result["source"]) == \
            ("ner", "t1d_cell_therapy", "dev", source)
        m = result["metrics"]
        assert m["macro_f1"] == m["overlap"]["macro_f1"] and m["per_label"] == m["overlap"]["per_label"]
        assert set(m["exact"]["per_label"]) == set(in_domain.LABELS)
        for label in in_domain.LABELS:
            exact, overlap = m["exact"]["per_label"][label], m["overlap"]["per_label"][label]
            _consistent(exact)
            _consistent(overlap)
            assert overlap["tp"] >= exact["tp"]
            assert exact["tp"] + exact["fn"] == overlap["tp"] + overlap["fn"]   # both count every gold span
        assert sum(s["tp"] + s["fn"] for s in m["exact"]["per_label"].values()) == m["gold_entities"] == n_gold

    result = json.loads(json.dumps(in_domain.evaluate_relations("dev", limit=1, nlp=tagged_nlp)))
    assert (result["task"], result["corpus"], result["split"]) == ("relations", "t1d_cell_therapy", "dev")
    m = result["metrics"]
    assert m["gold_relations"] == len(doc["relations"]) and m["documents"] == 1
    for s in [m, m["pairs"], m["concept"], m["table"], *m["per_label"].values()]:
        _consistent(s)
    assert m["tp"] + m["fn"] == m["gold_relations"] and m["tp"] + m["fp"] == m["predicted_relations"]
    assert sum(s["tp"] for s in m["per_label"].values()) == m["tp"]
    assert m["pairs"]["tp"] >= m["tp"] and m["concept"]["tp"] >= m["tp"]


def test_cli_in_domain_errors_are_clear():
    runner = CliRunner()
    out = runner.invoke(app, ["evaluate", "ner", "--corpus", "t1d_cell_therapy", "--split", "val"])
    assert out.exit_code == 2 and "unknown split" in out.output
    out = runner.invoke(app, ["evaluate", "ner", "--corpus", "jnlpba", "--source", "pipeline"])
    assert out.exit_code == 2 and "applies to t1d_cell_therapy only" in out.output
    out = runner.invoke(app, ["evaluate", "relations", "--corpus", "t1d_cell_therapy", "--model", "x"])
    assert out.exit_code == 2 and "--config" in out.output
