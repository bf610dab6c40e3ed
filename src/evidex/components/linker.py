"""Normalisation: gives each concept entity a KB id (`span._.kb_id`), or NIL.

For each POPULATION, INTERVENTION, CELL_TYPE and OUTCOME entity (the `labels` setting), in order:

1. an exact match of the normalised mention with a KB name or synonym of the entity's label
   (then of the long form, when the mention is a short form found by the abbreviation detector);
2. scispaCy's `CandidateGenerator` (character 3-gram TF-IDF over the KB aliases, nmslib nearest
   neighbours; see `evidex.kb_index`) for the mention and its long form: the best candidate of
   the entity's label, if its cosine similarity reaches `threshold`;
3. otherwise, when `contained_terms` is on, the concept of the longest KB term of the label
   inside the mention or its long form ("intraportal infusion of SC-islets" -> stem
   cell-derived islets);
4. otherwise NIL.

The default threshold (0.75) and the order of steps 2 and 3 were chosen on the dev split of the
in-domain corpus (`evidex evaluate linking --split dev --sweep`).

NIL is written as an empty `span._.kb_id` (and an empty `*_id` cell in the table): the
relation and table code treat an empty id as "no concept" and fall back on the mention text.
`Linker.link` gives the decision for one mention, with its score and which step made it.
"""

from __future__ import annotations

from typing import NamedTuple, Optional, Sequence

from spacy.language import Language
from spacy.tokens import Doc

from ..extensions import abbreviation_pairs
from ..kb import NIL, load_kb, normalise
from ..kb_index import load_candidate_generator
from ..schema import CONCEPT_LABELS


class Link(NamedTuple):
    id: str          # a KB concept id, or NIL
    score: float     # 1.0 for exact matches, the cosine similarity for candidates, 0.0 for NIL
    how: str         # exact, long_form, candidate, contained or nil


NIL_LINK = Link(NIL, 0.0, "nil")


@Language.factory("evidex_linker", default_config={
    "kb_path": None, "index_path": None, "threshold": 0.75, "k": 30,
    "labels": list(CONCEPT_LABELS), "contained_terms": True,
})
def make_linker(nlp: Language, name: str, kb_path: Optional[str], index_path: Optional[str], threshold: float,
                k: int, labels: list[str], contained_terms: bool):
    return Linker(kb_path, index_path, threshold, k, labels, contained_terms)


class Linker:
    def __init__(self, kb_path: Optional[str] = None, index_path: Optional[str] = None, threshold: float = 0.75,
                 k: int = 30, labels: Sequence[str] = CONCEPT_LABELS, contained_terms: bool = True):
        unknown = set(labels) - set(CONCEPT_LABELS)
        if unknown:
            raise ValueError(f"evidex_linker: labels {sorted(unknown)} are not concept labels ({', '.join(CONCEPT_LABELS)})")
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"evidex_linker: threshold must be in (0, 1], got {threshold}")
        self.kb = load_kb(kb_path)
        self.candidates = load_candidate_generator(kb_path, index_path)
        self.threshold, self.k = threshold, k
        self.labels = tuple(labels)
        self.contained_terms = contained_terms
        self._cache: dict[tuple[str, str], tuple[str, float]] = {}

    _CACHE_SIZE = 200_000

    def best_candidates(self, texts: list[str], labels: list[str]) -> list[tuple[str, float]]:
        """For each text, the best scispaCy candidate of its label: (concept id or NIL, similarity).
        Answers are remembered per (normalised text, label): abstracts repeat their mentions
        ("HbA1c", "islet transplantation"), and the nearest-neighbour search is the linker's cost."""
        if not texts:
            return []
        cache = self._cache
        keys = [(normalise(t), label) for t, label in zip(texts, labels)]
        missing = list(dict.fromkeys(k for k in keys if k not in cache))
        if missing:
            if len(cache) + len(missing) > self._CACHE_SIZE:
                cache.clear()  # bounded memory on corpus-scale runs
            for (text, label), found in zip(missing, self.candidates([t for t, _ in missing], self.k)):
                scored = sorted((-max(c.similarities), c.concept_id) for c in found
                                if self.kb.concepts[c.concept_id].label == label)
                # ties go to the alphabetically first id, so results never depend on index order
                cache[(text, label)] = (scored[0][1], float(-scored[0][0])) if scored else (NIL, 0.0)
        return [cache[k] for k in keys]

    def decide(self, text: str, label: str, long_form: Optional[str], candidate: tuple[str, float],
               threshold: Optional[float] = None) -> Link:
        """Steps 1-4 for one mention, given its best candidate (from `best_candidates`)."""
        threshold = self.threshold if threshold is None else threshold
        for source, how in ((text, "exact"), (long_form, "long_form")):
            concept = self.kb.lookup(source, label) if source else None
            if concept is not None:
                return Link(concept.id, 1.0, how)
        cid, score = candidate
        if cid != NIL and score >= threshold:
            return Link(cid, round(score, 4), "candidate")
        if self.contained_terms:
            inner = self.kb.inner(text, label) or (self.kb.inner(long_form, label) if long_form else None)
            if inner is not None:
                return Link(inner[0].id, round(score, 4), "contained")
        return NIL_LINK

    def link(self, text: str, label: str, long_form: Optional[str] = None) -> Link:
        """The KB concept of one mention (a `Link`; its id is NIL when nothing fits)."""
        if label not in CONCEPT_LABELS:
            raise ValueError(f"{label!r} is not a concept label ({', '.join(CONCEPT_LABELS)})")
        return self.decide(text, label, long_form, self._candidate(text, label, long_form))

    def _candidate(self, text: str, label: str, long_form: Optional[str]) -> tuple[str, float]:
        texts = [text] + ([long_form] if long_form else [])
        return max(self.best_candidates(texts, [label] * len(texts)), key=lambda c: c[1])

    def __call__(self, doc: Doc) -> Doc:
        spans = [s for s in doc.spans.get("entities", []) if s.label_ in self.labels]
        if not spans:
            return doc
        long_forms = {(short.start_char, short.end_char): long_form.text for short, long_form in abbreviation_pairs(doc)}
        for span, link in zip(spans, self.link_mentions([(s.text, s.label_, long_forms.get((s.start_char, s.end_char)))
                                                         for s in spans])):
            concept = self.kb.concepts.get(link.id)
            span._.kb_id, span._.kb_name = (concept.id, concept.name) if concept is not None else ("", "")
        return doc

    def link_mentions(self, mentions: Sequence[tuple[str, str, Optional[str]]],
                      thresholds: Sequence[Optional[float]] = (None,)) -> list:
        """Links for (text, label, long form or None) mentions, candidates generated in one batch.
        With several thresholds, one list of links per threshold."""
        texts, labels, owners = [], [], []
        for i, (text, label, long_form) in enumerate(mentions):
            for t in (text, long_form):
                if t:
                    texts.append(t), labels.append(label), owners.append(i)
        best: dict[int, tuple[str, float]] = {}
        for owner, cand in zip(owners, self.best_candidates(texts, labels)):
            if owner not in best or cand[1] > best[owner][1]:
                best[owner] = cand
        runs = [[self.decide(text, label, long_form, best.get(i, (NIL, 0.0)), threshold=t)
                 for i, (text, label, long_form) in enumerate(mentions)] for t in thresholds]
        return runs[0] if len(runs) == 1 else runs
