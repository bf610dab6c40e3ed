"""How a sentence signals an effect: direction cues, clause breaks, comparators, and sentences
that only set the scene. Used by the relation component to attach and check what the
classifier decides, and to decide alone when no relation model is configured."""

from __future__ import annotations

import re
from typing import Optional

from spacy.tokens import Span

from ..schema import ACHIEVED, DECREASE, INCREASE, NO_DIFFERENCE

# Checked in order: negated and "no difference" statements before plain increase/decrease words.
DIRECTION_CUES = (
    (NO_DIFFERENCE, r"\b(?:no|not|nor|without)\s+(?:\w+\s+){0,3}(?:significant(?:ly)?\s+|statistically significant\s+|meaningful\s+|detectable\s+)?(?:differ\w*|change\w*|effect\w*|improve\w*|reduc\w*|increas\w*|decreas\w*|affect\w*|benefit\w*|impact\w*|alter\w*|associat\w*)|\b(?:similar|comparable|unchanged|unaltered|did not differ|not significant|non-?significant|no between-group)\b"),
    (ACHIEVED, r"\b(?:achiev\w*|attain\w*|reach\w*|became|become|remain\w*|were|was|maintained|regained|restor\w*|reversed|cured)\b.{0,60}\b(?:insulin[- ]independen\w*|insulin[- ]free|normoglyc\w*|euglyc\w*|off insulin|independen\w* (?:of|from) (?:exogenous )?insulin)|\b(?:insulin[- ]independen\w*|insulin[- ]free|normoglyc\w*)\b.{0,40}\b(?:achiev\w*|attain\w*|was (?:achieved|reached|maintained)|were (?:achieved|reached|maintained))|\breversal of diabetes\b|\breversed (?:the )?diabetes\b|\bcured\b"),
    (DECREASE, r"\b(?:decreas\w*|reduc\w*|lower\w*|fell|fall\w*|declin\w*|diminish\w*|dropp\w*|drop|eliminat\w*|abolish\w*|prevent\w*|resolv\w*|suppress\w*|attenuat\w*|less|fewer|shorter|loss|lost|inhibit\w*|mitigat\w*|alleviat\w*|ameliorat\w*|protect\w* against)\b"),
    (INCREASE, r"\b(?:increas\w*|improv\w*|higher|greater|rose|rise|rising|elevat\w*|enhanc\w*|gain\w*|more|longer|prolong\w*|boost\w*|augment\w*|restor\w*|promot\w*|doubl\w*|tripl\w*|superior|exceed\w*|stimulat\w*|induc\w*|produc\w*|secret\w*|detectable|present|positive)\b"),
)
CUES = [(d, re.compile(p, re.I)) for d, p in DIRECTION_CUES]
# Sentences that only set the scene carry no finding.
NOT_A_FINDING = re.compile(
    r"^\s*(?:we (?:aimed|sought|hypothesi[sz]ed|investigated|examined|evaluated|assessed|review)|the (?:aim|objective|purpose|goal)s? (?:of|was|were|is)|to (?:assess|evaluate|determine|investigate|examine|compare)|this (?:study|trial|review) (?:aims|aimed|will)|objectives?:|aims?:|methods?:)",
    re.I,
)
COMPARATOR = re.compile(
    r"\b(?:compared (?:with|to)|in comparison (?:with|to)|versus|vs\.?|relative to|than(?: (?:in|with))?)\s+(?:the\s+|those\s+(?:in|on|receiving|given)\s+(?:the\s+)?)?([^,;:.()\[\]]{2,60}?)(?=\s*(?:[,;:.()\[\]]|\bat\b|\band\b|\bafter\b|\bwhile\b|\bwhereas\b|$))",
    re.I,
)
BINARY_OUTCOMES = {"evidex:insulin_independence", "evidex:glycaemic_control"}
OUTCOME_VALUE_KINDS = {
    "evidex:hba1c": ("hba1c", "mean_sd", "percentage", "range", "measure"),
    "evidex:c_peptide": ("c_peptide", "mean_sd", "measure", "range", "n_of_n", "percentage"),
    "evidex:insulin_independence": ("n_of_n", "percentage"),
}
EFFECT_KINDS = ("n_of_n", "percentage", "mean_sd", "hba1c", "c_peptide", "range", "measure", "ratio", "dose")
# Clause breaks: one sentence can report opposite effects ("fewer events but no insulin independence").
CLAUSE_BREAK = re.compile(r";|,?\s+\b(?:but|whereas|while|although|though|yet)\b|,\s+and\s+(?=\w+\s+\w+\s+(?:was|were|did|had|remained|became)\b)"
                          r"|\s+and\s+(?=(?:no|none of the)\s+\w+\s+(?:was|were|became|had|did|developed|reached|achieved|required)\b)", re.I)
# "No participant became insulin independent", "none of the recipients developed rejection", "without
# rejection": a state or event nobody reached is no_difference (guidelines), whatever verb follows.
# "No further"/"no longer"/"no more" events are a decrease, and are left alone.
NOBODY = re.compile(r"\b(?:no|none of the|neither)\s+(?:(?:other|single|individual)\s+)?(?:participants?|patients?|recipients?|subjects?"
                    r"|animals?|mice|rats|monkeys|one|child(?:ren)?|adults?)\b", re.I)
NOT_BEFORE = re.compile(r"\b(?:without|no)\s+(?:(?:evidence|sign|signs|episodes?|cases?|case)\s+of\s+)?$", re.I)


def direction_cue(text: str) -> Optional[tuple[str, float]]:
    for direction, pattern in CUES:
        if pattern.search(text):
            return direction, (0.75 if direction in (NO_DIFFERENCE, ACHIEVED) else 0.65)
    return None


# after the outcome: "[PERV infection] was not found in anyone tested (0 of 198)", "[rejection]
# occurred in none of the recipients"
NOBODY_AFTER = re.compile(r"\b(?:in|by|among)\s+(?:none|no\s+one|nobody)\b|\bnot\b[^;]*?\b(?:in|by|among)\s+any(?:one|body)?\b"
                          r"|(?<![\w.])(?:0|zero|none)\s*(?:of|/)\s*\d+\b", re.I)
# any other quantity in the clause makes it a comparison ("by four of ten MSC recipients and by none of ten controls")
ZERO_COUNT = re.compile(r"\(\s*(?:0|zero|none)\s*(?:of|/)\s*\d+\s*\)", re.I)
SOMEBODY = re.compile(r"\b(?:\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|all|both|half|most|some|several|many)\b", re.I)


def nobody_reached(sent: Span, outcome: Span) -> bool:
    """Whether the outcome's clause says nobody reached it: "no participant became [insulin
    independent]", "[rejection] ... in none of the recipients", "survived without [rejection]",
    "[infection] in 0 of 198" (when the clause holds no other quantity)."""
    start, end = clause_bounds(sent, outcome)
    before = sent.doc.text[start:outcome.start_char]
    if NOBODY.search(before) or NOT_BEFORE.search(before):
        return True
    after = sent.doc.text[outcome.end_char:end]
    found = NOBODY_AFTER.search(after)
    if found is None:
        return False
    # the rest of the clause, less the outcome's own words ("C-peptide >= 0.2 nmol/L") and the
    # nobody's count ("(0 of 198)")
    rest = before + after[:found.start()] + after[found.end():]
    return not SOMEBODY.search(ZERO_COUNT.sub("", rest))


def clause_bounds(sent: Span, span: Span) -> tuple[int, int]:
    """Character offsets (in the document) of the clause of the sentence that holds `span`."""
    text, offset = sent.text, span.start_char - sent.start_char
    bounds = [0] + [m.end() for m in CLAUSE_BREAK.finditer(text)] + [len(text)]
    for a, b in zip(bounds, bounds[1:]):
        if a <= offset < b:
            return sent.start_char + a, sent.start_char + b
    return sent.start_char, sent.end_char


def clause_of(sent: Span, span: Span) -> str:
    """The clause of the sentence that holds `span`."""
    start, end = clause_bounds(sent, span)
    return sent.doc.text[start:end]


