"""Rules for numbers: sample sizes, n of N, percentages, mean ± SD, ranges, HbA1c, C-peptide,
p-values, confidence intervals, time points, doses.

Each rule is a regular expression over the document text with a label (SAMPLE_SIZE, VALUE,
TIMEPOINT) and a kind (`span._.number_kind`). Overlapping matches are resolved by priority,
then length. Spans go to `doc.spans["numbers"]`; the entity resolver merges them into doc.ents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

from ..schema import SAMPLE_SIZE, TIMEPOINT, VALUE

WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
}
_WORDNUM = r"(?:" + "|".join(sorted(WORD_NUMBERS, key=len, reverse=True)) + r")"
_INT = r"\d{1,3}(?:,\d{3})+|\d+"
_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+"
_COUNT = rf"(?:{_INT}|{_WORDNUM})"
_DASH = r"(?:-|–|—|to)"
_PM = r"(?:±|\+/-|\+-|\u2213)"
_UNIT = (
    r"(?:%|mmol/mol|mmol/l|mg/dl|mg/l|nmol/l|pmol/l|pmol/ml|ng/ml|pg/ml|µg/ml|μg/ml|iu/kg/d(?:ay)?|"
    r"u/kg/d(?:ay)?|iu/kg|u/kg|units?/kg(?:/d(?:ay)?)?|iu/d(?:ay)?|u/d(?:ay)?|units?/d(?:ay)?|iu|units?|"
    r"kg/m2|kg/m²|kg|g|mg|ml|l|mm\s?hg|bpm|min|h|cells?/kg|ieq/kg|ieq|ie/kg|%\s?points?|percentage points?|"
    r"mmol|nmol|pmol)"
)
_TIME_UNIT = r"(?:years?|yrs?|months?|mos?|weeks?|wks?|days?|hours?|hrs?|minutes?|mins?)"
_SUBJECTS = (
    r"(?:patients?|participants?|subjects?|recipients?|individuals?|adults?|children|adolescents?|"
    r"youths?|people|persons?|volunteers?|cases?|controls?|donors?|men|women|mice|rats?|pigs?|"
    r"minipigs?|monkeys?|macaques?|baboons?|primates?|dogs?|animals?|islet recipients|transplant recipients|"
    r"infants?|pregnancies|eyes|centres?|centers?|sites?|trials?|studies)"
)

# Terms whose numeric values get a specific kind (looked for just before the number).
_HBA1C_CONTEXT = re.compile(r"(hba1c|hb\s?a1c|\ba1c\b|(?:glycated|glycosylated) ha?emoglobin|ha?emoglobin a1c)", re.I)
_SENTENCE_BREAK = re.compile(r"[.;!?]\s+(?=[A-Z(])|\n")
_CPEP_CONTEXT = re.compile(r"c-?\s?peptide", re.I)


@dataclass(frozen=True)
class Rule:
    name: str
    label: str
    kind: str
    pattern: re.Pattern
    priority: int
    group: int = 0


def _r(name: str, label: str, kind: str, pattern: str, priority: int, group: int = 0) -> Rule:
    return Rule(name, label, kind, re.compile(pattern, re.I), priority, group)


RULES: tuple[Rule, ...] = (
    _r("p_value", VALUE, "p_value",
       rf"\bp(?:\s?-?\s?(?:value|trend|for trend|interaction))?\s*(?:=|<|>|≤|≥|<=|>=|&lt;|&gt;|of)\s*(?:{_NUM})(?:\s*[x×]\s*10\s*(?:\^|e)?\s*[-−–]\s*\d+)?",
       90),
    _r("ci", VALUE, "ci",
       rf"\b\d{{2}}(?:\.\d)?\s?%\s*(?:ci|c\.i\.|confidence intervals?|cri|credible intervals?)(?:\s*[\[(]ci[\])])?\s*[:,=]?\s*(?:of\s*)?[\[(]?\s*[-−]?(?:{_NUM})\s*(?:%|{_UNIT})?\s*(?:,|;|{_DASH})\s*[-−]?(?:{_NUM})\s*(?:%|{_UNIT})?\s*[\])]?",
       85),
    _r("ratio", VALUE, "ratio",
       rf"\b(?:(?-i:a?HR|a?OR|RR|IRR)|hazard ratio|odds ratio|relative risk|risk ratio)\s*(?:=|:|,|of|was|is)?\s*(?:{_NUM})\b",
       80),
    _r("mean_sd", VALUE, "mean_sd",
       rf"(?<![\w.])[-−]?(?:{_NUM})\s*(?:{_UNIT}\s*)?{_PM}\s*(?:{_NUM})(?:\s*{_UNIT}(?![a-z]))?",
       75),
    _r("dose_cells", VALUE, "dose",
       rf"(?<![\w.])(?:{_NUM})\s*(?:[x×]\s*10\s*(?:\^|e|\()?\s*\d+\)?\s*)?(?:ieq|ie|islet equivalents?|cells?|β-cells|beta cells|islets)\s*(?:/|per)\s*(?:kg|kilogram)(?:\s*(?:body weight|bw))?",
       74),
    _r("dose_cells_sci", VALUE, "dose",
       rf"(?<![\w.])(?:{_NUM})\s*[x×]\s*10\s*(?:\^|e|\()?\s*\d+\)?(?:\s*(?:cells|ieq|islets|ipcs?|mscs?))?(?:\s*(?:/|per)\s*(?:kg|mouse|animal|rat))?",
       73),
    _r("dose_drug", VALUE, "dose",
       r"(?<![\w.])(?:\d+(?:\.\d+)?)\s*(?:mg|µg|μg|ug|g|iu|u|units?|mg/m2|ng)\s*(?:/|per)\s*(?:kg|day|d|m2|week|wk)(?:\s*/\s*(?:day|d|week|wk))?(?![a-z])",
       72),
    _r("n_of_n", VALUE, "n_of_n",
       rf"\b(?<![.,/]){_COUNT}\s+(?:out\s+)?of\s+(?:the\s+|all\s+|these\s+)?{_COUNT}\b(?!\s*(?:{_TIME_UNIT}|%|years? of age))",
       70),
    _r("fraction", VALUE, "n_of_n",
       r"(?<![\w./-])\d{1,4}\s?/\s?\d{1,5}(?![\w./%-])(?!\s*(?:mg|kg|g|ml|l|mmol|min|h|d|day|week|wk|m2)\b)",
       65),
    _r("hba1c_mmol", VALUE, "hba1c", rf"(?<![\w.])(?:{_NUM})\s*mmol\s?/\s?mol\b", 64),
    _r("range", VALUE, "range",
       rf"(?<![\w.])(?:{_NUM})\s*(?:{_UNIT}\s*)?(?:-|–|to)\s*(?:{_NUM})\s*{_UNIT}(?![a-z])",
       62),
    _r("range_labeled", VALUE, "range",
       rf"\b(?:range|iqr|interquartile range)\s*[:,=]?\s*(?:{_NUM})\s*(?:-|–|to|,)\s*(?:{_NUM})(?:\s*(?:{_UNIT}|{_TIME_UNIT})(?![a-z]))?",
       63),
    _r("percentage", VALUE, "percentage", rf"(?<![\w.])[-−]?(?:{_NUM})\s?%", 60),
    _r("timepoint_at", TIMEPOINT, "timepoint",
       rf"\b(?:at|after|by|within|over|for|during|up to|through|until|beyond|before)\s+(?:(?:the\s+)?(?:first|second|third)\s+|(?:a\s+)?(?:median|mean)(?:\s+follow-up)?\s+(?:of\s+)?)?(?:{_NUM}|{_WORDNUM})(?:\s*(?:,|and|or|-|–|to)\s*(?:{_NUM}|{_WORDNUM}))*[\s-]+{_TIME_UNIT}(?:\s+(?:post-?transplant(?:ation)?|after transplant(?:ation)?|of follow-up|follow-up|post-?infusion))?\b",
       58),
    _r("timepoint_unit_first", TIMEPOINT, "timepoint",
       rf"\b(?:at\s+|by\s+|until\s+)?(?:week|month|year|day|wk)\s+(?:{_NUM})\b(?!\s*%)",
       57),
    _r("timepoint_adjective", TIMEPOINT, "timepoint",
       rf"\b(?:{_NUM}|{_WORDNUM})-(?:year|month|week|day|yr)(?=\s+(?:follow-up|outcomes?|results?|rates?|survival|insulin|graft|period|visit|data|point|endpoint|primary|composite|analysis))",
       56),
    _r("timepoint_followup", TIMEPOINT, "timepoint",
       rf"\b(?:{_NUM}|{_WORDNUM})\s+{_TIME_UNIT}\s+(?:post-?transplant(?:ation)?|after (?:the\s+)?(?:first\s+|last\s+|final\s+)?(?:transplant(?:ation)?|infusion|implantation|randomi[sz]ation|treatment)|post-?infusion|post-?implantation|of follow-up|follow-up)\b",
       59),
    _r("timepoint_followup_was", TIMEPOINT, "timepoint",
       rf"\b(?:(?:median|mean)\s+)?follow-?up\s+(?:was|of|period of|lasted|duration of)\s+(?:{_NUM}|{_WORDNUM})\s+{_TIME_UNIT}",
       59),
    _r("sample_n_equals", SAMPLE_SIZE, "sample_size", rf"\b[nN]\s*=\s*(?:{_INT})\b", 55),
    _r("sample_subjects", SAMPLE_SIZE, "sample_size",
       rf"(?<![\w.,/%-]){_COUNT}\s+(?:(?:consecutive|eligible|adult|pediatric|paediatric|diabetic|nondiabetic|non-diabetic|non-human|nonhuman|immunodeficient|nod|nude|scid|healthy|male|female|obese|type\s1\s+diabetic|t1d|islet|kidney|transplant|additional|evaluable|randomi[sz]ed|enrolled|treated|recipient|human|new)[\s-]+){{0,3}}{_SUBJECTS}\b",
       54),
    _r("sample_total", SAMPLE_SIZE, "sample_size", rf"\b(?:a total of|total of|overall,?)\s+(?:{_INT})\b", 53),
    _r("measure", VALUE, "measure", rf"(?<![\w.])[-−]?(?:{_NUM})\s*{_UNIT}(?![a-z/])", 40),
)

_AGE_BEFORE = re.compile(r"(?:\baged?|\bage of|\bages|\bold|\bduration(?: of (?:diabetes|disease|t1d))?(?: of)?|\bhistory of|\bdiabetes for|\bborn)\s*(?:\w+\s*){0,2}$", re.I)
_AGE_AFTER = re.compile(r"^\s*(?:old|of age|of diabetes|of disease|duration|with diabetes)", re.I)


def _kind_for_context(doc_text: str, start: int, end: int, kind: str) -> str:
    """HbA1c and C-peptide values get their own kind when their sentence names them just before."""
    if kind not in ("percentage", "measure", "mean_sd", "range"):
        return kind
    before = doc_text[max(0, start - 80):start]
    breaks = list(_SENTENCE_BREAK.finditer(before))
    if breaks:
        before = before[breaks[-1].end():]
    unit = doc_text[start:end].lower()
    if _HBA1C_CONTEXT.search(before) and ("%" in unit or "mmol/mol" in unit):
        return "hba1c"
    if _CPEP_CONTEXT.search(before) and re.search(r"(?:nmol|pmol|ng|µg|μg)/", unit):
        return "c_peptide"
    return kind


def find_numbers(text: str) -> list[tuple[int, int, str, str, int]]:
    """All rule matches as (start, end, label, kind, priority), overlaps resolved."""
    found: list[tuple[int, int, str, str, int]] = []
    for rule in RULES:
        for m in rule.pattern.finditer(text):
            start, end = m.span(rule.group)
            if end <= start:
                continue
            if rule.label == TIMEPOINT and (_AGE_BEFORE.search(text[max(0, start - 30):start])
                                            or _AGE_AFTER.match(text[end:end + 20])):
                continue
            if rule.label == TIMEPOINT and re.search(r"\b(?:old|of age)\b", text[end:end + 12]):
                continue
            if rule.kind == "n_of_n" and (not _plausible_fraction(m.group(0))
                                          or re.search(r"\bphases?\s*$", text[max(0, start - 8):start], re.I)):
                continue  # "phase 1/2" is a trial phase
            if rule.label == TIMEPOINT and m.group(0).lower().startswith("for") and re.search(
                    r"(?:diabetes|t1d|t1dm|disease|diagnosed)\s*(?:mellitus\s*)?$", text[max(0, start - 25):start], re.I):
                continue  # "type 1 diabetes for 10 years" is a duration
            if text[end - 1] in ")]" and text[start:end].count(text[end - 1]) > text[start:end].count("(" if text[end - 1] == ")" else "["):
                end -= 1  # a closing bracket that belongs to the surrounding text
            kind = _kind_for_context(text, start, end, rule.kind)
            found.append((start, end, rule.label, kind, rule.priority))
    # priority first, then longer: greedy non-overlapping selection
    found.sort(key=lambda f: (-f[4], -(f[1] - f[0]), f[0]))
    taken: list[tuple[int, int, str, str, int]] = []
    for cand in found:
        if all(cand[1] <= t[0] or cand[0] >= t[1] for t in taken):
            taken.append(cand)
    return sorted(taken)


def _to_int(token: str) -> int | None:
    token = token.lower().replace(",", "")
    if token.isdigit():
        return int(token)
    return WORD_NUMBERS.get(token)


def _plausible_fraction(text: str) -> bool:
    """n of N / n/N with n <= N, and not a date like 10/2010."""
    parts = re.split(r"\s*(?:/|\bout of\b|\bof\b)\s*(?:the\s+|all\s+|these\s+)?", text.strip(), flags=re.I)
    if len(parts) != 2:
        return False
    n, total = _to_int(parts[0].strip()), _to_int(parts[1].strip())
    if n is None or total is None or total == 0 or n > total:
        return False
    if "/" in text and total >= 1900 and total <= 2100:
        return False
    return True


@Language.factory("evidex_numbers", default_config={})
def make_numbers(nlp: Language, name: str):
    return NumberRules()


class NumberRules:
    """Adds number spans to doc.spans["numbers"], each with `_.number_kind`."""

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for start, end, label, kind, _ in find_numbers(doc.text):
            span = doc.char_span(start, end, label=label, alignment_mode="expand")
            if span is None or not span.text.strip():
                continue
            span._.number_kind = kind
            span._.source = "rules"
            spans.append(span)
        doc.spans["numbers"] = spans
        return doc
