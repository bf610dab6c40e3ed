"""Batched tagging of many texts: windows from all texts sorted by length, padded per batch,
autocast (bf16/fp16) on CUDA, then stitched back per text and decoded into spans."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Sequence

import numpy as np
import torch

from .token_classifier import TokenClassifier
from .windows import decode, make_windows, stitch, trim


def resolve_device(device: str = "auto") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def word_probabilities(model: TokenClassifier, tokenizer, texts: Sequence[Sequence[str]],
                       batch_size: int = 32, device: torch.device | None = None) -> list[np.ndarray]:
    """Per-word probabilities [words, types, 3] for each text (a list of words)."""
    device = device or next(model.parameters()).device
    cfg = model.config
    windows = [make_windows(tokenizer, words, cfg.max_length, cfg.stride) for words in texts]
    flat = [(i, j, w) for i, ws in enumerate(windows) for j, w in enumerate(ws)]
    order = sorted(range(len(flat)), key=lambda k: len(flat[k][2].input_ids))
    outputs: dict[tuple[int, int], np.ndarray] = {}
    pad = tokenizer.pad_token_id or 0
    autocast = (torch.autocast("cuda", dtype=torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)
                if device.type == "cuda" else nullcontext())
    model.eval()
    with torch.inference_mode(), autocast:
        for b in range(0, len(order), batch_size):
            chunk = [flat[k] for k in order[b:b + batch_size]]
            width = max(len(w.input_ids) for _, _, w in chunk)
            ids = torch.full((len(chunk), width), pad, dtype=torch.long)
            mask = torch.zeros((len(chunk), width), dtype=torch.long)
            for r, (_, _, w) in enumerate(chunk):
                ids[r, :len(w.input_ids)] = torch.tensor(w.input_ids)
                mask[r, :len(w.input_ids)] = 1
            probs = model(ids.to(device), mask.to(device)).float().softmax(-1).cpu().numpy()
            for r, (i, j, w) in enumerate(chunk):
                outputs[(i, j)] = probs[r, :len(w.input_ids)]
    result = []
    for i, words in enumerate(texts):
        result.append(stitch(windows[i], [outputs[(i, j)] for j in range(len(windows[i]))], len(words))
                      if windows[i] else np.zeros((len(words), len(cfg.types), 3), dtype=np.float32))
    return result


def tag_words(model: TokenClassifier, tokenizer, texts: Sequence[Sequence[str]], batch_size: int = 32,
              device: torch.device | None = None) -> list[list[tuple[int, int, str, float]]]:
    """Entity spans (start word, end word, type, confidence) for each text."""
    probs = word_probabilities(model, tokenizer, texts, batch_size, device)
    result = []
    for words, p in zip(texts, probs):
        spans = []
        for start, end, kind, confidence in (decode(p, model.config.types) if len(p) else []):
            start, end = trim(words, start, end)
            if end > start:
                spans.append((start, end, kind, confidence))
        result.append(spans)
    return result
