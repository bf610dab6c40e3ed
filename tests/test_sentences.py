"""Sentence boundaries (evidex_sentences) on abstract-like text."""

from __future__ import annotations

import pytest


def sentences(nlp, text: str) -> list[str]:
    """Non-blank sentences, stripped."""
    return [s.text.strip() for s in nlp(text).sents if s.text.strip()]


CASES = [
    pytest.param(
        "As reported by Shapiro et al. (2000), islet transplantation can restore insulin independence. "
        "We extend these data to ten years.",
        ["As reported by Shapiro et al. (2000), islet transplantation can restore insulin independence.",
         "We extend these data to ten years."], id="et al."),
    pytest.param(
        "Insulin independence at 1 year was 60% vs. 20% with intensive insulin therapy. Rejection was rare.",
        ["Insulin independence at 1 year was 60% vs. 20% with intensive insulin therapy.", "Rejection was rare."],
        id="vs."),
    pytest.param(
        "Immunosuppressive agents (e.g. ATG, tacrolimus) were tapered. Graft loss occurred in 3 recipients.",
        ["Immunosuppressive agents (e.g. ATG, tacrolimus) were tapered.", "Graft loss occurred in 3 recipients."],
        id="e.g. in brackets"),
    pytest.param(
        "Recipients were given induction therapy, e.g. Thymoglobulin, before the first infusion. "
        "All recipients survived.",
        ["Recipients were given induction therapy, e.g. Thymoglobulin, before the first infusion.",
         "All recipients survived."], id="e.g. in running text"),
    pytest.param(
        "Glycaemic control improved as shown in Fig. 2 after transplantation. HbA1c fell to 6.2%.",
        ["Glycaemic control improved as shown in Fig. 2 after transplantation.", "HbA1c fell to 6.2%."], id="Fig."),
    pytest.param(
        "Insulin independence was achieved in 9 of 14 recipients (64.3%). Mean HbA1c was 6.2%. "
        "Stimulated C-peptide was 0.45 nmol/L.",
        ["Insulin independence was achieved in 9 of 14 recipients (64.3%).", "Mean HbA1c was 6.2%.",
         "Stimulated C-peptide was 0.45 nmol/L."], id="decimals"),
    pytest.param(
        "Graft function (defined as C-peptide > 0.3 nmol/L. Measured at 3 months) persisted in 8 recipients. "
        "Two grafts failed.",
        ["Graft function (defined as C-peptide > 0.3 nmol/L. Measured at 3 months) persisted in 8 recipients.",
         "Two grafts failed."], id="full stop inside brackets"),
    pytest.param(
        "The median dose was 11,500 IEQ/kg. 2 recipients required a third infusion.",
        ["The median dose was 11,500 IEQ/kg.", "2 recipients required a third infusion."], id="next starts with digit"),
    pytest.param(
        "Is insulin independence durable? Yes, in 60% of recipients at 5 years.",
        ["Is insulin independence durable?", "Yes, in 60% of recipients at 5 years."], id="question"),
    pytest.param(
        "The trial was approved by the U.S. Food and Drug Administration. Enrolment began in 2019.",
        ["The trial was approved by the U.S. Food and Drug Administration.",
         "Enrolment began in 2019."], id="U.S."),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_sentence_boundaries(nlp, text, expected):
    assert sentences(nlp, text) == expected


def test_title_and_abstract_split_at_blank_line(nlp):
    text = ("Ten-year outcomes of islet transplantation alone in type 1 diabetes\n\n"
            "We followed 48 consecutive recipients. Insulin independence was achieved by 35 of 48 patients.")
    doc = nlp(text)
    sents = list(doc.sents)
    assert sents[0].text.strip() == "Ten-year outcomes of islet transplantation alone in type 1 diabetes"
    assert [s.text.strip() for s in sents[1:] if s.text.strip()] == [
        "We followed 48 consecutive recipients.", "Insulin independence was achieved by 35 of 48 patients."]
    # the abstract's first sentence starts exactly after the separator
    second = next(s for s in sents[1:] if s.text.strip())
    assert second.start_char == text.index("We followed")


def test_title_without_full_stop_never_merges_with_abstract(nlp):
    text = "Stem cell-derived islets in type 1 diabetes\n\nthe first recipients were followed for 1 year."
    assert sentences(nlp, text) == ["Stem cell-derived islets in type 1 diabetes",
                                    "the first recipients were followed for 1 year."]


def test_structured_sections_split_at_line_breaks(nlp):
    text = ("PURPOSE: To assess islet graft function\nMETHODS: Twelve recipients were studied\n"
            "RESULTS: C-peptide was 0.5 nmol/L at 1 year.")
    assert sentences(nlp, text) == ["PURPOSE: To assess islet graft function", "METHODS: Twelve recipients were studied",
                                    "RESULTS: C-peptide was 0.5 nmol/L at 1 year."]


def test_line_break_closes_an_open_bracket(nlp):
    text = ("Graft function was preserved (see appendix\nInsulin independence was achieved in 9 of 14 recipients. "
            "Graft loss occurred in 2 recipients.")
    assert sentences(nlp, text) == ["Graft function was preserved (see appendix",
                                    "Insulin independence was achieved in 9 of 14 recipients.",
                                    "Graft loss occurred in 2 recipients."]


def test_unclosed_bracket_does_not_swallow_the_rest(nlp):
    limit = nlp.get_pipe("sentences").max_bracket_tokens
    filler = ("the list of participating centres in North America, Europe and Australia, all of which followed the "
              "same protocol with induction by anti-thymocyte globulin and maintenance with tacrolimus and "
              "mycophenolate mofetil")
    text = (f"Graft function was preserved (see the supplementary appendix for {filler}. "
            "Insulin independence was achieved in 9 of 14 recipients. Graft loss occurred in 2 recipients. "
            "Severe hypoglycaemia resolved in all recipients. Kidney function was stable in 11 recipients. "
            "No recipient died during follow-up.")
    doc = nlp(text)
    opened = next(t.i for t in doc if t.text == "(")
    late = [s for s in doc.sents if s.start > opened + limit + 1]
    assert doc[-1].i > opened + limit + 10  # the text runs well past the bracket budget
    assert [s.text.strip() for s in late][-2:] == ["Kidney function was stable in 11 recipients.",
                                                   "No recipient died during follow-up."]


def test_sentences_cover_the_document(nlp):
    text = ("Hypoimmune islets in cynomolgus monkeys\n\nIslets were transplanted into 4 monkeys (Fig. 1). "
            "Rejection occurred within 2 weeks in controls, i.e. in 3 of 3 animals. HbA1c vs. baseline fell.")
    doc = nlp(text)
    sents = list(doc.sents)
    assert sents[0].start_char == 0 and sents[-1].end_char == len(text)
    for a, b in zip(sents, sents[1:]):
        assert a.end == b.start
    assert len([s for s in sents if s.text.strip()]) == 4
