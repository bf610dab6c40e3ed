"""Number rules (evidex.components.numbers): what find_numbers reports, and the spans the
pipeline puts in doc.spans["numbers"] / doc.ents."""

from __future__ import annotations

import pytest

from evidex.components.numbers import find_numbers
from evidex.schema import NUMBER_KINDS, SAMPLE_SIZE, TIMEPOINT, VALUE


def found(text: str) -> list[tuple[str, str, str]]:
    """(matched text, label, kind) for every number span, in text order."""
    return [(text[s:e], label, kind) for s, e, label, kind, _ in find_numbers(text)]


def kinds_of(text: str) -> dict[str, str]:
    return {t: kind for t, _, kind in found(text)}


# (sentence, span text, label, kind): each span must be found exactly like this
POSITIVE = [
    # n of N, word numbers included
    ("Ten of 12 recipients were insulin independent at 1 year.", "Ten of 12", VALUE, "n_of_n"),
    ("Insulin independence was achieved by 35 of 48 patients (73%).", "35 of 48", VALUE, "n_of_n"),
    ("Eight out of ten participants reached an HbA1c below 7%.", "Eight out of ten", VALUE, "n_of_n"),
    ("Twelve of the 20 NOD mice became normoglycaemic within 30 days.", "Twelve of the 20", VALUE, "n_of_n"),
    ("Insulin independence was achieved in 7/9 recipients.", "7/9", VALUE, "n_of_n"),
    # percentages
    ("Graft survival was 85% at 5 years.", "85%", VALUE, "percentage"),
    ("Severe hypoglycaemia fell by 95 % after transplantation.", "95 %", VALUE, "percentage"),
    # mean ± SD
    ("Daily insulin dose was 0.52 ± 0.18 U/kg/day in the placebo arm.", "0.52 ± 0.18 U/kg/day", VALUE, "mean_sd"),
    ("Body mass index was 24.1 +/- 3.2 kg/m2 at enrolment.", "24.1 +/- 3.2 kg/m2", VALUE, "mean_sd"),
    # ranges
    ("Fasting glucose ranged from 4.2 to 7.9 mmol/L after transplantation.", "4.2 to 7.9 mmol/L", VALUE, "range"),
    ("Islet mass was 5,200 (range 3,100–9,800) IEQ per infusion.", "range 3,100–9,800", VALUE, "range"),
    # HbA1c in % and mmol/mol
    ("HbA1c fell from 8.1% to 6.9% in the intervention group.", "8.1% to 6.9%", VALUE, "hba1c"),
    ("Mean HbA1c was 7.2 % at baseline.", "7.2 %", VALUE, "hba1c"),
    ("Mean HbA1c was 53 mmol/mol at baseline.", "53 mmol/mol", VALUE, "hba1c"),
    ("Glycosylated hemoglobin decreased to 6.4 ± 0.5% by 6 months.", "6.4 ± 0.5%", VALUE, "hba1c"),
    ("Hemoglobin A1c decreased to 6.4% by 6 months.", "6.4%", VALUE, "hba1c"),
    # C-peptide units
    ("Stimulated C-peptide rose to 0.62 nmol/L.", "0.62 nmol/L", VALUE, "c_peptide"),
    ("Peak C-peptide was 1.2 ng/mL after the mixed-meal test.", "1.2 ng/mL", VALUE, "c_peptide"),
    ("Fasting C-peptide increased to 450 pmol/L at day 90.", "450 pmol/L", VALUE, "c_peptide"),
    # p-values
    ("HbA1c was lower after transplantation (P < 0.001).", "P < 0.001", VALUE, "p_value"),
    ("The difference in graft survival was significant (p=.04).", "p=.04", VALUE, "p_value"),
    ("The association with rejection persisted (P = 3 × 10−4).", "P = 3 × 10−4", VALUE, "p_value"),
    # confidence intervals
    ("Insulin dose fell by 0.14 U/kg/day (95% CI -0.22 to -0.06).", "95% CI -0.22 to -0.06", VALUE, "ci"),
    ("The odds ratio for insulin independence was 2.4 (95% CI 1.3–4.6).", "95% CI 1.3–4.6", VALUE, "ci"),
    # hazard / odds ratios
    ("Induction with ATG lowered graft loss (HR 0.62, 95% CI 0.41-0.93).", "HR 0.62", VALUE, "ratio"),
    ("Tacrolimus exposure was linked to rejection (OR = 2.3).", "OR = 2.3", VALUE, "ratio"),
    ("Rejection was more likely without induction (adjusted aOR 1.8).", "aOR 1.8", VALUE, "ratio"),
    ("Graft failure had an odds ratio of 3.1 in sensitised recipients.", "odds ratio of 3.1", VALUE, "ratio"),
    ("The rate of graft failure was lower (hazard ratio, 0.45).", "hazard ratio, 0.45", VALUE, "ratio"),
    # time points
    ("Ten of 12 recipients were insulin independent at 1 year.", "at 1 year", TIMEPOINT, "timepoint"),
    ("Insulin dose was reduced by half at week 12.", "at week 12", TIMEPOINT, "timepoint"),
    ("Graft function persisted 6 months post-transplant in all recipients.", "6 months post-transplant", TIMEPOINT, "timepoint"),
    ("C-peptide was measured at 3, 6 and 12 months.", "at 3, 6 and 12 months", TIMEPOINT, "timepoint"),
    ("The 5-year graft survival was 78%.", "5-year", TIMEPOINT, "timepoint"),
    ("Median follow-up was 36 months.", "Median follow-up was 36 months", TIMEPOINT, "timepoint"),
    # doses
    ("Recipients received 10,000 IEQ/kg body weight per infusion.", "10,000 IEQ/kg body weight", VALUE, "dose"),
    ("Tacrolimus was started at 0.1 mg/kg/day.", "0.1 mg/kg/day", VALUE, "dose"),
    ("NSG mice received 5 × 10^6 cells/kg intravenously.", "5 × 10^6 cells/kg", VALUE, "dose"),
    ("Rats received 1000 islets per kg into the portal vein.", "1000 islets per kg", VALUE, "dose"),
    # sample sizes
    ("The analysis included n = 48 participants.", "n = 48", SAMPLE_SIZE, "sample_size"),
    ("We enrolled 48 patients with type 1 diabetes.", "48 patients", SAMPLE_SIZE, "sample_size"),
    ("Diabetes was reversed in 12 NOD mice.", "12 NOD mice", SAMPLE_SIZE, "sample_size"),
    ("We followed 48 consecutive recipients of islet transplantation.", "48 consecutive recipients", SAMPLE_SIZE, "sample_size"),
    ("Seventeen adults with type 1 diabetes received devices.", "Seventeen adults", SAMPLE_SIZE, "sample_size"),
    ("Registry data covered 1,024 patients across 12 centres.", "1,024 patients", SAMPLE_SIZE, "sample_size"),
]


@pytest.mark.parametrize("text,span,label,kind", POSITIVE, ids=[f"{p[3]}:{p[1]}" for p in POSITIVE])
def test_number_rule_finds(text, span, label, kind):
    assert (span, label, kind) in found(text), found(text)


@pytest.mark.parametrize("text,forbidden", [
    # dates are not fractions
    ("Patients transplanted between 3/2010 and 12/2015 were included.", "n_of_n"),
    ("The trial enrolled from 01/2016 until 06/2019.", "n_of_n"),
    # a fraction cannot exceed its whole
    ("Graft loss occurred in 14 of 9 recipients.", "n_of_n"),
    # the word "or" is not an odds ratio
    ("Patients received one or 2 islet infusions.", "ratio"),
    ("Recipients with or without prior kidney transplant were eligible (or 3 if sensitised).", "ratio"),
])
def test_number_rule_does_not_report(text, forbidden):
    assert forbidden not in {kind for _, _, kind in found(text)}, found(text)


@pytest.mark.parametrize("text", [
    "Patients aged 35 years were enrolled.",
    "Adults 18-65 years old were eligible.",
    "Children aged 8 to 17 years were randomized.",
    "Patients 18 to 65 years of age were eligible.",
    "Participants had a diabetes duration of 22 years.",
    "Mean diabetes duration was 24 years.",
    "Eligible patients had a 10-year history of type 1 diabetes.",
    "At diagnosis, the patients were 14 years old.",
    # each of these would be a time point without the age / duration filters
    "Patients aged over 18 years with type 1 diabetes were eligible.",
    "Participants aged up to 65 years were enrolled.",
    "Recipients with a diabetes duration over 5 years were eligible.",
    "Patients with diabetes for over 10 years were enrolled.",
    "Infants were screened for islet autoantibodies at 12 months of age.",
    "Patients diagnosed at 14 years old were included.",
])
def test_ages_and_diabetes_duration_are_not_time_points(text):
    assert [t for t, label, _ in found(text) if label == TIMEPOINT] == []


def test_time_point_and_age_in_one_sentence():
    text = "Recipients aged 42 years were insulin independent at 2 years."
    timepoints = [t for t, label, _ in found(text) if label == TIMEPOINT]
    assert timepoints == ["at 2 years"]


def test_kinds_are_in_the_schema_and_spans_do_not_overlap():
    text = ("In 48 recipients, HbA1c fell from 7.8 ± 0.9% to 6.1 ± 0.4% (P < 0.001) and stimulated C-peptide rose "
            "to 0.62 nmol/L at week 12; 35 of 48 (73%) were insulin independent at 1 year (OR 2.4, 95% CI 1.3-4.6).")
    spans = find_numbers(text)
    assert len(spans) >= 9
    for (s1, e1, *_), (s2, e2, *_) in zip(spans, spans[1:]):
        assert e1 <= s2  # sorted, non-overlapping
    assert {kind for *_, kind, _ in spans} <= set(NUMBER_KINDS)
    assert kinds_of(text)["95% CI 1.3-4.6"] == "ci"  # the CI wins over the percentage inside it
    assert "95%" not in kinds_of(text)


def test_hba1c_kind_right_after_a_sentence_break():
    text = "Ten of 12 recipients were insulin independent at 1 year. HbA1c decreased from 7.8 ± 0.9% to 6.1 ± 0.4%."
    assert kinds_of(text)["7.8 ± 0.9%"] == "hba1c"


def test_hba1c_kind_after_glycated_haemoglobin():
    text = "Glycated haemoglobin decreased to 6.4 ± 0.5% by 6 months."
    assert kinds_of(text)["6.4 ± 0.5%"] == "hba1c"


def test_hba1c_kind_does_not_leak_into_the_next_sentence():
    text = "Participants had HbA1c measured every 3 months. Body weight decreased by 4.5%."
    assert kinds_of(text)["4.5%"] == "percentage"


@pytest.mark.parametrize("text", [
    "All recipients had lived with type 1 diabetes for 10 years.",
    "Recipients had type 1 diabetes for a median of 24 years before transplantation.",
])
def test_diabetes_for_n_years_is_not_a_time_point(text):
    assert [t for t, label, _ in found(text) if label == TIMEPOINT] == []


def test_ci_with_bracketed_abbreviation():
    text = "Graft failure was less frequent (hazard ratio, 0.45; 95% confidence interval [CI], 0.28 to 0.72)."
    assert "ci" in {kind for _, _, kind in found(text)}, found(text)


def test_trial_phase_is_not_a_fraction():
    text = "In this open-label phase 1/2 study, 12 adults received stem cell-derived islets."
    assert "1/2" not in kinds_of(text)


# --------------------------------------------------------------------------- in the pipeline


def test_pipeline_number_spans_carry_kind_and_label(process):
    doc = process("Ten of 12 recipients (83%) were insulin independent at 1 year, and HbA1c fell to "
                  "6.1 ± 0.4% (P < 0.001).")
    spans = {s.text: (s.label_, s._.number_kind, s._.source) for s in doc.spans["numbers"]}
    assert spans["Ten of 12"] == (VALUE, "n_of_n", "rules")
    assert spans["83%"] == (VALUE, "percentage", "rules")
    assert spans["at 1 year"] == (TIMEPOINT, "timepoint", "rules")
    assert spans["6.1 ± 0.4%"] == (VALUE, "hba1c", "rules")
    assert spans["P < 0.001"] == (VALUE, "p_value", "rules")
    ents = {e.text: e.label_ for e in doc.ents}
    assert ents["Ten of 12"] == VALUE and ents["at 1 year"] == TIMEPOINT
    for span in doc.spans["numbers"]:
        assert doc.text[span.start_char:span.end_char] == span.text


def test_pipeline_sample_size_and_dose(process):
    doc = process("We enrolled 48 patients with type 1 diabetes; each received 0.1 mg/kg/day of tacrolimus.")
    ents = {e.text: (e.label_, e._.number_kind) for e in doc.ents}
    assert ents["48 patients"] == (SAMPLE_SIZE, "sample_size")
    assert ents["0.1 mg/kg/day"] == (VALUE, "dose")
    assert ents["tacrolimus"][0] == "INTERVENTION"


def test_pipeline_keeps_islet_dose_in_entities(process):
    doc = process("Recipients received 10,000 IEQ/kg body weight per infusion.")
    assert any(e.label_ == VALUE and e._.number_kind == "dose" and e.text.startswith("10,000 IEQ/kg")
               for e in doc.ents), [(e.text, e.label_) for e in doc.ents]
