"""The tagger as a standard Hugging Face token-classification model.

An evidex tagger is an encoder plus one linear layer of types × {O, B, I} outputs: exactly the
shape of `AutoModelForTokenClassification`. Exporting it lets `transformers.pipeline(
"token-classification")` run the same weights (the baseline in scripts/bench_tagger.py) and lets
users load it with plain transformers.
"""

from __future__ import annotations

from pathlib import Path

from transformers import AutoModelForTokenClassification

from .token_classifier import BIO, TokenClassifier


def to_hf(model: TokenClassifier):
    labels = [f"{tag}-{kind}" if tag != "O" else f"O-{kind}" for kind in model.config.types for tag in BIO]
    config = model.encoder.config.__class__.from_dict(model.encoder.config.to_dict())
    config.num_labels = len(labels)
    config.id2label = dict(enumerate(labels))
    config.label2id = {label: i for i, label in enumerate(labels)}
    hf = AutoModelForTokenClassification.from_config(config)
    hf.base_model.load_state_dict(model.encoder.state_dict(), strict=False)
    head = hf.classifier if hasattr(hf, "classifier") else hf.get_output_embeddings()
    head.load_state_dict(model.heads.state_dict())
    return hf.eval()


def save_hf(model: TokenClassifier, folder: str | Path, tokenizer=None) -> None:
    hf = to_hf(model)
    hf.save_pretrained(folder)
    if tokenizer is not None:
        tokenizer.save_pretrained(folder)
