"""Relation training examples: (prompt, sentence) -> label, from Evidence Inference 2.0 and from
evidex's own corpus.

- Evidence Inference: a prompt's positive sentences are the abstract sentences that overlap its
  evidence spans (label: increase / decrease / no_difference); a few other sentences of the same
  abstract are negatives (label: none).
- corpora/t1d_cell_therapy: each annotated relation gives (head, comparator, tail, the tail's
  sentence) with its direction (achieved included); a therapy and an outcome named in the same
  document without a relation between them give negatives.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..nn.pair_classifier import prompt_text
from ..schema import NO_RELATION
from .relation_corpora import EIPrompt, evidence_inference

REPO = Path(__file__).resolve().parents[3]
T1D_CORPUS = REPO / "corpora" / "t1d_cell_therapy" / "t1d_cell_therapy.jsonl"


@dataclass
class PairExample:
    prompt: str
    sentence: str
    label: str
    source: str


class SentenceSplitter:
    """evidex's tokenizer and sentence splitter, without the rest of the pipeline."""

    def __init__(self):
        from ..pipeline import load
        nlp = load(overrides={"paths.tagger": None})
        self.tokenizer, self.splitter = nlp.tokenizer, nlp.get_pipe("sentences")

    def __call__(self, text: str) -> list[tuple[int, int]]:
        doc = self.splitter(self.tokenizer(text))
        out = []
        for sent in doc.sents:
            stripped = sent.text.strip()
            if len(stripped) > 1:
                start = sent.start_char + sent.text.index(stripped)
                out.append((start, start + len(stripped)))
        return out


def evidence_sentences(prompt: EIPrompt, sentences: list[tuple[int, int]]) -> list[int]:
    """Indices of the sentences that overlap the prompt's evidence spans."""
    return [i for i, (s, e) in enumerate(sentences) if any(s < ee and ss < e for ss, ee in prompt.evidence)]


def ei_examples(split: str, root: Optional[Path], splitter: SentenceSplitter, negatives: int, rng: random.Random,
                limit: int = 0) -> list[PairExample]:
    prompts = [p for p in evidence_inference(split, root) if p.evidence]
    if limit:
        prompts = prompts[:limit]
    cache: dict[str, list[tuple[int, int]]] = {}
    out = []
    for p in prompts:
        sentences = cache.setdefault(p.pmcid, splitter(p.abstract))
        gold = evidence_sentences(p, sentences)
        text = prompt_text(p.intervention, p.outcome, p.comparator)
        for i in gold:
            out.append(PairExample(text, p.abstract[slice(*sentences[i])], p.label, "evidence_inference"))
        others = [i for i in range(len(sentences)) if i not in gold]
        for i in rng.sample(others, min(negatives, len(others))):
            out.append(PairExample(text, p.abstract[slice(*sentences[i])], NO_RELATION, "evidence_inference"))
    return out


def t1d_examples(split: str, splitter: SentenceSplitter, negatives: int, rng: random.Random,
                 path: Path = T1D_CORPUS) -> list[PairExample]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        doc = json.loads(line)
        if doc["split"] != split:
            continue
        text = doc["title"] + "\n\n" + doc["abstract"]
        sentences = splitter(text)
        ents = {e["id"]: e for e in doc["entities"]}

        def sentence_of(ent):
            return next((text[s:e] for s, e in sentences if s <= ent["start"] < e), None)

        linked = set()
        for rel in doc["relations"]:
            head, tail = ents[rel["head"]], ents[rel["tail"]]
            comparator = rel.get("comparator") or ""
            comparator = ents[comparator]["text"] if comparator in ents else comparator
            sentence = sentence_of(tail)
            if sentence:
                out.append(PairExample(prompt_text(head["text"], tail["text"], comparator), sentence,
                                       rel["direction"], "t1d_cell_therapy"))
            linked.add((head["text"].lower(), tail["text"].lower()))
        therapies = [e for e in doc["entities"] if e["label"] in ("INTERVENTION", "CELL_TYPE")]
        outcomes = [e for e in doc["entities"] if e["label"] == "OUTCOME"]
        pairs = [(h, o) for h in therapies for o in outcomes if (h["text"].lower(), o["text"].lower()) not in linked]
        for h, o in rng.sample(pairs, min(negatives, len(pairs))):
            sentence = sentence_of(o)
            if sentence:
                out.append(PairExample(prompt_text(h["text"], o["text"]), sentence, NO_RELATION, "t1d_cell_therapy"))
    return out
