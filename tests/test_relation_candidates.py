"""Where relations are decided: the candidate pairs the relation component asks about, the
decision (classifier or direction rules), and the attachment of numbers."""

from __future__ import annotations

import json

import pytest

from evidex.components.relations import RelationExtractor
from evidex.pipeline import make_doc
from evidex.records import Record

TITLE = "Stem cell-derived islets in type 1 diabetes: a phase 1/2 trial"
ABSTRACT = ("Twelve adults with type 1 diabetes received stem cell-derived islets. Tacrolimus and sirolimus were "
            "given to all. HbA1c fell from 7.8% to 6.1% at 6 months, and insulin independence was reached by 10 of 12 "
            "at 1 year. Compared with placebo, SC-islets and teplizumab improved C-peptide.")


@pytest.fixture(scope="module")
def doc(nlp):
    return nlp(make_doc(nlp, Record("x", TITLE, ABSTRACT)))


def _asking_all_heads() -> RelationExtractor:
    extractor = RelationExtractor(model=None, max_heads=2)
    extractor.model = object()  # candidates() only asks whether a model will judge them
    return extractor


def test_a_sentence_naming_no_therapy_speaks_of_the_closest_preceding_main_mention(doc):
    cands = _asking_all_heads().candidates(doc)
    hba1c = [c for c in cands if c.outcome.text == "HbA1c"]
    assert len(hba1c) == 1 and hba1c[0].fallback
    # the abstract's mention, not the title's: the guidelines' "closest preceding mention"
    assert hba1c[0].therapy.start_char == doc.text.index("stem cell-derived islets")


def test_every_therapy_a_sentence_names_is_asked_about_and_comparators_become_the_comparator(doc):
    cands = [c for c in _asking_all_heads().candidates(doc) if c.outcome.text == "C-peptide"]
    assert {c.therapy.text for c in cands} == {"SC-islets", "teplizumab"}
    assert all(not c.fallback and c.comparator == "placebo" for c in cands)


def test_the_rules_judge_one_head_per_outcome(doc):
    cands = [c for c in RelationExtractor(model=None).candidates(doc) if c.outcome.text == "C-peptide"]
    assert len(cands) == 1 and cands[0].therapy.text == "teplizumab"  # the nearest


def test_rule_decisions_attach_their_own_value_and_nearest_time_point(doc):
    rels = {doc.text[slice(*r["outcome"])]: r for r in doc._.relations}
    hba1c, independence = rels["HbA1c"], rels["insulin independence"]
    assert hba1c["direction"] == "decrease" and doc.text[slice(*hba1c["value"])] == "7.8% to 6.1%"
    assert doc.text[slice(*hba1c["timepoint"])] == "at 6 months"
    assert independence["direction"] == "achieved" and doc.text[slice(*independence["value"])] == "10 of 12"
    assert doc.text[slice(*independence["timepoint"])] == "at 1 year"
    # the main therapy stands in for a sentence that names none, at a lower confidence
    assert hba1c["cell_type"] and hba1c["confidence"] < rels["C-peptide"]["confidence"]


def test_binary_end_points_are_achieved_and_graded_ones_increase_when_asked(doc):
    extractor = RelationExtractor(model=None, achieved_binary_only=True)
    by_outcome = {c.outcome.text: c for c in _asking_all_heads().candidates(doc)}
    assert extractor._relation(by_outcome["insulin independence"], "increase", 0.9, "t")["direction"] == "achieved"
    assert extractor._relation(by_outcome["C-peptide"], "achieved", 0.9, "t")["direction"] == "increase"


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="threshold"):
        RelationExtractor(model=None, threshold=1.5)
    with pytest.raises(ValueError, match="precision"):
        RelationExtractor(model=None, precision="fp8")


def test_training_pairs_are_the_candidates_labelled_from_gold(tmp_path):
    from evidex.training.relation_data import t1d_candidate_examples

    text = TITLE + "\n\n" + ABSTRACT

    def ent(i, label, phrase, nth=0):
        start = -1
        for _ in range(nth + 1):
            start = text.index(phrase, start + 1)
        return {"id": f"T{i}", "label": label, "start": start, "end": start + len(phrase), "text": phrase}

    entities = [ent(1, "CELL_TYPE", "Stem cell-derived islets"), ent(2, "CELL_TYPE", "stem cell-derived islets"),
                ent(3, "OUTCOME", "HbA1c"), ent(4, "OUTCOME", "insulin independence"),
                ent(5, "CELL_TYPE", "SC-islets"), ent(6, "INTERVENTION", "teplizumab"), ent(7, "OUTCOME", "C-peptide"),
                ent(8, "INTERVENTION", "placebo")]
    relations = [{"head": "T2", "tail": "T3", "direction": "decrease"},
                 {"head": "T2", "tail": "T4", "direction": "achieved"},
                 {"head": "T5", "tail": "T7", "direction": "increase"}]
    path = tmp_path / "corpus.jsonl"
    path.write_text(json.dumps({"id": "d1", "title": TITLE, "abstract": ABSTRACT, "split": "train",
                                "entities": entities, "relations": relations}) + "\n")
    pairs = {(e.prompt, e.label) for e in t1d_candidate_examples("train", path)}
    labels = {p.split("intervention: ")[1].split(";")[0] + " -> " + p.split("outcome: ")[1]: lab for p, lab in pairs}
    assert labels["stem cell-derived islets -> HbA1c"] == "decrease"
    assert labels["stem cell-derived islets -> insulin independence"] == "achieved"
    assert labels["SC-islets -> C-peptide"] == "increase"
    # teplizumab is named beside the gold head of C-peptide: a wrong head, so "none"
    assert labels["teplizumab -> C-peptide"] == "none"

    # the same document with the pipeline's own entities (tagger included): the pairs it makes
    # are labelled from the same gold relations, by overlap
    predicted = t1d_candidate_examples("train", path, entities="predicted")
    found = {(p.prompt.split("outcome: ")[1], p.label) for p in predicted}
    assert ("HbA1c", "decrease") in found and ("insulin independence", "achieved") in found
    with pytest.raises(ValueError, match="entities"):
        t1d_candidate_examples("train", path, entities="silver")


def test_prefilter_skips_sentences_with_nothing_to_find(nlp):
    text = ("Recipients of SC-islets were followed for HbA1c and C-peptide. "
            "No recipient of SC-islets had severe hypoglycaemia. HbA1c fell after SC-islets.")
    doc = nlp(make_doc(nlp, Record("p", "", text)))
    every = {c.sent.text.strip() for c in RelationExtractor(model=None).candidates(doc)}
    kept = {c.sent.text.strip() for c in RelationExtractor(model=None, prefilter=True).candidates(doc)}
    assert "Recipients of SC-islets were followed for HbA1c and C-peptide." in every - kept
    # a negation or an effect word keeps the sentence
    assert kept == {"No recipient of SC-islets had severe hypoglycaemia.", "HbA1c fell after SC-islets."}


def test_a_title_that_puts_a_regimen_first_makes_it_the_main_therapy(nlp):
    record = Record("r", "Immunosuppression with belatacept and mycophenolate for islet transplantation: a pilot study",
                    "Ten adults received islet transplantation alone under belatacept and mycophenolate. "
                    "Islet transplantation was repeated in four. Insulin independence was reached by 7 of 10 at one year.")
    doc = nlp(make_doc(nlp, record))
    extractor = _asking_all_heads()
    independence = [c for c in extractor.candidates(doc) if c.outcome.text.lower() == "insulin independence"]
    assert len(independence) == 1 and independence[0].fallback
    assert independence[0].therapy.text == "belatacept"
    extractor.title_regimen = False  # else: the most mentioned therapy, the transplantation
    assert [c.therapy.text for c in extractor.candidates(doc) if c.outcome.text.lower() == "insulin independence"] \
        == ["Islet transplantation"]


def test_a_drug_fused_into_the_title_words_before_immunosuppression_is_the_regimen(nlp):
    # "Sirolimus-based" is one token, so the title's first therapy is "immunosuppression" alone
    record = Record("s", "Sirolimus-based immunosuppression for islet transplantation in type 1 diabetes",
                    "Eight adults received islet transplantation alone with sirolimus and daclizumab. "
                    "Islet transplantation was repeated in three. Insulin independence was reached by 6 of 8 at one year.")
    doc = nlp(make_doc(nlp, record))
    extractor = _asking_all_heads()
    independence = [c for c in extractor.candidates(doc) if c.outcome.text.lower() == "insulin independence"]
    assert [c.therapy.text.lower() for c in independence] == ["sirolimus"]
    # a title that names the transplantation first is about the transplantation
    record = Record("t", "Islet transplantation under sirolimus-based immunosuppression in type 1 diabetes",
                    record.abstract)
    doc = nlp(make_doc(nlp, record))
    assert [c.therapy.text.lower() for c in extractor.candidates(doc)
            if c.outcome.text.lower() == "insulin independence"] == ["islet transplantation"]


def test_an_achieved_harm_stays_achieved(nlp):
    # guidelines: "achieved" is also "occurred in" for events such as bleeding
    doc = nlp(make_doc(nlp, Record("h", "", "Twelve recipients of islet transplantation were followed. "
                                            "Portal vein thrombosis occurred in 2 of 12 recipients.")))
    extractor = RelationExtractor(model=None)
    cand = next(c for c in extractor.candidates(doc) if "thrombosis" in c.outcome.text)
    assert extractor._relation(cand, "achieved", 0.9, "classifier")["direction"] == "achieved"
    extractor.achieved_binary_only = True
    assert extractor._relation(cand, "achieved", 0.9, "classifier")["direction"] == "increase"


def test_a_state_nobody_reached_is_no_difference_and_values_stay_in_their_clause(nlp):
    text = ("Seventeen adults received PEC-01 cells in devices. Stimulated C-peptide was detectable in only 2 of 17 "
            "participants (12%) at week 26 and no participant became insulin independent.")
    doc = nlp(make_doc(nlp, Record("n", "", text)))
    extractor = RelationExtractor(model=None)
    by_outcome = {c.outcome.text: c for c in _asking_all_heads().candidates(doc)}
    independent = by_outcome["insulin independent"]
    assert extractor._relation(independent, "achieved", 0.9, "classifier")["direction"] == "no_difference"
    assert extractor._relation(independent, "achieved", 0.9, "classifier")["value"] is None  # 12% is C-peptide's
    peptide = extractor._relation(by_outcome["Stimulated C-peptide"], "achieved", 0.9, "classifier")
    assert peptide["direction"] == "achieved" and doc.text[slice(*peptide["value"])] == "2 of 17"
    extractor.nobody_check = False
    assert extractor._relation(independent, "achieved", 0.9, "classifier")["direction"] == "achieved"


def test_nobody_reached_reads_the_outcomes_own_clause(nlp):
    from evidex.components.relation_cues import nobody_reached

    doc = nlp(make_doc(nlp, Record("w", "", "Hypoimmune islets survived without rejection, whereas unedited islets "
                                            "showed rejection within 2 weeks. There was no further severe hypoglycaemia.")))
    sents = list(doc.sents)
    rejections = [e for e in doc.ents if e.text == "rejection"]
    assert [nobody_reached(sents[0], r) for r in rejections] == [True, False]
    later = next(e for e in doc.ents if "hypoglycaemia" in e.text)
    assert not nobody_reached(sents[1], later)  # "no further" events fell: a decrease, not for this check


def test_nobody_named_after_the_outcome_counts_only_without_another_quantity(nlp):
    from evidex.components.relation_cues import nobody_reached

    def reached(sentence: str, outcome: str) -> bool:
        doc = nlp(make_doc(nlp, Record("a", "", sentence)))
        span = next(e for e in doc.ents if e.text == outcome)
        return nobody_reached(next(iter(doc.sents)), span)

    assert reached("Among recipients of porcine islets, PERV infection was not found in anyone tested (0 of 198).",
                   "infection")
    assert reached("Rejection was seen in none of the recipients.", "Rejection")
    # comparisons: someone reached it in the other arm
    assert not reached("Normoglycaemia was maintained by four of ten MSC recipients and by none of the controls.",
                       "Normoglycaemia")
    assert not reached("Acute rejection occurred in 2 belatacept recipients and in none of the tacrolimus group.",
                       "Acute rejection")
    assert not reached("Rejection occurred in controls (5 of 10) and in none of the treated animals.", "Rejection")


def test_a_cell_word_that_modifies_an_outcome_is_not_the_main_therapy(nlp):
    # "islet" in "islet antigens" / "islet autoantibody titres" names no therapy given: counted as
    # three cell-type mentions it would outweigh the Tregs the study gave
    record = Record("m", "Regulatory T cells and islet antigen responses in recent-onset type 1 diabetes",
                    "Islet autoantibody titres and islet antigen responses were measured in ten adults given "
                    "autologous Tregs. Islet antigen responses fell. HbA1c did not change at 12 months.")
    doc = nlp(make_doc(nlp, record))
    extractor = _asking_all_heads()
    heads = [c.therapy.text for c in extractor.candidates(doc) if c.outcome.text == "HbA1c"]
    assert heads == ["autologous Tregs"]


def test_cell_words_followed_by_a_cell_noun_still_name_the_cells(nlp):
    from evidex.components.relations import _content_words, _modifier

    doc = nlp(make_doc(nlp, Record("p", "", "Devices held islet progenitors, and islet yield was low.")))
    islets = [e for e in doc.ents if e.text.lower() == "islet"]
    assert [_modifier(e) for e in islets] == [False, True][:len(islets)]
    # a shared five-letter start is not a shared word
    assert not _content_words("macrophage") & _content_words("macroencapsulation devices")
    assert _content_words("islets") == _content_words("islet")


def test_a_change_whose_own_p_value_is_not_significant_is_no_difference(nlp):
    from evidex.components.relations import not_significant

    text = ("After SC-islets, HbA1c fell by 0.4% (P = 0.24), whereas C-peptide rose by 40% (P = 0.01) "
            "and insulin dose fell by 30% (p < .001). Time in range rose by 9% (P = .05).")
    doc = nlp(make_doc(nlp, Record("s", "", text)))
    cands = {c.outcome.text: c for c in RelationExtractor(model=None).candidates(doc)}
    assert {"HbA1c", "C-peptide", "insulin dose", "Time in range"} <= set(cands)
    assert not_significant(cands["HbA1c"])           # its own p-value, 0.24
    assert not not_significant(cands["C-peptide"])   # 0.01: the earlier 0.24 is another outcome's
    assert not not_significant(cands["insulin dose"])
    assert not_significant(cands["Time in range"])   # 0.05 is not below 0.05
    extractor = RelationExtractor(model=None)
    assert extractor._relation(cands["HbA1c"], "decrease", 0.9, "t")["direction"] == "no_difference"
    assert extractor._relation(cands["C-peptide"], "increase", 0.9, "t")["direction"] == "increase"
    assert RelationExtractor(model=None, significance_check=False)._relation(
        cands["HbA1c"], "decrease", 0.9, "t")["direction"] == "decrease"


def test_an_outcome_mention_keeps_the_surer_of_two_heads():
    rel = lambda head, outcome, conf: {"intervention": head, "cell_type": None, "outcome": outcome, "confidence": conf}
    relations = [rel([0, 5], [20, 25], 0.6), rel([8, 12], [20, 25], 0.9), rel([0, 5], [40, 45], 0.7),
                 rel([8, 12], [60, 65], 0.8), rel([0, 5], [60, 65], 0.8)]
    kept = RelationExtractor._one_head_per_outcome(relations)
    assert kept == [relations[1], relations[2], relations[3]]  # a tie keeps the first
