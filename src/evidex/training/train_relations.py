"""Training the relation classifier from a config file: `evidex train relations --config CONFIG`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Optional

import torch
from thinc.api import Config

from ..nn.encoder import load_encoder
from ..nn.inference import resolve_device
from ..nn.pair_classifier import PairClassifier, RelationConfig, marker_token_ids
from . import corpora
from .corpora import SentenceSplitter
from .loop import batches, cache_lower, cached_batch, can_cache, fit, optimiser, pad, seed_everything
from .relation_data import ei_examples, t1d_candidate_examples, t1d_examples


def build_examples(dcfg, split: str, root, splitter, rng, limit: int = 0, markers: bool = False):
    examples = []
    if dcfg.get("evidence_inference", True):
        examples += ei_examples(split if split != "dev" else "validation", root, splitter,
                                int(dcfg["negatives_per_prompt"]), rng, limit, markers=markers)
    repeat = int(dcfg.get("t1d_repeat", 1)) if split == "train" else 1
    if dcfg.get("t1d_cell_therapy", True):
        examples += t1d_examples(split, splitter, int(dcfg["negatives_per_doc"]), rng, markers=markers) * repeat
    if dcfg.get("t1d_candidates", False):
        gold = t1d_candidate_examples(split, markers=markers)
        examples += gold * repeat
        if split == "train" and dcfg.get("t1d_candidates_predicted", False):
            # the same documents with the pipeline's own entities: pairs the gold entities never make
            seen = {(e.prompt, e.sentence) for e in gold}
            extra = [e for e in t1d_candidate_examples(split, markers=markers, entities="predicted")
                     if (e.prompt, e.sentence) not in seen]
            examples += extra * repeat
    return examples


def train(config_path: Path, output: Optional[Path] = None, data: Optional[Path] = None,
          log: Callable[[str], None] = print, overrides: Optional[dict] = None) -> dict:
    from ..evaluation.metrics import token_scores

    cfg = Config().from_disk(config_path, overrides=overrides or {})
    tcfg, mcfg, dcfg = cfg["training"], cfg["model"], cfg["data"]
    output = Path(output or cfg["paths"]["output"])
    rng = seed_everything(int(tcfg["seed"]))
    if tcfg.get("threads"):
        torch.set_num_threads(int(tcfg["threads"]))
    device = resolve_device(tcfg.get("device", "auto"))
    root = Path(data) if data else corpora.data_dir()
    splitter = SentenceSplitter()

    if mcfg.get("init"):  # continue a trained classifier (a folder, or a name under models/)
        from ..nn.encoder import load_tokenizer
        from ..paths import model_path

        model = PairClassifier.from_pretrained(model_path(mcfg["init"])).to(device)
        config = model.config
        tok = load_tokenizer(config.encoder)
        log(f"continuing {mcfg['init']} ({config.trainable_layers} trained layers)")
    else:
        tok, encoder = load_encoder(mcfg["encoder"])
        markers = bool(mcfg.get("markers", False))
        config = RelationConfig(encoder=mcfg["encoder"], trainable_layers=int(mcfg["trainable_layers"]),
                                max_length=int(mcfg["max_length"]), dropout=float(mcfg["dropout"]),
                                markers=markers, marker_ids=marker_token_ids(tok) if markers else [])
        model = PairClassifier(config, encoder).to(device)
    train_ex = build_examples(dcfg, "train", root, splitter, rng, int(dcfg.get("limit", 0)), config.markers)
    dev_ex = build_examples(dcfg, "dev", root, splitter, rng, int(dcfg.get("dev_limit", 0)), config.markers)
    log(f"train pairs: {len(train_ex)}  dev pairs: {len(dev_ex)}  device: {device}"
        + ("  (entity markers)" if config.markers else ""))
    labels = config.labels
    enc = tok([e.prompt for e in train_ex], [e.sentence for e in train_ex], truncation="longest_first",
              max_length=config.max_length)
    id_lists = enc["input_ids"]
    targets = torch.tensor([labels.index(e.label) for e in train_ex])
    pad_id = tok.pad_token_id or 0
    cache = cache_lower(model, id_lists, pad_id, device, log) if tcfg.get("cache_frozen") and can_cache(
        model, id_lists, pad_id, device) else None
    steps = int(tcfg["steps"])
    opt, sched = optimiser(model, model.classifier, float(tcfg["lr"]), float(tcfg["head_lr"]), steps, int(tcfg["warmup"]))
    lengths = [len(x) for x in id_lists]

    def forward_loss(idx):
        ids, att = pad([id_lists[k] for k in idx], pad_id)
        att = att.to(device)
        logits = (model.upper(cached_batch(cache, idx, ids.shape[1]).to(device), att, ids.to(device)) if cache is not None
                  else model(ids.to(device), att))
        return model.loss(logits, targets[idx].to(device))

    def evaluate():
        probs = model.predict(tok, [(e.prompt, e.sentence) for e in dev_ex])
        pred = [labels[i] for i in probs.argmax(-1).tolist()]
        scored = [l for l in labels]
        score = token_scores([[e.label for e in dev_ex]], [pred], scored)
        log(f"dev pair macro F1 {score['macro_f1']:.4f} " + " ".join(f"{k} {v['f1']:.3f}" for k, v in score["per_label"].items()))
        return score["macro_f1"], score

    history, best, seconds = fit(
        model, steps=steps, make_batches=lambda: batches(lengths, int(tcfg["batch_size"]), rng),
        forward_loss=forward_loss, opt=opt, sched=sched, device=device, eval_every=int(tcfg["eval_every"]),
        evaluate=evaluate if dev_ex else None, save=lambda: model.save_pretrained(output), log=log,
        precision=str(tcfg.get("precision", "auto")))
    result = {"output": str(output), "steps": steps, "seconds": seconds, "best": best, "history": history,
              "train_pairs": len(train_ex), "seed": int(tcfg["seed"]), "config": str(config_path)}
    (output / "training.json").write_text(json.dumps(result, indent=2) + "\n")
    return result
