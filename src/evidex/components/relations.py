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

from ..kb import load_kb
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
    "evidex:c_peptide": ("c_peptide", "mean_sd", "measure", "range", "n_of_n", "percentage"),
    "evidex:insulin_independence": ("n_of_n", "percentage"),
}
_EFFECT_KINDS = ("n_of_n", "percentage", "mean_sd", "hba1c", "c_peptide", "range", "measure", "ratio", "dose")
# Clause breaks: one sentence can report opposite effects ("fewer events but no insulin independence").
_CLAUSE_BREAK = re.compile(r";|,?\s+\b(?:but|whereas|while|although|though|yet)\b|,\s+and\s+(?=\w+\s+\w+\s+(?:was|were|did|had|remained|became)\b)", re.I)


def _offsets(span: Optional[Span]) -> Optional[list[int]]:
    return [span.start_char, span.end_char] if span is not None else None


def _direction(text: str) -> Optional[tuple[str, float]]:
    for direction, pattern in _CUES:
        if pattern.search(text):
            return direction, (0.75 if direction in (NO_DIFFERENCE, ACHIEVED) else 0.65)
    return None


def _clause(sent: Span, span: Span) -> str:
    """The clause of the sentence that holds `span`."""
    text, offset = sent.text, span.start_char - sent.start_char
    bounds = [0] + [m.end() for m in _CLAUSE_BREAK.finditer(text)] + [len(text)]
    for a, b in zip(bounds, bounds[1:]):
        if a <= offset < b:
            return text[a:b]
    return text


def _nearest(spans: list[Span], anchor: Span) -> Optional[Span]:
    if not spans:
        return None
    return min(spans, key=lambda s: (abs(s.start - anchor.start), s.start))


@Language.factory("evidex_relations", default_config={"kb_path": None, "doc_fallback": True, "fallback_penalty": 0.15})
def make_relations(nlp: Language, name: str, kb_path: Optional[str], doc_fallback: bool, fallback_penalty: float):
    return RuleRelations(kb_path, doc_fallback, fallback_penalty)


class RuleRelations:
    def __init__(self, kb_path: Optional[str] = None, doc_fallback: bool = True, fallback_penalty: float = 0.15):
        self.kb = load_kb(kb_path)
        self.doc_fallback = doc_fallback
        self.fallback_penalty = fallback_penalty

    def _role(self, span: Span) -> str:
        concept = self.kb.concepts.get(span._.kb_id)
        return concept.role if concept is not None else ""

    def _main(self, spans: list[Span]) -> Optional[Span]:
        """The study's main therapy: the most mentioned cell type or intervention (by concept id),
        cell therapies before drugs, never a comparator (placebo) or an adjunct (immunosuppression)
        while anything else is named."""
        weights: Counter = Counter()
        first: dict[str, Span] = {}
        for span in spans:
            key = span._.kb_id or span.text.lower()
            role = self._role(span)
            weights[key] += ({"comparator": 0.01, "adjunct": 0.1}.get(role, 1.0) * (1.5 if span.label_ == CELL_TYPE else 1.0)
                             * (1.0 if span._.kb_id else 0.4))  # "cells" names no therapy
            first.setdefault(key, span)
        if not weights:
            return None
        return first[weights.most_common(1)[0][0]]

    def _pick(self, candidates: list[Span], anchor: Span) -> Optional[Span]:
        """The nearest therapy in the sentence, passing over comparators when another is named."""
        main = [c for c in candidates if self._role(c) != "comparator"]
        return _nearest(main or candidates, anchor)

    def __call__(self, doc: Doc) -> Doc:
        ents = list(doc.spans.get("entities", doc.ents))
        numbers = list(doc.spans.get("numbers", []))
        therapies = [e for e in ents if e.label_ in (INTERVENTION, CELL_TYPE)]
        main = self._main(therapies)
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
            sent_therapies = [e for e in in_sent if e.label_ in (INTERVENTION, CELL_TYPE)]
            p_value = next((n for n in nums if n._.number_kind == "p_value"), None)
            timepoint = next((n for n in nums if n.label_ == "TIMEPOINT"), None)
            sample = next((n for n in nums if n.label_ == "SAMPLE_SIZE"), None) or doc_sample
            comparator = _COMPARATOR.search(sent.text)
            comparator_text = comparator.group(1).strip() if comparator else ""
            # each value belongs to the outcome it is nearest to
            values = [n for n in nums if n.label_ == "VALUE" and n._.number_kind not in ("p_value", "ci")]
            owner = {id(v): _nearest(outcomes, v) for v in values}
            seen = set()
            for outcome in outcomes:
                key = outcome._.kb_id or outcome.text.lower()
                if key in seen:
                    continue
                seen.add(key)
                found = _direction(_clause(sent, outcome))  # the outcome's own clause decides
                if found is None:
                    continue
                direction, confidence = found
                if direction == ACHIEVED and outcome._.kb_id and outcome._.kb_id not in _BINARY_OUTCOMES:
                    direction = INCREASE
                therapy = self._pick(sent_therapies, outcome)
                if therapy is None or (self._role(therapy) in ("comparator", "adjunct") and main is not None
                                       and self._role(main) == ""):
                    if not self.doc_fallback or main is None:
                        continue
                    if therapy is not None and self._role(therapy) == "comparator" and not comparator_text:
                        comparator_text = therapy.text
                    therapy = main
                    confidence -= self.fallback_penalty
                if not comparator_text:
                    comparator_text = next((t.text for t in sent_therapies if self._role(t) == "comparator"), "")
                kinds = _OUTCOME_VALUE_KINDS.get(outcome._.kb_id, _EFFECT_KINDS)
                mine = [v for v in values if owner[id(v)] is outcome and v._.number_kind in kinds]
                value = min(mine, key=lambda n: (kinds.index(n._.number_kind), abs(n.start - outcome.start)), default=None)
                relations.append({
                    "intervention": _offsets(therapy) if therapy.label_ == INTERVENTION else None,
                    "cell_type": _offsets(therapy) if therapy.label_ == CELL_TYPE else None,
                    "outcome": _offsets(outcome),
                    "direction": direction,
                    "comparator": comparator_text,
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
