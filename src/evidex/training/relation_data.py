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

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..corpus.documents import load_documents
from ..nn.entity_markers import mark, mark_phrases
from ..nn.pair_classifier import prompt_text
from ..paths import T1D_CORPUS
from ..records import document_text
from ..schema import NO_RELATION
from .corpora import SentenceSplitter
from .relation_corpora import EIPrompt, evidence_inference



@dataclass
class PairExample:
    prompt: str
    sentence: str
    label: str
    source: str


def evidence_sentences(prompt: EIPrompt, sentences: list[tuple[int, int]]) -> list[int]:
    """Indices of the sentences that overlap the prompt's evidence spans."""
    return [i for i, (s, e) in enumerate(sentences) if any(s < ee and ss < e for ss, ee in prompt.evidence)]


def ei_examples(split: str, root: Optional[Path], splitter: SentenceSplitter, negatives: int, rng: random.Random,
                limit: int = 0, markers: bool = False) -> list[PairExample]:
    prompts = [p for p in evidence_inference(split, root) if p.evidence]
    if limit:
        prompts = prompts[:limit]
    cache: dict[str, list[tuple[int, int]]] = {}
    out = []
    for p in prompts:
        sentences = cache.setdefault(p.pmcid, splitter(p.abstract))
        gold = evidence_sentences(p, sentences)
        text = prompt_text(p.intervention, p.outcome, p.comparator)

        def sentence(i: int) -> str:
            plain = p.abstract[slice(*sentences[i])]
            return mark_phrases(plain, p.outcome, p.intervention) if markers else plain

        for i in gold:
            out.append(PairExample(text, sentence(i), p.label, "evidence_inference"))
        others = [i for i in range(len(sentences)) if i not in gold]
        for i in rng.sample(others, min(negatives, len(others))):
            out.append(PairExample(text, sentence(i), NO_RELATION, "evidence_inference"))
    return out


def t1d_examples(split: str, splitter: SentenceSplitter, negatives: int, rng: random.Random,
                 path: Path = T1D_CORPUS, markers: bool = False) -> list[PairExample]:
    out = []
    for doc in load_documents(split, path):
        text = document_text(doc["title"], doc["abstract"])
        sentences = splitter(text)
        ents = {e["id"]: e for e in doc["entities"]}

        def sentence_of(ent, head=None):
            found = next(((s, e) for s, e in sentences if s <= ent["start"] < e), None)
            if found is None:
                return None
            s, e = found
            if not markers:
                return text[s:e]

            def local(x):
                return (x["start"] - s, x["end"] - s) if x is not None and s <= x["start"] and x["end"] <= e else None

            return mark(text[s:e], local(ent), local(head))

        linked = set()
        for rel in doc["relations"]:
            head, tail = ents[rel["head"]], ents[rel["tail"]]
            comparator = rel.get("comparator") or ""
            comparator = ents[comparator]["text"] if comparator in ents else comparator
            sentence = sentence_of(tail, head)
            if sentence:
                out.append(PairExample(prompt_text(head["text"], tail["text"], comparator), sentence,
                                       rel["direction"], "t1d_cell_therapy"))
            linked.add((head["text"].lower(), tail["text"].lower()))
        therapies = [e for e in doc["entities"] if e["label"] in ("INTERVENTION", "CELL_TYPE")]
        outcomes = [e for e in doc["entities"] if e["label"] == "OUTCOME"]
        pairs = [(h, o) for h in therapies for o in outcomes if (h["text"].lower(), o["text"].lower()) not in linked]
        for h, o in rng.sample(pairs, min(negatives, len(pairs))):
            sentence = sentence_of(o, h)
            if sentence:
                out.append(PairExample(prompt_text(h["text"], o["text"]), sentence, NO_RELATION, "t1d_cell_therapy"))
    return out


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _use_gold_entities(doc, gold_doc: dict, linker) -> None:
    """Replace the pipeline's entities by the gold ones (linked, so roles are known)."""
    from spacy.util import filter_spans

    spans = []
    for ent in gold_doc["entities"]:
        if ent["label"] not in ("INTERVENTION", "CELL_TYPE", "OUTCOME", "POPULATION"):
            continue
        span = doc.char_span(ent["start"], ent["end"], label=ent["label"], alignment_mode="expand")
        if span is not None:
            spans.append(span)
    concepts = filter_spans(spans)
    doc.spans["entities"] = sorted(concepts + [n for n in doc.spans.get("numbers", [])
                                               if not any(n.start < c.end and c.start < n.end for c in concepts)],
                                   key=lambda s: s.start)
    doc.ents = filter_spans(list(doc.spans["entities"]))
    if linker is not None:
        linker(doc)


def t1d_candidate_examples(split: str, path: Path = T1D_CORPUS, markers: bool = False,
                           entities: str = "gold") -> list[PairExample]:
    """The pipeline's own candidate pairs over the corpus's gold entities, labelled from its gold
    relations: what the relation component will ask the classifier, with the right answers.

    Each document goes through the rule pipeline (tokens, sentences, numbers, vocabulary), its
    entities are replaced by the gold ones (linked by the pipeline's linker, so roles such as
    comparator and adjunct are known), and `RelationExtractor.candidates` makes the pairs. A pair
    takes the direction of a gold relation whose outcome overlaps the candidate's outcome and
    whose head is the candidate's therapy (overlapping, the same words, or the same concept);
    every other pair is "none": a wrong head, a sentence that only sets the scene, an outcome
    nothing changed.

    `entities="predicted"` keeps the whole pipeline's own entities (tagger included) instead of the
    gold ones: the pairs the classifier meets on new text, tagger fragments and all."""
    from spacy.tokens import Span

    from ..components.relations import RelationExtractor, pair_text
    from ..pipeline import load, make_doc
    from ..records import Record

    if entities not in ("gold", "predicted"):
        raise ValueError(f"entities must be 'gold' or 'predicted', not {entities!r}")
    predicted = entities == "predicted"
    nlp = load(overrides={"paths.relations": None} if predicted else {"paths.tagger": None, "paths.relations": None})
    linker = nlp.get_pipe("linker") if "linker" in nlp.pipe_names else None
    extractor = RelationExtractor(model=None)
    out = []
    for gold_doc in load_documents(split, path):
        doc = nlp(make_doc(nlp, Record(gold_doc["id"], gold_doc["title"], gold_doc["abstract"])))
        if not predicted:
            _use_gold_entities(doc, gold_doc, linker)
        ents = {e["id"]: e for e in gold_doc["entities"]}
        kb_of = {(s.start_char, s.end_char): s._.kb_id for s in doc.spans["entities"] if isinstance(s, Span)}
        gold = []
        for rel in gold_doc["relations"]:
            head, tail = ents[rel["head"]], ents[rel["tail"]]
            kb = kb_of.get((head["start"], head["end"]), "")
            if predicted and not kb and head.get("kb_id", "NIL") != "NIL":
                kb = head["kb_id"]  # the tagger's span may differ from the gold one: its gold concept
            gold.append(((head["start"], head["end"]), head["text"].lower(), kb, (tail["start"], tail["end"]), rel["direction"]))
        for c in extractor.candidates(doc, every_head=True):
            t = (c.therapy.start_char, c.therapy.end_char)
            o = (c.outcome.start_char, c.outcome.end_char)
            label, sent = NO_RELATION, (c.sent.start_char, c.sent.end_char)
            tails = [g for g in gold if _overlap(g[3], o)]
            for h_span, h_text, h_kb, t_span, direction in tails:
                if _overlap(h_span, t) or h_text == c.therapy.text.lower() or (h_kb and h_kb == c.therapy._.kb_id):
                    label = direction
                    break
            else:
                # the outcome changed, but by another head: "none" only when that head is named in
                # the sentence beside ours; else it may be ours under another name, so leave it out
                if tails and (c.fallback or not any(_overlap(g[0], sent) for g in tails)):
                    continue
            out.append(PairExample(*pair_text(c, markers), label, "t1d_candidates"))
    return out
