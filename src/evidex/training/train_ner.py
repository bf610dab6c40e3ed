"""Training the entity tagger from a config file: `evidex train ner --config CONFIG`.

The config (spaCy/thinc .cfg syntax) names the corpora, the model and the optimiser; see
`configs/ner.cfg`. Reproducible: the seed fixes data order, dropout and head initialisation.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Callable, Iterable, Optional

import numpy as np
import torch
from thinc.api import Config

from ..nn.encoder import load_encoder
from ..nn.inference import resolve_device, word_probabilities
from ..nn.token_classifier import TaggerConfig, TokenClassifier
from ..schema import CELL_TYPE
from . import corpora
from .corpora import CELL_LINE, TAGGER_TYPES, Example
from .loop import batches, cache_lower, cached_batch, can_cache, fit, optimiser, seed_everything

LOADERS: dict[str, Callable[..., Iterable[Example]]] = {
    "ebmnlp": corpora.ebmnlp,
    "jnlpba": corpora.jnlpba_iob,
    "craft_cell": corpora.craft_cell,
    "t1d_cell_therapy": corpora.t1d_cell_therapy,
}


def load_examples(specs: list[str], root: Optional[Path], limit: int = 0, seed: int = 0,
                  tokenizer_nlp=None) -> list[Example]:
    """`name:split` for public corpora, or a path to a JSONL file of your own annotations;
    a `*N` suffix repeats that corpus N times (to weigh a small corpus up)."""
    examples: list[Example] = []
    for spec in specs:
        spec, _, times = spec.partition("*")
        repeat = int(times) if times else 1
        if spec.endswith(".jsonl") or spec.endswith(".jsonl.gz"):
            if tokenizer_nlp is None:
                from ..pipeline import load
                tokenizer_nlp = load().tokenizer
            part = list(corpora.user_jsonl(Path(spec), tokenizer_nlp))
        else:
            name, split = spec.split(":")
            if name not in LOADERS:
                raise ValueError(f"unknown corpus {name!r}; known: {', '.join(LOADERS)} or a .jsonl path")
            part = [e for e in LOADERS[name](split, root) if e.words]
        if limit and len(part) > limit:
            part = random.Random(seed).sample(part, limit)
        examples.extend(part * repeat)
    return examples


def encode_example(tokenizer, example: Example, types: list[str], max_length: int):
    enc = tokenizer(example.words, is_split_into_words=True, truncation=True, max_length=max_length)
    word_ids = enc.word_ids()
    word_tags = np.zeros((len(example.words), len(types)), dtype=np.int64)
    for start, end, kind in example.spans:
        if kind in types:
            t = types.index(kind)
            word_tags[start, t] = 1
            word_tags[start + 1:end, t] = 2
    labels = np.full((len(word_ids), len(types)), -100, dtype=np.int64)
    seen = set()
    for pos, w in enumerate(word_ids):
        if w is not None and w not in seen:
            seen.add(w)
            labels[pos] = word_tags[w]
    mask = np.array([t in example.types for t in types], dtype=np.int64)
    return enc["input_ids"], labels, mask


def collate(encoded: list, idx: list[int], pad_id: int):
    width = max(len(encoded[k][0]) for k in idx)
    n_types = encoded[idx[0]][1].shape[1]
    ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
    att = torch.zeros((len(idx), width), dtype=torch.long)
    labels = torch.full((len(idx), width, n_types), -100, dtype=torch.long)
    masks = torch.zeros((len(idx), n_types), dtype=torch.long)
    for r, k in enumerate(idx):
        input_ids, lab, mask = encoded[k]
        ids[r, :len(input_ids)] = torch.tensor(input_ids)
        att[r, :len(input_ids)] = 1
        labels[r, :len(input_ids)] = torch.from_numpy(lab)
        masks[r] = torch.from_numpy(mask)
    return ids, att, labels, masks


def predicted_labels(model, tokenizer, examples: list[Example], batch_size: int = 64,
                     types: Optional[list[str]] = None) -> list[list[str]]:
    """One label per word, for token scoring: of the `types` scored, the one the word is most
    probably inside of, if that probability passes 0.5; else O."""
    probs = word_probabilities(model, tokenizer, [e.words for e in examples], batch_size)
    types = types or list(model.config.types)
    cols = [model.config.types.index(t) for t in types]
    out = []
    for p in probs:
        if not len(p):
            out.append([])
            continue
        inside = 1.0 - p[:, cols, 0]
        best = inside.argmax(axis=1)
        out.append([types[b] if inside[i, b] > 0.5 else "O" for i, b in enumerate(best)])
    return out


def gold_labels(example: Example) -> list[str]:
    labels = ["O"] * len(example.words)
    for start, end, kind in example.spans:
        for i in range(start, end):
            labels[i] = kind
    return labels


def dev_score(model, tokenizer, examples: list[Example]) -> dict:
    from ..evaluation.metrics import token_scores
    types = sorted({t for e in examples for t in e.types})
    return token_scores([gold_labels(e) for e in examples], predicted_labels(model, tokenizer, examples, types=types), types)


def train(config_path: Path, output: Optional[Path] = None, data: Optional[Path] = None,
          log: Callable[[str], None] = print, overrides: Optional[dict] = None) -> dict:
    cfg = Config().from_disk(config_path, overrides=overrides or {})
    tcfg, mcfg, dcfg = cfg["training"], cfg["model"], cfg["data"]
    output = Path(output or cfg["paths"]["output"])
    seed = int(tcfg["seed"])
    rng = seed_everything(seed)
    if tcfg.get("threads"):
        torch.set_num_threads(int(tcfg["threads"]))
    device = resolve_device(tcfg.get("device", "auto"))
    root = Path(data) if data else corpora.data_dir()

    train_ex = load_examples(list(dcfg["train"]), root, int(dcfg.get("limit_per_corpus", 0)), seed)
    dev_ex = load_examples(list(dcfg["dev"]), root, int(dcfg.get("dev_limit", 0)), seed)
    log(f"train examples: {len(train_ex)}  dev examples: {len(dev_ex)}  device: {device}")

    types = list(mcfg.get("types", TAGGER_TYPES))
    tok, encoder = load_encoder(mcfg["encoder"])
    config = TaggerConfig(types=types, encoder=mcfg["encoder"], trainable_layers=int(mcfg["trainable_layers"]),
                          max_length=int(mcfg["max_length"]), stride=int(mcfg["stride"]), dropout=float(mcfg["dropout"]),
                          label_map={CELL_LINE: CELL_TYPE})
    if mcfg.get("init"):
        # continue from a trained tagger (its types and windows) instead of fresh heads
        from ..paths import model_path
        model = TokenClassifier.from_pretrained(model_path(mcfg["init"])).to(device)
        if list(model.config.types) != types:
            raise ValueError(f"model.init {mcfg['init']} tags {model.config.types}, the config asks for {types}")
        model.config.trainable_layers = config.trainable_layers
        model.freeze_lower_layers()
        model.config.encoder_sha256 = ""
    else:
        model = TokenClassifier(config, encoder).to(device)
    encoded = [encode_example(tok, e, types, int(tcfg["train_max_length"])) for e in train_ex]
    pad_id = tok.pad_token_id or 0
    id_lists = [e[0] for e in encoded]
    cache = None
    if tcfg.get("cache_frozen", False):
        if can_cache(model, id_lists, pad_id, device):
            cache = cache_lower(model, id_lists, pad_id, device, log)
        else:
            log("this encoder's layers cannot be run apart: training without the frozen-layer cache")
    steps, warmup = int(tcfg["steps"]), int(tcfg["warmup"])
    opt, sched = optimiser(model, model.heads, float(tcfg["lr"]), float(tcfg["head_lr"]), steps, warmup)
    batch_size = int(tcfg["batch_size"])
    lengths = [len(x) for x in id_lists]

    def forward_loss(idx):
        ids, att, labels, masks = (t.to(device) for t in collate(encoded, idx, pad_id))
        logits = model.upper(cached_batch(cache, idx, ids.shape[1]).to(device), att) if cache is not None else model(ids, att)
        return model.loss(logits, labels, masks)

    def evaluate():
        score = dev_score(model, tok, dev_ex)
        log(f"dev token macro F1 {score['macro_f1']:.4f} " + " ".join(f"{k} {v['f1']:.3f}" for k, v in score["per_label"].items()))
        return score["macro_f1"], score

    history, best, seconds = fit(
        model, steps=steps, make_batches=lambda: batches(lengths, batch_size, rng), forward_loss=forward_loss,
        opt=opt, sched=sched, device=device, eval_every=int(tcfg["eval_every"]),
        evaluate=evaluate if dev_ex else None, save=lambda: model.save_pretrained(output), log=log,
        precision=str(tcfg.get("precision", "auto")), max_seconds=float(tcfg.get("max_seconds", 0) or 0))
    result = {"output": str(output), "steps": history[-1]["step"] if history else steps, "seconds": seconds,
              "best": best, "history": history, "train_examples": len(train_ex), "seed": seed,
              "config": str(config_path)}
    (output / "training.json").write_text(json.dumps(result, indent=2) + "\n")
    return result
