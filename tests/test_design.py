"""Study design and organism: publication types and MeSH decide when the record has them, the
wording of the abstract otherwise."""

from __future__ import annotations

import pytest

import evidex
from evidex import Record
from evidex.components.design import organism_of, study_design
from evidex.pipeline import make_doc

RCT_TEXT = ("Sixty adults with type 1 diabetes and severe hypoglycaemia were randomly assigned to islet "
            "transplantation or intensive insulin therapy. HbA1c was lower after transplantation (P < 0.001).")
REVIEW_TEXT = ("We review recent advances in stem cell-derived islet replacement for type 1 diabetes and discuss "
               "immune evasion, encapsulation and the remaining barriers to clinical use.")
MOUSE_TEXT = ("Streptozotocin-induced diabetic NOD mice received 500 stem cell-derived islets under the kidney capsule. "
              "Normoglycaemia was restored in 8 of 10 mice within 30 days, unlike in patients with long-standing "
              "disease.")


def design_of(nlp, text, **meta):
    doc = nlp(make_doc(nlp, Record("D1", "", text, meta)))
    return doc._.study_design, doc._.organism


@pytest.mark.parametrize("text,design,organism", [
    pytest.param(RCT_TEXT, "rct", "human", id="randomised trial"),
    pytest.param(REVIEW_TEXT, "review", "unknown", id="narrative review"),
    pytest.param(MOUSE_TEXT, "preclinical", "mouse", id="mouse study"),
    pytest.param("Diabetic NOD mice were randomized to encapsulated islets or empty capsules; graft survival was "
                 "longer with encapsulation.", "preclinical", "mouse", id="randomised mice are preclinical"),
    pytest.param("Three diabetic cynomolgus monkeys received porcine islets with costimulation blockade; "
                 "the macaques remained normoglycaemic for 6 months.", "preclinical", "non_human_primate",
                 id="primates"),
    pytest.param("Insulin secretion of iPSC-derived organoids and two beta cell lines was measured in vitro.",
                 "preclinical", "in_vitro", id="in vitro"),
    pytest.param("Data from the Collaborative Islet Transplant Registry were analysed for 1,086 recipients of "
                 "islet-alone transplantation.", "registry", "human", id="registry"),
    pytest.param("In this open-label phase 2 trial, 17 adults with type 1 diabetes received encapsulated cells.",
                 "single_arm_trial", "human", id="open-label phase 2"),
    pytest.param("We retrospectively analysed 48 consecutive patients who received islet-after-kidney "
                 "transplantation.", "cohort", "human", id="retrospective cohort"),
])
def test_design_and_organism_from_text(nlp, text, design, organism):
    assert design_of(nlp, text) == (design, organism)


def test_publication_type_beats_the_text(nlp):
    # the abstract describes randomisation, but the record is indexed as a review (of randomised trials)
    assert design_of(nlp, RCT_TEXT, publication_types=["Journal Article", "Review"]) == ("review", "human")
    # and an RCT whose abstract reads like a review
    assert design_of(nlp, REVIEW_TEXT, publication_types=["Randomized Controlled Trial"])[0] == "rct"
    assert design_of(nlp, "Patients received islets.", publication_types=["Case Reports", "Journal Article"])[0] == "case_report"
    assert design_of(nlp, "Patients received islets.", publication_types=["Clinical Trial, Phase I"])[0] == "single_arm_trial"


def test_mesh_design_when_publication_types_say_nothing(nlp):
    meta = {"publication_types": ["Journal Article"],
            "mesh_terms": [{"descriptor": "Humans"}, {"descriptor": "Retrospective Studies"}]}
    assert design_of(nlp, "Recipients of islet transplantation were followed for ten years.", **meta)[0] == "cohort"


def test_mesh_organism_beats_the_text(nlp):
    animals = {"mesh_terms": [{"descriptor": "Animals"}, {"descriptor": "Mice, Inbred NOD"}, {"descriptor": "Mice"},
                              {"descriptor": "Humans"}]}
    text = "Patients with type 1 diabetes need new therapies; patients and participants were surveyed."
    assert design_of(nlp, text, **animals) == ("preclinical", "mouse")
    humans = {"mesh_terms": [{"descriptor": "Humans"}, {"descriptor": "Islets of Langerhans Transplantation"}]}
    assert design_of(nlp, MOUSE_TEXT, **humans)[1] == "human"


def test_unlisted_publication_types_fall_back_to_text():
    meta = {"publication_types": ["Journal Article", "Research Support, Non-U.S. Gov't"], "mesh_terms": []}
    organism = organism_of(RCT_TEXT, meta)
    assert (study_design(RCT_TEXT, meta, organism), organism) == ("rct", "human")


def test_case_report_design_from_text():
    text = "We report a 34-year-old woman with type 1 diabetes who became insulin independent after islet transplantation."
    assert study_design(text, {}, organism_of(text, {})) == "case_report"


def test_case_report_of_a_woman_is_human():
    text = "A 34-year-old woman with type 1 diabetes became insulin independent after islet transplantation."
    assert organism_of(text, {}) == "human"


def test_in_vitro_study_of_human_cells_is_preclinical():
    text = ("Human islets and human iPSC-derived organoids were cultured in vitro with IL-1beta for 48 h and "
            "glucose-stimulated insulin secretion was measured.")
    organism = organism_of(text, {})
    assert (study_design(text, {}, organism), organism) == ("preclinical", "in_vitro")


def test_designs_of_real_pubmed_records(nlp, pubmed_file):
    records = [r for r in evidex.read(pubmed_file("pubmedsample18n0001.xml.gz")) if isinstance(r, Record)]
    docs = {doc._.record["id"]: doc for doc in nlp.pipe(make_doc(nlp, r) for r in records)}
    checked = 0
    for rec in records:
        types = rec.meta["publication_types"]
        mesh = {m["descriptor"] for m in rec.meta["mesh_terms"]}
        doc = docs[rec.id]
        if "Randomized Controlled Trial" in types:
            assert doc._.study_design == "rct", rec.id
            checked += 1
        elif "Review" in types:
            assert doc._.study_design == "review", rec.id
            checked += 1
        elif "Case Reports" in types:
            assert doc._.study_design == "case_report", rec.id
            checked += 1
        if mesh and "Humans" in mesh and "Animals" not in mesh:
            assert doc._.organism == "human", rec.id
    assert checked >= 15
    by_id = {r.id: docs[r.id] for r in records}
    assert by_id["9505772"]._.study_design == "rct"
    assert by_id["14594616"]._.study_design == "case_report"
