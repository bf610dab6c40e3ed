"""The domain knowledge base: concepts with ids, labels, names, synonyms and cross-references.

The default KB (`data/kb/t1d_cell_therapy.jsonl`) covers type 1 diabetes cell therapy: cell
types and sources (Cell Ontology ids where one exists), therapies and immunosuppressants (MeSH
where known), canonical outcomes and populations. One JSON object per line:
`{"id", "label", "name", "synonyms": [...], "xrefs": {...}, "role": ""}`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Optional

DEFAULT_KB = "t1d_cell_therapy.jsonl"


@dataclass(frozen=True)
class Concept:
    id: str
    label: str
    name: str
    synonyms: tuple[str, ...]
    xrefs: dict = field(default_factory=dict, hash=False, compare=False)
    # "comparator" (placebo, usual care) or "adjunct" (immunosuppression): never a study's main therapy
    role: str = ""


def normalise(term: str) -> str:
    """Lower-case, unify Greek beta, hyphens and spacing, drop a plural -s: the lookup key."""
    term = term.lower().replace("β", "beta").replace("α", "alpha").replace("δ", "delta")
    term = re.sub(r"[\u2010-\u2015-]", " ", term)
    term = re.sub(r"[^\w\s+/]", "", term)
    term = re.sub(r"\s+", " ", term).strip()
    return re.sub(r"(?<=[a-z]{3})s\b", "", term)


class KnowledgeBase:
    def __init__(self, concepts: list[Concept]):
        self.concepts = {c.id: c for c in concepts}
        self._index: dict[str, str] = {}
        for concept in concepts:
            for term in (concept.name, *concept.synonyms):
                self._index.setdefault(normalise(term), concept.id)

    @classmethod
    def from_file(cls, path: str | Path) -> "KnowledgeBase":
        concepts = []
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                obj = json.loads(line)
                missing = {"id", "label", "name"} - obj.keys()
                if missing:
                    raise ValueError(f"{path}:{lineno}: concept lacks {sorted(missing)}")
                concepts.append(Concept(obj["id"], obj["label"], obj["name"], tuple(obj.get("synonyms", ())),
                                        obj.get("xrefs", {}), obj.get("role", "")))
        return cls(concepts)

    def lookup(self, term: str, label: Optional[str] = None) -> Optional[Concept]:
        """Exact lookup of a normalised term; with `label`, only concepts of that label."""
        cid = self._index.get(normalise(term))
        concept = self.concepts.get(cid) if cid else None
        if concept is not None and label is not None and concept.label != label:
            return None
        return concept

    def terms(self):
        """(term, concept) for every name and synonym."""
        for concept in self.concepts.values():
            for term in (concept.name, *concept.synonyms):
                yield term, concept


@lru_cache(maxsize=8)
def load_kb(path: Optional[str] = None) -> KnowledgeBase:
    """The KB at `path`, or the packaged default; cached, since every pipeline needs it."""
    if path:
        return KnowledgeBase.from_file(path)
    with resources.as_file(resources.files("evidex") / "data" / "kb" / DEFAULT_KB) as default:
        return KnowledgeBase.from_file(default)
