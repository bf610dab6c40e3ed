"""scripts/corpus_agreement.py on small hand-built corpora whose agreement figures are worked out
by hand in the comments."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

import corpus_agreement as ca  # noqa: E402

TITLE = "Islets in type 1 diabetes"
ABSTRACT = "Islet transplantation restored insulin independence in 10 of 12 adults and lowered HbA1c and insulin dose."
TEXT = TITLE + "\n\n" + ABSTRACT


def _doc(doc_id: str, spans: list[tuple[str, str, str]], relations: list[tuple[str, str, str]],
         design: str = "single_arm_trial", organism: str = "human") -> dict:
    """A built document; spans are (id, label, text) found in TEXT, relations (head, tail, direction)."""
    entities = []
    for eid, label, text in spans:
        start = TEXT.index(text)
        entities.append({"id": eid, "label": label, "start": start, "end": start + len(text), "text": text})
    rels = [{"head": h, "tail": t, "direction": d, "value": None, "timepoint": None, "sample_size": None,
             "p_value": None, "comparator": None} for h, t, d in relations]
    return {"id": doc_id, "title": TITLE, "abstract": ABSTRACT, "provenance": "invented", "study_design": design,
            "organism": organism, "split": "train", "entities": entities, "relations": rels}


# A: six entities, three relations.
DOC_A = _doc("D1", [
    ("T1", "POPULATION", "type 1 diabetes"),
    ("T2", "INTERVENTION", "Islet transplantation"),
    ("T3", "OUTCOME", "insulin independence"),
    ("T4", "VALUE", "10 of 12"),
    ("T5", "OUTCOME", "HbA1c"),
    ("T6", "OUTCOME", "insulin dose"),
], [("T2", "T3", "achieved"), ("T2", "T5", "decrease"), ("T2", "T6", "decrease")])

# B: the same population, intervention and value; a longer span for insulin independence; one
# coordinated span for "HbA1c and insulin dose"; two relations, the second with another direction.
DOC_B = _doc("D1", [
    ("T1", "POPULATION", "type 1 diabetes"),
    ("T2", "INTERVENTION", "Islet transplantation"),
    ("T3", "OUTCOME", "restored insulin independence"),
    ("T4", "VALUE", "10 of 12"),
    ("T5", "OUTCOME", "HbA1c and insulin dose"),
], [("T2", "T3", "achieved"), ("T2", "T5", "no_difference")])


def test_exact_versus_overlap_entity_agreement():
    ent = ca.entity_agreement([(DOC_A, DOC_B)])
    # Exact: POPULATION, INTERVENTION and VALUE agree (3 of 6 in A, 5 in B); no OUTCOME span agrees.
    assert ent["exact"]["ALL"]["matched"] == 3
    assert ent["exact"]["ALL"]["f1"] == pytest.approx(2 * 3 / (6 + 5))
    assert ent["exact"]["OUTCOME"]["f1"] == 0
    assert ent["exact"]["INTERVENTION"]["f1"] == 1
    # Overlap: "insulin independence" ~ "restored insulin independence", and the coordinated span
    # pairs with only one of "HbA1c" / "insulin dose" (one-to-one): 2 OUTCOME matches.
    out = ent["overlap"]["OUTCOME"]
    assert (out["n_a"], out["n_b"], out["matched"]) == (3, 2, 2)
    assert out["precision"] == 1 and out["recall"] == pytest.approx(2 / 3) and out["f1"] == pytest.approx(0.8)
    assert ent["overlap"]["ALL"]["f1"] == pytest.approx(2 * 5 / (6 + 5))


def test_overlap_needs_the_same_label():
    relabelled = json.loads(json.dumps(DOC_B))
    relabelled["entities"][1]["label"] = "CELL_TYPE"  # "Islet transplantation"
    ent = ca.entity_agreement([(DOC_A, relabelled)])
    assert ent["overlap"]["INTERVENTION"]["matched"] == 0
    assert ent["overlap"]["CELL_TYPE"]["matched"] == 0
    assert ent["overlap"]["ALL"]["matched"] == 4


def test_relation_agreement_with_a_direction_disagreement():
    rel = ca.relation_agreement([(DOC_A, DOC_B)])
    # (head, tail): A's insulin-independence relation pairs with B's; B's coordinated tail overlaps
    # both of A's other tails but pairs with one: 2 matches of 3 (A) and 2 (B) -> F1 4/5.
    assert rel["head_tail"]["matched"] == 2
    assert rel["head_tail"]["f1"] == pytest.approx(0.8)
    # With direction: only the achieved/achieved pair survives -> F1 2/5.
    assert rel["head_tail_direction"]["matched"] == 1
    assert rel["head_tail_direction"]["f1"] == pytest.approx(0.4)
    # Directions on the two pairs: (achieved, achieved), (decrease, no_difference).
    # p_o = 1/2; p_e = P_A(achieved) * P_B(achieved) = 1/2 * 1/2 = 1/4; kappa = (1/2 - 1/4) / (3/4) = 1/3.
    direction = rel["direction"]
    assert direction["n"] == 2 and direction["accuracy"] == pytest.approx(0.5)
    assert direction["kappa"] == pytest.approx(1 / 3)
    assert rel["slots"]["value"]["accuracy"] == 1  # all null on both sides


def test_one_to_one_pairing_prefers_the_closer_span():
    # B's "HbA1c and insulin dose" (22 characters) shares 12 with "insulin dose" and 5 with "HbA1c".
    rels_a, rels_b = ca._resolved(DOC_A), ca._resolved(DOC_B)
    pairs = dict(ca.relation_matching(rels_a, rels_b, directed=False))
    assert pairs == {0: 0, 2: 1}


def test_comparator_agrees_by_overlap_or_by_text():
    placebo_1, placebo_2 = ((10, 17), "placebo"), ((40, 47), "Placebo")
    assert ca._slot_agrees(placebo_1, placebo_2)  # two mentions of the same comparator
    assert ca._slot_agrees(placebo_1, (None, "placebo"))  # entity vs free text
    assert ca._slot_agrees((None, "the year before surgery"), (None, "year before surgery"))
    assert not ca._slot_agrees(placebo_1, (None, "baseline"))
    assert not ca._slot_agrees(placebo_1, None)
    assert ca._slot_agrees(None, None)


def test_cohen_kappa_on_small_tables():
    # 2 x 2: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no. p_o = 35/50 = 0.7;
    # p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5; kappa = (0.7 - 0.5) / 0.5 = 0.4.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert ca.cohen_kappa(a, b) == pytest.approx(0.4)
    # 3 categories: p_o = 4/6; p_e = (2*1 + 3*3 + 1*2) / 36 = 13/36; kappa = (24 - 13) / (36 - 13) = 11/23.
    a = ["rct", "rct", "cohort", "cohort", "cohort", "registry"]
    b = ["rct", "cohort", "cohort", "cohort", "registry", "registry"]
    assert ca.cohen_kappa(a, b) == pytest.approx(11 / 23)
    assert ca.cohen_kappa(["x", "y"], ["y", "x"]) == pytest.approx(-1)
    assert ca.cohen_kappa(["human"] * 3, ["human"] * 3) is None  # undefined: chance agreement is 1


def test_document_labels_and_shared_ids():
    a = {"D1": DOC_A, "D2": _doc("D2", [], [], design="cohort"), "D3": _doc("D3", [], [])}
    b = {"D1": DOC_B, "D2": _doc("D2", [], [], design="registry", organism="mouse")}
    res = ca.agreement(a, b)
    assert res["documents"] == {"shared": 2, "only_a": 1, "only_b": 0}
    design = res["document_labels"]["study_design"]
    # (single_arm_trial, single_arm_trial), (cohort, registry): p_o = 1/2, p_e = 1/4 -> kappa 1/3.
    assert design["accuracy"] == pytest.approx(0.5) and design["kappa"] == pytest.approx(1 / 3)
    organism = res["document_labels"]["organism"]
    # (human, human), (human, mouse): p_o = 1/2, p_e = 1 * 1/2 -> kappa 0.
    assert organism["accuracy"] == pytest.approx(0.5) and organism["kappa"] == pytest.approx(0)


def test_identical_corpora_agree_fully_and_texts_must_match():
    res = ca.agreement({"D1": DOC_A}, {"D1": DOC_A})
    assert res["entities"]["exact"]["ALL"]["f1"] == 1
    assert res["relations"]["head_tail_direction"]["f1"] == 1
    other = dict(DOC_A, abstract=ABSTRACT + " More.")
    with pytest.raises(ValueError):
        ca.agreement({"D1": DOC_A}, {"D1": other})


def test_command_line(tmp_path, capsys):
    path_a, path_b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    path_a.write_text(json.dumps(DOC_A) + "\n", encoding="utf-8")
    path_b.write_text(json.dumps(DOC_B) + "\n", encoding="utf-8")
    assert ca.main([str(path_a), str(path_b), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["relations"]["head_tail"]["matched"] == 2
    assert ca.main([str(path_a), str(path_b), "--details"]) == 0
    text = capsys.readouterr().out
    assert "ENTITIES" in text and "'HbA1c and insulin dose'" in text
