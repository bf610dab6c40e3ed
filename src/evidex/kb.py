"""The domain knowledge base: concepts with ids, labels, names, synonyms and cross-references.

The default KB (`data/kb/t1d_cell_therapy.jsonl`, fields described in `data/kb/README.md`)
covers type 1 diabetes cell therapy: cell types and sources (Cell Ontology ids where one
exists), therapies and immunosuppressants (MeSH where known, RxNorm in `xrefs`), canonical
outcomes and populations. One JSON object per line:
`{"id", "label", "name", "synonyms": [...], "xrefs": {...}, "role": "", "definition": ""}`.

`NIL` is the id of "no concept of the KB": the corpus's gold ids use it, and the linker
returns it for mentions that match nothing well enough.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterator, Optional

from .schema import CONCEPT_LABELS

DEFAULT_KB = "t1d_cell_therapy.jsonl"
NIL = "NIL"
ROLES = ("", "comparator", "adjunct")
KEYS = ("id", "label", "name", "synonyms", "xrefs", "role", "definition")
_ID = re.compile(r"^(?:CL:\d{7}|MESH:[CD]\d{6,9}|evidex:[a-z0-9_]+)$")


@dataclass(frozen=True)
class Concept:
    id: str
    label: str
    name: str
    synonyms: tuple[str, ...]
    xrefs: dict = field(default_factory=dict, hash=False, compare=False)
    # "comparator" (placebo, usual care) or "adjunct" (immunosuppression): never a study's main therapy
    role: str = ""
    # what the concept covers, for curators and annotators (and scispaCy's Entity.definition)
    definition: str = ""

    def terms(self) -> tuple[str, ...]:
        return (self.name, *self.synonyms)


# British spellings folded into American ones, so "haemorrhage" and "hemorrhage" share a key.
_SPELLING = ((re.compile(r"aem"), "em"), (re.compile(r"oea"), "ea"), (re.compile(r"\boe"), "e"),
             (re.compile(r"isation"), "ization"), (re.compile(r"\b(tum|behavi|col|fav)our"), r"\1or"))


def normalise(term: str) -> str:
    """Lower-case, unify Greek letters, hyphens, spacing and UK/US spelling, drop a plural -s: the lookup key."""
    term = term.lower().replace("β", "beta").replace("α", "alpha").replace("δ", "delta").replace("γ", "gamma")
    term = re.sub(r"[\u2010-\u2015-]", " ", term)
    term = re.sub(r"[^\w\s+/]", "", term)
    term = re.sub(r"\s+", " ", term).strip()
    for pattern, replacement in _SPELLING:
        term = pattern.sub(replacement, term)
    return re.sub(r"(?<=[a-z]{3})s\b", "", term)


class KnowledgeBase:
    def __init__(self, concepts: list[Concept]):
        self.concepts = {c.id: c for c in concepts}
        self._index: dict[str, str] = {}
        self._by_label: dict[tuple[str, str], str] = {}
        self._sorted: dict[str, list[tuple[str, str]]] = {}
        for concept in concepts:
            for term in concept.terms():
                key = normalise(term)
                self._index.setdefault(key, concept.id)
                self._by_label.setdefault((concept.label, key), concept.id)

    @classmethod
    def from_file(cls, path: str | Path) -> "KnowledgeBase":
        """Read and check a KB file; every problem found is reported in one ValueError."""
        concepts, problems = [], []
        seen: dict[str, int] = {}
        owner: dict[tuple[str, str], str] = {}
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                where = f"{path}:{lineno}"
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    problems.append(f"{where}: not valid JSON ({exc})")
                    continue
                missing = {"id", "label", "name"} - obj.keys()
                if missing:
                    problems.append(f"{where}: concept lacks {sorted(missing)}")
                    continue
                concept = Concept(obj["id"], obj["label"], obj["name"], tuple(obj.get("synonyms", ())),
                                  obj.get("xrefs", {}), obj.get("role", ""), obj.get("definition", ""))
                problems.extend(f"{where} ({concept.id}): {p}" for p in _problems(obj, concept))
                if concept.id in seen:
                    problems.append(f"{where}: duplicate id {concept.id!r} (first on line {seen[concept.id]})")
                seen.setdefault(concept.id, lineno)
                for term in concept.terms():
                    key = (concept.label, normalise(term))
                    if owner.setdefault(key, concept.id) != concept.id:
                        problems.append(f"{where} ({concept.id}): term {term!r} also names {owner[key]} "
                                        f"(same {concept.label} key {key[1]!r})")
                concepts.append(concept)
        if problems:
            raise ValueError("invalid knowledge base:\n  " + "\n  ".join(problems))
        return cls(concepts)

    def lookup(self, term: str, label: Optional[str] = None) -> Optional[Concept]:
        """Exact lookup of a normalised term; with `label`, among the concepts of that label."""
        key = normalise(term)
        cid = self._by_label.get((label, key)) if label is not None else self._index.get(key)
        return self.concepts.get(cid) if cid else None

    def inner(self, text: str, label: str) -> Optional[tuple[Concept, float]]:
        """The concept of the longest KB term of `label` found inside `text` (whole words, after
        normalising), and the share of the text's characters it covers; None if there is none."""
        key = f" {normalise(text)} "
        if key.strip() == "":
            return None
        for term, cid in self._terms_by_length(label):
            if f" {term} " in key:
                return self.concepts[cid], len(term) / (len(key) - 2)
        return None

    def _terms_by_length(self, label: str) -> list[tuple[str, str]]:
        cached = self._sorted.get(label)
        if cached is None:
            cached = self._sorted[label] = sorted(((k, cid) for (lab, k), cid in self._by_label.items() if lab == label),
                                                  key=lambda kc: (-len(kc[0]), kc[0]))
        return cached

    def terms(self) -> Iterator[tuple[str, Concept]]:
        """(term, concept) for every name and synonym."""
        for concept in self.concepts.values():
            for term in concept.terms():
                yield term, concept


def _problems(obj: dict, concept: Concept) -> list[str]:
    problems = [f"unknown key(s) {sorted(set(obj) - set(KEYS))}"] if set(obj) - set(KEYS) else []
    if not _ID.match(concept.id):
        problems.append("id must look like CL:0000169, MESH:D016381 or evidex:snake_case")
    if concept.label not in CONCEPT_LABELS:
        problems.append(f"label {concept.label!r} is not one of {', '.join(CONCEPT_LABELS)}")
    if concept.role not in ROLES:
        problems.append(f"role {concept.role!r} is not one of {ROLES}")
    if not isinstance(concept.xrefs, dict) or not all(isinstance(v, str) and v for v in concept.xrefs.values()):
        problems.append("xrefs must map a source name to an id string")
    terms = concept.terms()
    if not all(isinstance(t, str) and t and t == t.strip() for t in terms):
        problems.append("name and synonyms must be non-empty strings without surrounding spaces")
    return problems


def kb_file(path: Optional[str] = None) -> Path:
    """The path of the KB file: `path`, or the packaged default."""
    if path:
        return Path(path)
    return Path(str(resources.files("evidex") / "data" / "kb" / DEFAULT_KB))


@lru_cache(maxsize=8)
def load_kb(path: Optional[str] = None) -> KnowledgeBase:
    """The KB at `path`, or the packaged default; cached, since every pipeline needs it."""
    return KnowledgeBase.from_file(kb_file(path))
