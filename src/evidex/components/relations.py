"""Relations: which intervention (or cell therapy) changed which outcome, which way, by how much.

The component works in three steps, for every sentence that reports rather than sets the scene:

1. Candidates: each outcome named in the sentence (repeats of one concept once), paired with the
   therapy the sentence names nearest to it, passing over comparators (placebo) and adjuncts
   (immunosuppression) when the study has a main therapy; a sentence that names no therapy
   ("the SC-islet group", "both groups", "recipients") is paired with the document's main
   therapy, the most mentioned one, at a lower confidence.
2. Decision: the trained relation classifier (`model`, see `evidex.nn.pair_classifier`) reads
   the prompt "intervention: X; comparator: Y; outcome: Z" with the sentence and says none,
   increase, decrease, no_difference or achieved, with a probability. Without a model the
   direction cues of `relation_cues` decide (the rule fallback). The guidelines then correct the
   direction (nobody reached it, p >= 0.05: no_difference), and an outcome mention that two
   therapies were found to change keeps the surer one.
3. Attachment: values (each owned by the outcome it is nearest to, of a kind that suits the
   outcome), time point, p-value, sample size and comparator come from the sentence's number
   spans and wording.

Each relation is a plain dict in `doc._.relations` (character offsets into doc.text):
`{"intervention": [s, e] | None, "cell_type": [s, e] | None, "outcome": [s, e], "direction",
"comparator", "value": [s, e] | None, "timepoint", "p_value", "sample_size", "sentence": [s, e],
"confidence", "source"}`.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import minibatch

from ..kb import load_kb
from ..paths import model_path
from ..schema import ACHIEVED, CELL_TYPE, DECREASE, INCREASE, INTERVENTION, NO_DIFFERENCE, NO_RELATION, OUTCOME
from .relation_cues import (
    BINARY_OUTCOMES, COMPARATOR, EFFECT_KINDS, NOT_A_FINDING, OUTCOME_VALUE_KINDS, clause_bounds, clause_of,
    direction_cue, nobody_reached,
)
from .sentences import sentences


def _offsets(span: Optional[Span]) -> Optional[list[int]]:
    return [span.start_char, span.end_char] if span is not None else None


def _nearest(spans: list[Span], anchor: Span) -> Optional[Span]:
    if not spans:
        return None
    return min(spans, key=lambda s: (abs(s.start - anchor.start), s.start))


# words that name no particular therapy: "islet transplantation" and "islets" share "islet"
_GENERIC = {"cell", "cells", "derived", "transplantation", "transplant", "transplanted", "infusion", "infusions",
            "therapy", "treatment", "allogeneic", "human", "intraportal", "alone", "group", "patients"}


_NO_REGIMEN = {"evidex:immunosuppression"}

_NEGATION = re.compile(r"\b(?:no|none|neither|nor|without|free|absent)\b", re.I)


_CELL_NOUNS = {"cell", "progenitor", "precursor", "graft", "organoid", "cluster", "aggregate", "spheroid",
               "preparation", "transplant", "transplantation", "infusion", "product", "allograft", "autograft"}


def _modifier(span: Span) -> bool:
    """A one-word singular cell-type mention that modifies the noun after it ("islet yield",
    "islet autoantibody titres", "beta-cell function"): a word of the outcome, not a therapy."""
    if span.label_ != CELL_TYPE or len(span) != 1 or span.text.lower().endswith("s"):
        return False
    doc = span.doc
    if span.end >= len(doc) or not span[-1].whitespace_:
        return False
    nxt = doc[span.end]
    # "islet progenitors", "islet grafts": the cells themselves
    return nxt.is_alpha and nxt.is_lower and not nxt.is_stop and nxt.lower_.rstrip("s") not in _CELL_NOUNS


def _content_words(text: str) -> set[str]:
    # "islets" is "islet"; "macrophage" is not "macroencapsulation"
    return {w.rstrip("s")[:7] for w in re.split(r"[^a-z0-9]+", text.lower()) if len(w) > 3 and w not in _GENERIC}


_P_VALUE = re.compile(r"(=|>|≥|&gt;|\bof)\s*(\d*\.\d+|\d+)", re.I)


def not_significant(c: "Candidate") -> bool:
    """The first p-value after the outcome and before the sentence's next outcome is 0.05 or
    more ("fell by 21% (P = 0.24)"): a finding the guidelines call no_difference."""
    stop = min((e.start for e in c.sent.ents if e.label_ == OUTCOME and e.start >= c.outcome.end), default=c.sent.end)
    for n in sorted(c.numbers, key=lambda n: n.start):
        if n._.number_kind == "p_value" and c.outcome.end <= n.start < stop:
            found = _P_VALUE.search(n.text)
            return found is not None and float(found.group(2)) >= 0.05
    return False


@dataclass
class Candidate:
    sent: Span
    outcome: Span
    therapy: Span
    comparator: str
    fallback: bool  # the therapy is the document's main one, not named in the sentence
    numbers: list[Span]
    values: list[Span]
    owner: dict
    sample: Optional[Span]


def pair_text(c: Candidate, markers: bool = False) -> tuple[str, str]:
    """What the classifier reads for a candidate: (prompt, sentence), the sentence with the
    outcome and (when the sentence names it) the therapy marked when the model uses marks."""
    from ..nn.entity_markers import mark
    from ..nn.pair_classifier import prompt_text

    prompt = prompt_text(c.therapy.text, c.outcome.text, c.comparator)
    raw = c.sent.text
    sentence = raw.strip()
    if not markers:
        return prompt, sentence
    base = c.sent.start_char + (len(raw) - len(raw.lstrip()))

    def local(span: Span) -> Optional[tuple[int, int]]:
        if span.start_char < c.sent.start_char or span.end_char > c.sent.end_char:
            return None
        return span.start_char - base, span.end_char - base

    return prompt, mark(sentence, local(c.outcome), None if c.fallback else local(c.therapy))


@Language.factory("evidex_relations", default_config={
    "kb_path": None, "model": None, "device": "auto", "batch_size": 64, "precision": "auto",
    "threshold": 0.5, "max_heads": 2, "doc_fallback": True, "fallback_penalty": 0.15, "prefilter": False,
    "achieved_binary_only": False, "title_regimen": True, "nobody_check": True, "significance_check": True,
    "one_head_per_outcome": True})
def make_relations(nlp: Language, name: str, kb_path: Optional[str], model: Optional[str], device: str,
                   batch_size: int, precision: str, threshold: float, max_heads: int, doc_fallback: bool,
                   fallback_penalty: float, prefilter: bool, achieved_binary_only: bool, title_regimen: bool,
                   nobody_check: bool, significance_check: bool, one_head_per_outcome: bool):
    return RelationExtractor(kb_path, model, device, batch_size, precision, threshold, max_heads, doc_fallback,
                             fallback_penalty, prefilter, achieved_binary_only, title_regimen, nobody_check,
                             significance_check, one_head_per_outcome)


class RelationExtractor:
    def __init__(self, kb_path: Optional[str] = None, model: Optional[str] = None, device: str = "auto",
                 batch_size: int = 64, precision: str = "auto", threshold: float = 0.5, max_heads: int = 2,
                 doc_fallback: bool = True, fallback_penalty: float = 0.15, prefilter: bool = False,
                 achieved_binary_only: bool = False, title_regimen: bool = True, nobody_check: bool = True,
                 significance_check: bool = True, one_head_per_outcome: bool = True):
        from ..nn.inference import PRECISIONS

        if precision not in PRECISIONS:
            raise ValueError(f"evidex_relations: precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"evidex_relations: threshold must lie in [0, 1], not {threshold}")
        self.kb = load_kb(kb_path)
        self.doc_fallback, self.fallback_penalty = doc_fallback, fallback_penalty
        self.batch_size, self.precision, self.threshold = batch_size, precision, threshold
        self.max_heads = max(1, max_heads)
        self.prefilter = prefilter
        self.achieved_binary_only, self.title_regimen = achieved_binary_only, title_regimen
        self.nobody_check, self.significance_check = nobody_check, significance_check
        self.one_head_per_outcome = one_head_per_outcome
        self.model = self.tokenizer = self.folder = None
        if model:
            try:
                self.folder = model_path(model)
            except FileNotFoundError as exc:
                warnings.warn(f"{exc}; relations come from the direction rules only", stacklevel=2)
        if self.folder is not None:
            from ..nn.encoder import load_tokenizer
            from ..nn.inference import cast_for_inference, resolve_device
            from ..nn.pair_classifier import PairClassifier
            from ..nn.serving import remote_model

            remote = remote_model(PairClassifier, self.folder)
            if remote is not None:  # an engine worker: the forward passes run where the model is
                import torch

                self.device, self.model, self.precision = torch.device("cpu"), remote, "fp32"
            else:
                self.device = resolve_device(device)
                self.model = PairClassifier.from_pretrained(self.folder).to(self.device)
                self.precision = cast_for_inference(self.model, self.device, self.precision)
            self.tokenizer = load_tokenizer(self.model.config.encoder)

    @property
    def version(self) -> str:
        return f"relations:{self.folder.name}" if self.folder else "relations:rules"

    # -- candidates ---------------------------------------------------------------------
    def _role(self, span: Span) -> str:
        concept = self.kb.concepts.get(span._.kb_id)
        return concept.role if concept is not None else ""

    def _title_regimen(self, spans: list[Span]) -> Optional[str]:
        """The concept of a drug regimen that the title names before any other therapy
        ("Belatacept-based immunosuppression for islet transplantation", "Mycophenolate versus
        sirolimus after islet transplantation"): then the study is about the regimen."""
        if not spans:
            return None
        record = spans[0].doc._.record or {}
        title_end = len(record.get("title") or "")
        # "immunosuppression" alone names no regimen
        in_title = sorted((s for s in spans if s.end_char <= title_end), key=lambda s: s.start)
        if in_title and in_title[0]._.kb_id in _NO_REGIMEN:
            # "Belatacept-based immunosuppression for ...": the drug in the words before it may be
            # untagged there ("Belatacept-based" is one token) but named later in the text
            before = (record.get("title") or "")[:in_title[0].start_char].lower()
            named = [(before.find(s.text.lower()), s._.kb_id) for s in spans
                     if s.start_char >= title_end and s._.kb_id and s._.kb_id not in _NO_REGIMEN
                     and self._role(s) == "adjunct" and len(s.text) > 3
                     and re.search(rf"\b{re.escape(s.text.lower())}\b", before)]
            if named:
                return min(named)[1]
        in_title = [s for s in in_title if s._.kb_id not in _NO_REGIMEN]
        if in_title and self._role(in_title[0]) == "adjunct":
            return in_title[0]._.kb_id or None
        return None

    def _main(self, spans: list[Span]) -> list[Span]:
        """The mentions of the study's main therapy: the most mentioned cell type or intervention
        (by concept id), cell therapies before drugs, never a comparator (placebo) or an adjunct
        (immunosuppression) while anything else is named, unless the title puts a regimen first."""
        regimen = self._title_regimen(spans) if self.title_regimen else None
        if regimen:
            return [s for s in spans if s._.kb_id == regimen]
        # "islet" in "islet yield" or "islet antigens" names no therapy given
        spans = [s for s in spans if not _modifier(s)]
        weights: Counter = Counter()
        for span in spans:
            key = span._.kb_id or span.text.lower()
            role = self._role(span)
            weights[key] += ({"comparator": 0.01, "adjunct": 0.1}.get(role, 1.0) * (1.5 if span.label_ == CELL_TYPE else 1.0)
                             # "cells" names no therapy; "tolerogenic dendritic cells" does, known or not
                             * (1.0 if span._.kb_id or _content_words(span.text) else 0.4))
        if not weights:
            return []
        best = weights.most_common(1)[0][0]
        words = set().union(*(_content_words(s.text) for s in spans if (s._.kb_id or s.text.lower()) == best))
        # the procedure and its cells are one therapy ("islet transplantation", "islets")
        return [s for s in spans if (s._.kb_id or s.text.lower()) == best
                or (self._role(s) not in ("comparator", "adjunct") and _content_words(s.text) & words)]

    @staticmethod
    def _closest_preceding(mentions: list[Span], sent: Span) -> Optional[Span]:
        """The main therapy's mention that a sentence naming no therapy speaks of: the closest one
        before it (the title precedes the abstract), else the first."""
        before = [m for m in mentions if m.end <= sent.start]
        return before[-1] if before else (mentions[0] if mentions else None)

    def _heads(self, sent_therapies: list[Span], outcome: Span, main: Optional[Span]) -> list[tuple[Span, bool]]:
        """The therapies an outcome may be the effect of: those the sentence names (one mention per
        concept, nearest first, comparators only when nothing else is named), and the study's main
        therapy where the sentence names none or only adjuncts. (span, is_fallback) pairs."""
        named = [t for t in sent_therapies if self._role(t) != "comparator"]
        heads: list[tuple[Span, bool]] = []
        seen = set()
        for t in sorted(named, key=lambda t: (abs(t.start - outcome.start), t.start)):
            key = t._.kb_id or t.text.lower()
            if key not in seen:
                seen.add(key)
                heads.append((t, False))
        heads = heads[:self.max_heads]
        only_adjuncts = heads and all(self._role(t) == "adjunct" for t, _ in heads)
        if main is not None and self.doc_fallback and (not heads or only_adjuncts):
            if (main._.kb_id or main.text.lower()) not in seen:
                heads.append((main, True))
        return heads

    def candidates(self, doc: Doc, every_head: Optional[bool] = None) -> list[Candidate]:
        """The pairs to judge; `every_head` (default: when a model judges) keeps up to `max_heads`
        therapies per outcome, else the one the rules can judge."""
        every_head = self.model is not None if every_head is None else every_head
        ents = list(doc.spans.get("entities", doc.ents))
        numbers = list(doc.spans.get("numbers", []))
        therapies = [e for e in ents if e.label_ in (INTERVENTION, CELL_TYPE)]
        main_mentions = self._main(therapies)
        doc_sample = next((n for n in numbers if n.label_ == "SAMPLE_SIZE"), None)
        out = []
        for sent in sentences(doc):
            if sent.text.strip() == "" or NOT_A_FINDING.match(sent.text):
                continue
            in_sent = [e for e in ents if e.start >= sent.start and e.end <= sent.end]
            outcomes = [e for e in in_sent if e.label_ == OUTCOME]
            if not outcomes:
                continue
            nums = [n for n in numbers if n.start >= sent.start and n.end <= sent.end]
            if self.prefilter and not (any(n.label_ == "VALUE" for n in nums) or direction_cue(sent.text)
                                       or _NEGATION.search(sent.text)):
                continue  # no number, no effect word, no negation: nothing for the classifier to find
            sent_therapies = [e for e in in_sent if e.label_ in (INTERVENTION, CELL_TYPE)]
            main = self._closest_preceding(main_mentions, sent)
            sample = next((n for n in nums if n.label_ == "SAMPLE_SIZE"), None) or doc_sample
            found = COMPARATOR.search(sent.text)
            sent_comparator = found.group(1).strip() if found else ""
            # each value belongs to the outcome it is nearest to
            values = [n for n in nums if n.label_ == "VALUE" and n._.number_kind not in ("p_value", "ci")]
            # (of its own clause, where the clause names one)
            owner = {id(v): _nearest(self._same_clause(sent, outcomes, v) or outcomes, v) for v in values}
            comparators = [t.text for t in sent_therapies if self._role(t) == "comparator"]
            comparator = sent_comparator or (comparators[0] if comparators else "")
            # every mention counts: one outcome at two time points is two findings; the table
            # merges what is left the same (therapy, outcome, direction, time point)
            for outcome in outcomes:
                heads = self._heads(sent_therapies, outcome, main)
                if not every_head:  # the rules can judge one head per outcome: the main one, else the nearest
                    heads = [h for h in heads if h[1]][:1] or heads[:1]
                for therapy, fallback in heads:
                    out.append(Candidate(sent, outcome, therapy, comparator, fallback, nums, values, owner, sample))
        return out

    @staticmethod
    def _same_clause(sent: Span, outcomes: list[Span], value: Span) -> list[Span]:
        a, b = clause_bounds(sent, value)
        return [o for o in outcomes if a <= o.start_char < b]

    # -- decision -----------------------------------------------------------------------
    def _classify(self, cands: list[Candidate]) -> list[Optional[tuple[str, float]]]:
        from ..nn.inference import autocast_context

        if not cands:
            return []
        markers = bool(getattr(self.model.config, "markers", False))
        pairs = [pair_text(c, markers) for c in cands]
        with autocast_context(self.device, self.precision):
            probs = self.model.predict(self.tokenizer, pairs, batch_size=self.batch_size)
        labels = self.model.config.labels
        none = labels.index(NO_RELATION)
        out: list[Optional[tuple[str, float]]] = []
        for row in probs.tolist():
            if row[none] >= self.threshold:
                out.append(None)
                continue
            best = max((i for i in range(len(labels)) if i != none), key=lambda i: row[i])
            out.append((labels[best], row[best]))
        return out

    def _rules(self, cands: list[Candidate]) -> list[Optional[tuple[str, float]]]:
        return [direction_cue(clause_of(c.sent, c.outcome)) for c in cands]  # the outcome's own clause decides

    # -- attachment ---------------------------------------------------------------------
    def _relation(self, c: Candidate, direction: str, confidence: float, source: str) -> dict:
        kb_id = c.outcome._.kb_id
        cue = direction_cue(clause_of(c.sent, c.outcome))
        if self.achieved_binary_only and direction == ACHIEVED and kb_id and kb_id not in BINARY_OUTCOMES:
            direction = INCREASE
        elif direction == INCREASE and kb_id in BINARY_OUTCOMES and cue is not None and cue[0] == ACHIEVED:
            direction = ACHIEVED  # "became insulin independent" is reached, not raised
        if self.nobody_check and direction in (ACHIEVED, INCREASE) and nobody_reached(c.sent, c.outcome):
            direction = NO_DIFFERENCE
        if self.significance_check and direction in (INCREASE, DECREASE) and not_significant(c):
            direction = NO_DIFFERENCE
        if c.fallback:
            confidence -= self.fallback_penalty
        kinds = OUTCOME_VALUE_KINDS.get(kb_id, EFFECT_KINDS)
        mine = [v for v in c.values if c.owner[id(v)] is c.outcome and v._.number_kind in kinds]
        value = min(mine, key=lambda n: (kinds.index(n._.number_kind), abs(n.start - c.outcome.start)), default=None)
        p_value = next((n for n in c.numbers if n._.number_kind == "p_value"), None)
        # the time point of the outcome's own clause, else the sentence's nearest
        times = [n for n in c.numbers if n.label_ == "TIMEPOINT"]
        a, b = clause_bounds(c.sent, c.outcome)
        timepoint = _nearest([n for n in times if a <= n.start_char < b] or times, c.outcome)
        return {
            "intervention": _offsets(c.therapy) if c.therapy.label_ == INTERVENTION else None,
            "cell_type": _offsets(c.therapy) if c.therapy.label_ == CELL_TYPE else None,
            "outcome": _offsets(c.outcome),
            "direction": direction,
            "comparator": c.comparator,
            "value": _offsets(value),
            "timepoint": _offsets(timepoint),
            "p_value": _offsets(p_value),
            "sample_size": _offsets(c.sample),
            "sentence": [c.sent.start_char, c.sent.end_char],
            "confidence": round(max(0.0, confidence), 3),
            "source": source,
        }

    @staticmethod
    def _one_head_per_outcome(relations: list[dict]) -> list[dict]:
        """One outcome mention that two therapies were found to change: the sentence credits one
        of them (in the corpus 96% of outcome mentions with a finding have one head); keep the
        one the classifier is surest of."""
        best: dict = {}
        for i, rel in enumerate(relations):
            key = tuple(rel["outcome"])
            if key not in best or rel["confidence"] > relations[best[key]]["confidence"]:
                best[key] = i
        return [rel for i, rel in enumerate(relations) if best[tuple(rel["outcome"])] == i]

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: Optional[int] = None) -> Iterator[Doc]:
        # candidates of many documents go to the classifier together: fuller batches
        for batch in minibatch(docs, size=batch_size or self.batch_size):
            batch = list(batch)
            per_doc = [self.candidates(doc) for doc in batch]
            flat = [c for cands in per_doc for c in cands]
            decided = self._classify(flat) if self.model is not None else self._rules(flat)
            source = "classifier" if self.model is not None else "rules"
            k = 0
            for doc, cands in zip(batch, per_doc):
                relations = []
                for c in cands:
                    found = decided[k]
                    k += 1
                    if found is not None:
                        relations.append(self._relation(c, found[0], found[1], source))
                doc._.relations = self._one_head_per_outcome(relations) if self.one_head_per_outcome else relations
                yield doc


# the name earlier code and tests knew
RuleRelations = RelationExtractor
