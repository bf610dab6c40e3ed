"""Abbreviations (scispaCy detector), the domain vocabulary and the linker: short forms take
their long form's label and KB id; terms are matched with the KB's case rules."""

from __future__ import annotations

import pytest

from spacy.tokens import Span

from evidex.extensions import abbreviation_pairs
from evidex.kb import load_kb, normalise
from evidex.schema import CELL_TYPE, INTERVENTION, OUTCOME, POPULATION


def ents(doc):
    return [(e.text, e.label_, e._.kb_id) for e in doc.ents]


def test_sc_islets_short_form_gets_long_form_concept(process):
    text = ("Stem cell-derived islets (SC-islets) were infused into the hepatic portal vein of 12 adults. "
            "Two recipients who received SC-islets became insulin independent at 1 year.")
    doc = process(text)
    pairs = {(s.text, l.text) for s, l in abbreviation_pairs(doc)}
    assert ("SC-islets", "Stem cell-derived islets") in pairs
    long_id = next(e._.kb_id for e in doc.ents if e.text == "Stem cell-derived islets")
    assert long_id == "evidex:sc_islets"
    later = [e for e in doc.ents if e.text == "SC-islets" and e.start_char > text.index("Two recipients")]
    assert len(later) == 1
    assert later[0].label_ == CELL_TYPE and later[0]._.kb_id == long_id
    assert later[0]._.kb_name == "stem cell-derived islets"


def test_short_form_not_in_kb_inherits_from_long_form(process):
    # "UC-MSCs" is in no KB synonym list: only the abbreviation makes it a cell type
    assert load_kb().lookup("UC-MSCs") is None
    text = ("Umbilical cord mesenchymal stromal cells (UC-MSCs) were infused twice in new-onset type 1 diabetes. "
            "UC-MSCs preserved stimulated C-peptide at 12 months compared with placebo.")
    doc = process(text)
    later = [e for e in doc.ents if e.text == "UC-MSCs" and e.start_char > text.index("preserved") - 10]
    assert [(e.label_, e._.kb_id) for e in later] == [(CELL_TYPE, "CL:0000134")]
    assert ("UC-MSCs", CELL_TYPE, "CL:0000134") in ents(doc)


def test_abbreviation_of_a_non_domain_term_is_not_tagged(process):
    text = ("Glucose was tracked by continuous glucose monitoring (CGM) for 14 days. "
            "CGM showed fewer hypoglycaemic episodes after transplantation.")
    doc = process(text)
    assert not [e for e in doc.ents if e.text == "CGM"]


def test_vocabulary_labels_and_ids(process):
    doc = process("Recipients with type 1 diabetes received islet transplantation under tacrolimus; "
                  "HbA1c and severe hypoglycaemia were the outcomes.")
    found = {e.text: (e.label_, e._.kb_id, e._.source) for e in doc.ents}
    assert found["type 1 diabetes"] == (POPULATION, "evidex:t1d", "vocabulary")
    assert found["islet transplantation"] == (INTERVENTION, "MESH:D016381", "vocabulary")
    assert found["tacrolimus"] == (INTERVENTION, "MESH:D016559", "vocabulary")
    assert found["HbA1c"] == (OUTCOME, "evidex:hba1c", "vocabulary")
    assert found["severe hypoglycaemia"] == (OUTCOME, "evidex:severe_hypoglycaemia", "vocabulary")
    assert doc.spans["entities"] and list(doc.spans["entities"]) == list(doc.ents)


def test_longest_term_wins(process):
    doc = process("Thirty recipients underwent total pancreatectomy with islet autotransplantation for chronic pancreatitis.")
    assert ("total pancreatectomy with islet autotransplantation", INTERVENTION, "evidex:tpiat") in ents(doc)
    assert not [e for e in doc.ents if e.text == "islet autotransplantation"]


def test_short_upper_case_terms_match_only_exactly(process):
    # "ITA" (islet transplantation alone) is case-sensitive; the given name "Ita" is not the therapy
    upper = process("Ten recipients of ITA were insulin independent at 1 year.")
    assert ("ITA", INTERVENTION, "MESH:D016381") in ents(upper)
    name = process("Transplant coordinator Ita Byrne reviewed the charts; recipients remained insulin independent.")
    assert not [e for e in name.ents if e.text.lower() == "ita"]
    assert ("insulin independent", OUTCOME, "evidex:insulin_independence") in ents(name)


def test_linker_normalises_spans_that_arrive_without_an_id(nlp, process):
    # a span as the transformer tagger would give it: label, no KB id
    text = ("Umbilical cord mesenchymal stromal cells (UC-MSCs) were infused twice. "
            "UC-MSCs and stem cell-derived islets preserved C-peptide.")
    doc = process(text)
    later = text.index("UC-MSCs and")
    islets = text.index("stem cell-derived islets preserved")
    short = Span(doc, doc.char_span(later, later + 7).start, doc.char_span(later, later + 7).end, label=CELL_TYPE)
    named = doc.char_span(islets, islets + len("stem cell-derived islets"), label=CELL_TYPE)
    for span in (short, named):  # extension values live per offsets: clear what the vocabulary set
        span._.kb_id, span._.kb_name = "", ""
    doc.spans["entities"] = [short, named]
    nlp.get_pipe("linker")(doc)
    assert (short._.kb_id, short._.kb_name) == ("CL:0000134", "mesenchymal stem cell")  # via its long form
    assert named._.kb_id == "evidex:sc_islets"  # via its own text


@pytest.mark.parametrize("a,b", [
    ("β-cell replacement", "beta cell replacement"),
    ("Stem-Cell-Derived Islets", "stem cell derived islet"),
    ("islet  grafts", "islet graft"),
])
def test_normalise_makes_variants_equal(a, b):
    assert normalise(a) == normalise(b)


def test_kb_lookup_respects_label():
    kb = load_kb()
    assert kb.lookup("SC-islets").id == "evidex:sc_islets"
    assert kb.lookup("SC-islets", CELL_TYPE).id == "evidex:sc_islets"
    assert kb.lookup("SC-islets", OUTCOME) is None
    assert kb.lookup("glycated hemoglobin", OUTCOME).id == "evidex:hba1c"
