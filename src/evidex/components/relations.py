"""Relations: which intervention (or cell therapy) changed which outcome, which way, by how much.

This is the rule-based extractor the pipeline uses until the trained relation classifier
lands. A relation needs a sentence that names an outcome and states an effect (a direction
cue). The intervention is the one the sentence names; where it names none, the document's main
intervention (the most mentioned) is used, with a lower confidence. Values, time points, p-values
and sample sizes are attached from the number spans of the same sentence.

Each relation is a plain dict in `doc._.relations` (character offsets into doc.text):
`{"intervention": [s, e] | None, "cell_type": [s, e] | None, "outcome": [s, e], "direction",
"comparator", "value": [s, e] | None, "timepoint", "p_value", "sample_size", "sentence": [s, e],
"confidence", "source"}`.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc, Span

from ..schema import ACHIEVED, CELL_TYPE, DECREASE, INCREASE, INTERVENTION, NO_DIFFERENCE, OUTCOME

# Checked in order: negated and "no difference" statements before plain increase/decrease words.
DIRECTION_CUES = (
    (NO_DIFFERENCE, r"\b(?:no|not|nor|without)\s+(?:\w+\s+){0,3}(?:significant(?:ly)?\s+|statistically significant\s+|meaningful\s+|detectable\s+)?(?:differ\w*|change\w*|effect\w*|improve\w*|reduc\w*|increas\w*|decreas\w*|affect\w*|benefit\w*|impact\w*|alter\w*|associat\w*)|\b(?:similar|comparable|unchanged|unaltered|did not differ|not significant|non-?significant|no between-group)\b"),
    (ACHIEVED, r"\b(?:achiev\w*|attain\w*|reach\w*|became|become|remain\w*|were|was|maintained|regained|restor\w*|reversed|cured)\b.{0,60}\b(?:insulin[- ]independen\w*|insulin[- ]free|normoglyc\w*|euglyc\w*|off insulin|independen\w* (?:of|from) (?:exogenous )?insulin)|\b(?:insulin[- ]independen\w*|insulin[- ]free|normoglyc\w*)\b.{0,40}\b(?:achiev\w*|attain\w*|was (?:achieved|reached|maintained)|were (?:achieved|reached|maintained))|\breversal of diabetes\b|\breversed (?:the )?diabetes\b|\bcured\b"),
    (DECREASE, r"\b(?:decreas\w*|reduc\w*|lower\w*|fell|fall\w*|declin\w*|diminish\w*|dropp\w*|drop|eliminat\w*|abolish\w*|prevent\w*|resolv\w*|suppress\w*|attenuat\w*|less|fewer|shorter|loss|lost|inhibit\w*|mitigat\w*|alleviat\w*|ameliorat\w*|protect\w* against)\b"),
    (INCREASE, r"\b(?:increas\w*|improv\w*|higher|greater|rose|rise|rising|elevat\w*|enhanc\w*|gain\w*|more|longer|prolong\w*|boost\w*|augment\w*|restor\w*|promot\w*|doubl\w*|tripl\w*|superior|exceed\w*|stimulat\w*|induc\w*|produc\w*|secret\w*|detectable|present|positive)\b"),
)
_CUES = [(d, re.compile(p, re.I)) for d, p in DIRECTION_CUES]
# Sentences that only set the scene carry no finding.
_NOT_A_FINDING = re.compile(
    r"^\s*(?:we (?:aimed|sought|hypothesi[sz]ed|investigated|examined|evaluated|assessed|review)|the (?:aim|objective|purpose|goal)s? (?:of|was|were|is)|to (?:assess|evaluate|determine|investigate|examine|compare)|this (?:study|trial|review) (?:aims|aimed|will)|objectives?:|aims?:|methods?:)",
    re.I,
)
_COMPARATOR = re.compile(
    r"\b(?:compared (?:with|to)|in comparison (?:with|to)|versus|vs\.?|relative to|than(?: (?:in|with))?)\s+(?:the\s+|those\s+(?:in|on|receiving|given)\s+(?:the\s+)?)?([^,;:.()\[\]]{2,60}?)(?=\s*(?:[,;:.()\[\]]|\bat\b|\band\b|\bafter\b|\bwhile\b|\bwhereas\b|$))",
    re.I,
)
_BINARY_OUTCOMES = {"evidex:insulin_independence", "evidex:glycaemic_control"}
_OUTCOME_VALUE_KINDS = {
    "evidex:hba1c": ("hba1c", "mean_sd", "percentage", "range", "measure"),
    "evidex:c_peptide": ("c_peptide", "mean_sd", "measure", "range"),
    "evidex:insulin_independence": ("n_of_n", "percentage"),
}
_EFFECT_KINDS = ("n_of_n", "percentage", "mean_sd", "hba1c", "c_peptide", "range", "measure", "ratio", "ci", "dose")


def _offsets(span: Optional[Span]) -> Optional[list[int]]:
    return [span.start_char, span.end_char] if span is not None else None


def _direction(text: str) -> Optional[tuple[str, float]]:
    for direction, pattern in _CUES:
        if pattern.search(text):
            return direction, (0.75 if direction in (NO_DIFFERENCE, ACHIEVED) else 0.65)
    return None


def _nearest(spans: list[Span], anchor: Span) -> Optional[Span]:
    if not spans:
        return None
    return min(spans, key=lambda s: (abs(s.start - anchor.start), s.start))


@Language.factory("evidex_relations", default_config={"doc_fallback": True, "fallback_penalty": 0.15})
def make_relations(nlp: Language, name: str, doc_fallback: bool, fallback_penalty: float):
    return RuleRelations(doc_fallback, fallback_penalty)


class RuleRelations:
    def __init__(self, doc_fallback: bool = True, fallback_penalty: float = 0.15):
        self.doc_fallback = doc_fallback
        self.fallback_penalty = fallback_penalty

    @staticmethod
    def _main(spans: list[Span]) -> Optional[Span]:
        """The most mentioned concept (by id, else text); its first mention stands for it."""
        if not spans:
            return None
        counts = Counter(s._.kb_id or s.text.lower() for s in spans)
        key = counts.most_common(1)[0][0]
        return next(s for s in spans if (s._.kb_id or s.text.lower()) == key)

    def __call__(self, doc: Doc) -> Doc:
        ents = list(doc.spans.get("entities", doc.ents))
        numbers = list(doc.spans.get("numbers", []))
        main_intervention = self._main([e for e in ents if e.label_ == INTERVENTION])
        main_cell = self._main([e for e in ents if e.label_ == CELL_TYPE])
        doc_sample = next((n for n in numbers if n.label_ == "SAMPLE_SIZE"), None)
        relations = []
        for sent in doc.sents:
            if sent.text.strip() == "" or _NOT_A_FINDING.match(sent.text):
                continue
            in_sent = [e for e in ents if e.start >= sent.start and e.end <= sent.end]
            outcomes = [e for e in in_sent if e.label_ == OUTCOME]
            if not outcomes:
                continue
            nums = [n for n in numbers if n.start >= sent.start and n.end <= sent.end]
            interventions = [e for e in in_sent if e.label_ == INTERVENTION]
            cells = [e for e in in_sent if e.label_ == CELL_TYPE]
            p_value = next((n for n in nums if n._.number_kind == "p_value"), None)
            timepoint = next((n for n in nums if n.label_ == "TIMEPOINT"), None)
            sample = next((n for n in nums if n.label_ == "SAMPLE_SIZE"), None) or doc_sample
            comparator = _COMPARATOR.search(sent.text)
            seen = set()
            for outcome in outcomes:
                key = outcome._.kb_id or outcome.text.lower()
                if key in seen:
                    continue
                seen.add(key)
                found = _direction(sent.text)
                if found is None:
                    continue
                direction, confidence = found
                if direction == ACHIEVED and outcome._.kb_id and outcome._.kb_id not in _BINARY_OUTCOMES:
                    direction = INCREASE
                intervention = _nearest(interventions, outcome)
                cell = _nearest(cells, outcome)
                if intervention is None and cell is None:
                    if not self.doc_fallback or (main_intervention is None and main_cell is None):
                        continue
                    intervention, cell = main_intervention, main_cell
                    confidence -= self.fallback_penalty
                kinds = _OUTCOME_VALUE_KINDS.get(outcome._.kb_id, _EFFECT_KINDS)
                candidates = [n for n in nums if n._.number_kind in kinds and n.label_ == "VALUE"]
                value = min(candidates, key=lambda n: (kinds.index(n._.number_kind), abs(n.start - outcome.start)), default=None)
                relations.append({
                    "intervention": _offsets(intervention),
                    "cell_type": _offsets(cell),
                    "outcome": _offsets(outcome),
                    "direction": direction,
                    "comparator": comparator.group(1).strip() if comparator else "",
                    "value": _offsets(value),
                    "timepoint": _offsets(timepoint),
                    "p_value": _offsets(p_value),
                    "sample_size": _offsets(sample),
                    "sentence": [sent.start_char, sent.end_char],
                    "confidence": round(confidence, 3),
                    "source": "rules",
                })
        doc._.relations = relations
        return doc
