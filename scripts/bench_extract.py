"""How fast evidex extracts, in abstracts per second, on real abstracts, against a plain
Hugging Face pipeline over the same model and the same inputs, measured in one run.

Reads `abstracts_raw/abstracts.jsonl.gz` from the data directory (--data-dir, $EVIDEX_DATA or
../shared/corpora), repeats it up to --n records, and times:
  - tokenizer: scispaCy tokenisation alone (the floor any spaCy pipeline pays),
  - HF pipeline: `transformers.pipeline("token-classification")` over the tagger's weights
    (exported with evidex.nn.export.to_hf), one text at a time, as a user would run it,
  - core: the transformer core alone, the tagger's forward pass over the same texts' windows
    (already tokenised), with its achieved FLOP/s against this device's measured
    matrix-multiply rate in the dtype the core runs in (bf16 on CUDA and on CPUs with bf16 units),
  - before: the pipeline as `evidex.extract` ran it before the batch engine (one process,
    batches of 64), records in memory, rows out (--no-before skips it),
  - engine: `evidex extract` end to end through the engine: the records written as one
    JSONL.gz, read, run with --workers and --batch-size, written as Parquet shards.
Prints each rate and the ratios to the HF pipeline. Wall-clock figures on a shared machine are
noisy: compare figures from one run; with --rounds R the HF pipeline and the engine are timed
R times, alternately, and the best of each is kept (the run least disturbed by other load).
Use --device cuda on a GPU.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import torch

import evidex
from evidex.engine import run
from evidex.engine.folder import extract_to_folder
from evidex.paths import data_dir


def encoder_flops(encoder_config, lengths: list[int], n_labels: int) -> float:
    """Multiply-adds x 2 of one forward pass over windows of these lengths (linear layers,
    attention scores and mixing, the heads); embeddings and softmax are left out."""
    h, f, layers = encoder_config.hidden_size, encoder_config.intermediate_size, encoder_config.num_hidden_layers
    total = 0.0
    for n in lengths:
        total += layers * (2 * n * (4 * h * h + 2 * h * f) + 4 * n * n * h) + 2 * n * h * n_labels
    return total


def matmul_rate(device: torch.device, dtype: torch.dtype) -> tuple[float, str]:
    """Measured FLOP/s of a large square matrix multiply on `device` in `dtype`."""
    n = 8192 if device.type == "cuda" else 2048
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    reps = 50 if device.type == "cuda" else 10
    for _ in range(3):
        a @ b
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(reps):
        a @ b
    if device.type == "cuda":
        torch.cuda.synchronize()
    return 2 * n ** 3 * reps / (time.perf_counter() - start), str(dtype).replace("torch.", "")


def core_dtype(nlp) -> torch.dtype:
    """The dtype the tagger's forward pass computes in: its autocast dtype, else its weights'."""
    tagger = nlp.get_pipe("tagger")
    from evidex.nn.inference import autocast_dtype

    weights = next(tagger.model.parameters()).dtype
    return autocast_dtype(tagger.device, getattr(tagger, "precision", "auto")) or weights


def time_core(nlp, records) -> tuple[float, float]:
    """(abstracts/s, FLOP/s) of the tagger's forward pass alone, over the pieces it reads (the
    sentences the components before it set, cut into windows), already tokenised."""
    from evidex.components.tagger import tagging_units
    from evidex.engine.stages import split
    from evidex.nn.inference import word_probabilities
    from evidex.nn.windows import make_windows_batch

    tagger = nlp.get_pipe("tagger")
    model, tokenizer, device = tagger.model, tagger.tokenizer, tagger.device
    kwargs = {"precision": tagger.precision} if hasattr(tagger, "precision") else {}
    with nlp.select_pipes(enable=list(split(nlp).before_core)):
        docs = list(nlp.pipe((r.text for r in records), batch_size=64))
    words = [[doc[i].text for i in unit] for doc in docs for unit in tagging_units(doc, tagger.unit)]
    cfg = model.config
    lengths = [len(w.input_ids) for ws in make_windows_batch(tokenizer, words, cfg.max_length, cfg.stride) for w in ws]
    word_probabilities(model, tokenizer, words[:64], tagger.batch_size, device, **kwargs)  # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    word_probabilities(model, tokenizer, words, tagger.batch_size, device, **kwargs)
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    flops = encoder_flops(model.encoder.config, lengths, model.heads.out_features)
    return len(records) / seconds, flops / seconds


def time_hf_pipeline(nlp, records, device: torch.device) -> float:
    from transformers import pipeline

    from evidex.nn.export import to_hf

    tagger = nlp.get_pipe("tagger")
    hf = to_hf(tagger.model).to(device)
    pipe = pipeline("token-classification", model=hf, tokenizer=tagger.tokenizer, device=device,
                    aggregation_strategy="none")
    pipe(records[0].text)
    start = time.perf_counter()
    for r in records:
        pipe(r.text)
    return len(records) / (time.perf_counter() - start)


def _no_models() -> dict:
    from thinc.api import Config

    from evidex.pipeline import default_config_path

    paths = Config().from_disk(default_config_path(), interpolate=False)["paths"]
    return {f"paths.{k}": None for k in ("tagger", "relations") if k in paths}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--n", type=int, default=200, help="records to process")
    ap.add_argument("--batch-size", type=int, default=256, help="documents per engine batch")
    ap.add_argument("--workers", type=int, default=0, help="engine worker processes for the CPU stages")
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"))
    ap.add_argument("--no-before", action="store_true", help="skip the pre-engine path")
    ap.add_argument("--core-batch-size", type=int, default=0,
                    help="pieces per forward pass of the tagger and the relation model (default: the config's)")
    ap.add_argument("--serve", choices=("auto", "on", "off"), default="auto",
                    help="workers send forward passes to the models in the main process (auto: when they are on a GPU)")
    ap.add_argument("--rounds", type=int, default=1, help="time the HF pipeline and the engine this often, alternately")
    args = ap.parse_args()
    root = data_dir(args.data_dir)
    source = root / "abstracts_raw" / "abstracts.jsonl.gz" if root else None
    if source is None or not source.exists():
        sys.exit("abstracts_raw/abstracts.jsonl.gz not found: pass --data-dir or set EVIDEX_DATA")
    records = [r for r in evidex.read(source) if isinstance(r, evidex.Record)]
    records = list(itertools.islice(itertools.cycle(records), args.n))
    chars = sum(len(r.text) for r in records)
    overrides = {"components.tagger.device": args.device, "components.relations.device": args.device}
    if args.core_batch_size:
        overrides.update({"components.tagger.batch_size": args.core_batch_size,
                          "components.relations.batch_size": args.core_batch_size})
    nlp = evidex.load(overrides=overrides)
    device = nlp.get_pipe("tagger").device
    print(f"records: {len(records)} (mean {chars / len(records):.0f} characters); device {device}, "
          f"torch threads {torch.get_num_threads()}; engine batch {args.batch_size}, workers {args.workers} (serve {args.serve}), "
          f"core batch {nlp.get_pipe('tagger').batch_size}")

    start = time.perf_counter()
    for _ in nlp.tokenizer.pipe((r.text for r in records), batch_size=64):
        pass
    tok = len(records) / (time.perf_counter() - start)

    hf = time_hf_pipeline(nlp, records, device)
    core, core_flops = time_core(nlp, records)
    peak, peak_dtype = matmul_rate(device, core_dtype(nlp))

    before = None
    if not args.no_before:
        start = time.perf_counter()
        for _ in run(nlp, records, batch_size=64):
            pass
        before = len(records) / (time.perf_counter() - start)

    with tempfile.TemporaryDirectory(prefix="evidex-bench-") as tmp:
        corpus = Path(tmp) / "abstracts.jsonl.gz"
        with gzip.open(corpus, "wt", encoding="utf-8") as fh:
            for r in records:
                fh.write(json.dumps({"id": r.id, "title": r.title, "abstract": r.abstract, **r.meta}) + "\n")
        engine = 0.0
        for k in range(args.rounds):
            if k:
                hf = max(hf, time_hf_pipeline(nlp, records, device))
            start = time.perf_counter()
            report = extract_to_folder([corpus], Path(tmp) / "out", nlp=nlp, workers=args.workers,
                                       batch_size=args.batch_size, overwrite=True,
                                       serve={"auto": None, "on": True, "off": False}[args.serve])
            engine = max(engine, len(records) / (time.perf_counter() - start))
        # what bounds a GPU run is the main process's CPU time per abstract without the models:
        # reading, the Doc hand-over, the rule components after the tagger, rows, Parquet
        rules = evidex.load(overrides=_no_models())
        cpu_before = _cpu_seconds()
        extract_to_folder([corpus], Path(tmp) / "rules", nlp=rules, workers=max(1, args.workers),
                          batch_size=args.batch_size)
        main_cpu_ms = 1000 * (_cpu_seconds() - cpu_before) / len(records)
    total = report["total"]

    def line(name: str, rate: float, extra: str = "") -> None:
        print(f"{name:34s} {rate:9.1f} abstracts/s  ({rate / hf:5.2f}x the HF pipeline){extra}")

    line("tokenizer only", tok)
    line("HF pipeline, one text at a time", hf)
    line("transformer core alone", core,
         f"  {core_flops / 1e12:.3f} TFLOP/s = {100 * core_flops / peak:.1f}% of measured {peak_dtype} matmul "
         f"{peak / 1e12:.2f} TFLOP/s")
    if before is not None:
        line("before the engine (1 process, 64)", before)
    line("evidex extract end to end (engine)", engine,
         f"  (read, pipeline, Parquet; {total['rows']} rows, {total['errors']} errors)")
    if before is not None:
        print(f"engine / before: {engine / before:.2f}x")
    print(f"main process CPU per abstract, models off, CPU stages in {max(1, args.workers)} worker(s): "
          f"{main_cpu_ms:.2f} ms (so at most {1000 / main_cpu_ms:,.0f} abstracts/s through one main process)")


if __name__ == "__main__":
    main()
