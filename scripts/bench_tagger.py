"""Throughput of the evidex tagger against a plain Hugging Face pipeline on the same weights.

Both run the same model (exported with evidex.nn.export.to_hf) over the same real abstracts
(`abstracts_raw/`, title + abstract), measured in one run:
  - baseline: `transformers.pipeline("token-classification")`, one text at a time,
  - evidex:   the tagger's batched path (windows sorted by length, padded per batch,
              autocast on CUDA), optionally with int8 dynamic quantisation of the linear layers
              on the CPU (--int8),
  - evidex pipeline: the whole spaCy pipeline with the tagger (--full).
Prints abstracts/second and the ratios. Use --device cuda on a GPU.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time

import torch

import evidex
from evidex.evaluation.ner import load_tagger
from evidex.nn.export import to_hf
from evidex.nn.inference import tag_words
from evidex.paths import data_dir


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="tagger")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--int8", action="store_true", help="also time int8 dynamic quantisation (CPU)")
    ap.add_argument("--full", action="store_true", help="also time the whole evidex pipeline")
    args = ap.parse_args()
    root = data_dir(args.data_dir)
    source = root / "abstracts_raw" / "abstracts.jsonl.gz" if root else None
    if source is None or not source.exists():
        sys.exit("abstracts_raw/abstracts.jsonl.gz not found: pass --data-dir or set EVIDEX_DATA")
    records = [r for r in evidex.read(source) if isinstance(r, evidex.Record)]
    records = list(itertools.islice(itertools.cycle(records), args.n))
    texts = [r.text for r in records]
    device = torch.device(args.device)
    model, tokenizer = load_tagger(args.model)
    model.to(device)
    nlp = evidex.load()
    words = [[t.text for t in nlp.make_doc(text) if not t.is_space] for text in texts]
    print(f"{len(texts)} abstracts, device {device}, torch threads {torch.get_num_threads()}")

    from transformers import pipeline
    hf = to_hf(model).to(device)
    pipe = pipeline("token-classification", model=hf, tokenizer=tokenizer, device=device, aggregation_strategy="none")
    pipe(texts[0])
    start = time.perf_counter()
    for text in texts:
        pipe(text)
    base = len(texts) / (time.perf_counter() - start)
    print(f"HF pipeline, one text at a time:  {base:8.1f} abstracts/s  (1.00x)")

    tag_words(model, tokenizer, words[:4], args.batch_size, device)
    start = time.perf_counter()
    tag_words(model, tokenizer, words, args.batch_size, device)
    rate = len(texts) / (time.perf_counter() - start)
    print(f"evidex tagger, batched:           {rate:8.1f} abstracts/s  ({rate / base:.2f}x)")

    if args.int8 and device.type == "cpu":
        q = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        tag_words(q, tokenizer, words[:4], args.batch_size, device)
        start = time.perf_counter()
        tag_words(q, tokenizer, words, args.batch_size, device)
        qrate = len(texts) / (time.perf_counter() - start)
        print(f"evidex tagger, batched, int8:     {qrate:8.1f} abstracts/s  ({qrate / base:.2f}x)")

    if args.full:
        full = evidex.load(overrides={"paths.tagger": args.model, "components.tagger.device": args.device})
        start = time.perf_counter()
        for _ in evidex.extract(records, nlp=full):
            pass
        frate = len(texts) / (time.perf_counter() - start)
        print(f"evidex whole pipeline:            {frate:8.1f} abstracts/s  ({frate / base:.2f}x)")


if __name__ == "__main__":
    main()
