"""`evidex evaluate ner`: the tagger on public test sets, scored as the field scores them.

- ebmnlp: token-level P/R/F1 over PAR/INT/OUT and their macro average (as BLURB scores EBM-NLP
  PICO), on the official tokens of `conll/{dev,test}.txt`.
- jnlpba: strict entity P/R/F1 for cell_type and cell_line on the brat standoff texts, tagged
  through evidex's own tokenizer and sentence splitter (the path real documents take).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from ..nn.inference import tag_words
from ..nn.token_classifier import TokenClassifier
from ..schema import CELL_TYPE, INTERVENTION, OUTCOME, POPULATION
from ..training import corpora
from ..training.corpora import CELL_LINE
from ..training.train_ner import gold_labels, predicted_labels
from .metrics import entity_scores, token_scores

CORPORA = ("ebmnlp", "jnlpba")
_EBM_NAMES = {POPULATION: "PAR", INTERVENTION: "INT", OUTCOME: "OUT"}
_JNLPBA_NAMES = {CELL_TYPE: "cell_type", CELL_LINE: "cell_line"}


def load_tagger(model: str | Path):
    import torch

    from ..nn.encoder import load_tokenizer
    from ..nn.inference import cast_for_inference
    from ..paths import model_path

    tagger = TokenClassifier.from_pretrained(model_path(model))
    # the precision the pipeline runs it in (bf16 weights where the CPU has bf16 units)
    cast_for_inference(tagger, torch.device("cpu"))
    return tagger, load_tokenizer(tagger.config.encoder)


def evaluate_ebmnlp(model, tokenizer, split: str, root: Optional[Path], limit: int = 0) -> dict:
    docs: dict[str, list] = {}
    for ex in corpora.ebmnlp(split, root):
        docs.setdefault(ex.doc_id, []).append(ex)
    examples = [ex for i, (_, exs) in enumerate(docs.items()) if not limit or i < limit for ex in exs]
    types = [POPULATION, INTERVENTION, OUTCOME]
    pred = predicted_labels(model, tokenizer, examples, types=types)
    rename = lambda seq: [_EBM_NAMES.get(x, "O") for x in seq]  # noqa: E731
    scores = token_scores([rename(gold_labels(e)) for e in examples], [rename(p) for p in pred], list(_EBM_NAMES.values()))
    scores["documents"] = len(docs) if not limit else min(limit, len(docs))
    return scores


def evaluate_jnlpba(model, tokenizer, split: str, root: Optional[Path], limit: int = 0) -> dict:
    from ..components.tagger import tagging_units
    from ..pipeline import load

    nlp = load(overrides={"nlp.pipeline": ["sentences"]})
    gold, pred, texts, ids, offsets = [], [], [], [], []
    n_docs = 0
    for i, (doc_id, text, spans) in enumerate(corpora.jnlpba_standoff(split, root)):
        if limit and i >= limit:
            break
        n_docs += 1
        doc = nlp(text)
        for unit in tagging_units(doc):
            texts.append([doc[t].text for t in unit])
            offsets.append([(doc[t].idx, doc[t].idx + len(doc[t].text)) for t in unit])
            ids.append(doc_id)
        gold.extend((doc_id, s, e, kind) for s, e, kind in spans)
    for doc_id, offs, found in zip(ids, offsets, tag_words(model, tokenizer, texts)):
        for start, end, kind, _ in found:
            if kind in _JNLPBA_NAMES:
                pred.append((doc_id, offs[start][0], offs[end - 1][1], _JNLPBA_NAMES[kind]))
    scores = entity_scores(gold, pred, ["cell_type", "cell_line"])
    scores["documents"] = n_docs
    return scores


def evaluate(corpus: str, split: str, model: str | Path = "tagger", data: Optional[Path] = None, limit: int = 0) -> dict:
    if corpus not in CORPORA:
        raise ValueError(f"unknown corpus {corpus!r}; choose one of {', '.join(CORPORA)}")
    tagger, tokenizer = load_tagger(model)
    root = Path(data) if data else corpora.data_dir()
    fn = evaluate_ebmnlp if corpus == "ebmnlp" else evaluate_jnlpba
    return {"task": "ner", "corpus": corpus, "split": split, "model": str(model), "metrics": fn(tagger, tokenizer, split, root, limit)}
