"""The knowledge base file: ids, labels, cross-references and synonyms are well formed, the
canonical outcomes exist, and the reader rejects broken files with every problem listed."""

from __future__ import annotations

import json
import re

import pytest

from evidex.kb import KnowledgeBase, kb_file, load_kb, normalise
from evidex.schema import CELL_TYPE, INTERVENTION, OUTCOME, POPULATION

XREF_FORMATS = {"MESH": r"[CD]\d{6,9}", "RXNORM": r"\d{1,8}", "UBERON": r"UBERON:\d{7}", "CL": r"CL:\d{7}"}


@pytest.fixture(scope="module")
def kb():
    return load_kb()


def test_every_concept_is_documented_and_well_formed(kb):
    assert len(kb.concepts) >= 100
    for concept in kb.concepts.values():
        assert concept.definition and concept.definition.endswith("."), concept.id
        for source, value in concept.xrefs.items():
            assert source in XREF_FORMATS and re.fullmatch(XREF_FORMATS[source], value), (concept.id, source, value)
    labels = {c.label for c in kb.concepts.values()}
    assert labels == {POPULATION, INTERVENTION, CELL_TYPE, OUTCOME}


def test_canonical_outcomes_and_domain_concepts_exist(kb):
    for cid in ("insulin_independence", "hba1c", "c_peptide", "severe_hypoglycaemia", "graft_survival", "time_in_range",
                "insulin_dose", "igls_category", "adverse_event", "beta_score", "glycaemic_variability",
                "hypoglycaemia_awareness", "insulin_secretion", "graft_function", "hla_sensitisation", "mortality",
                "body_weight"):
        assert kb.concepts[f"evidex:{cid}"].label == OUTCOME
    assert kb.concepts["CL:0000169"].name == "type B pancreatic cell"
    for text, cid in [("zimislecel", "evidex:sc_islets"), ("VX-880", "evidex:sc_islets"), ("VX-264", "evidex:sc_islets"),
                      ("PEC-Encap", "evidex:macroencapsulation"), ("PEC-Direct", "evidex:macroencapsulation"),
                      ("HIP islets", "evidex:hypoimmune_cells"), ("neonatal porcine islets", "evidex:porcine_islets"),
                      ("TPIAT", "evidex:tpiat"), ("thymoglobulin", "MESH:D000961"), ("tegoprubart", "evidex:cd40_pathway_blockade"),
                      ("MMF", "MESH:D009173"), ("daclizumab", "evidex:daclizumab"), ("anakinra", "evidex:anakinra")]:
        assert kb.lookup(text).id == cid, text


def test_insulin_independence_wordings_are_one_concept(kb):
    ids = {kb.lookup(t, OUTCOME).id for t in ("insulin-free", "freedom from exogenous insulin", "insulin independence",
                                              "Insulin independent", "off insulin")}
    assert ids == {"evidex:insulin_independence"}


@pytest.mark.parametrize("uk,us", [("haemorrhage", "hemorrhage"), ("glycaemic variability", "glycemic variability"),
                                   ("allosensitisation", "allosensitization"), ("diarrhoea", "diarrhea"),
                                   ("haematopoietic stem cells", "hematopoietic stem cells")])
def test_uk_and_us_spellings_share_a_key(kb, uk, us):
    assert normalise(uk) == normalise(us)
    assert kb.lookup(uk) is not None and kb.lookup(uk) == kb.lookup(us)


def test_inner_term_is_the_longest_of_the_label(kb):
    concept, share = kb.inner("proportion of recipients who stayed insulin independent", OUTCOME)
    assert concept.id == "evidex:insulin_independence" and 0.2 < share < 0.5
    assert kb.inner("mixed-meal stimulated C-peptide AUC at 12 months", OUTCOME)[0].id == "evidex:c_peptide"
    assert kb.inner("knee replacement surgery", OUTCOME) is None
    assert kb.inner("islets", OUTCOME) is None  # a CELL_TYPE term is not an outcome


def test_reader_lists_every_problem(tmp_path):
    good = json.loads(kb_file().read_text(encoding="utf-8").splitlines()[0])
    bad = [
        {**good},                                                           # duplicate id (with line 1 below)
        {**good, "id": "evidex:Bad-Id", "synonyms": []},                    # id format
        {**good, "id": "evidex:other", "synonyms": ["Beta cells"]},         # term of another CELL_TYPE concept
        {**good, "id": "evidex:odd", "label": "DRUG", "synonyms": []},      # label
        {**good, "id": "evidex:extra", "synonyms": [], "colour": "red"},    # unknown key
    ]
    path = tmp_path / "kb.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in [good, *bad]), encoding="utf-8")
    with pytest.raises(ValueError) as err:
        KnowledgeBase.from_file(path)
    message = str(err.value)
    for expected in ("duplicate id", "id must look like", "also names CL:0000169", "label 'DRUG'", "unknown key(s) ['colour']"):
        assert expected in message
