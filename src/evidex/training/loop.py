"""Pieces every evidex training loop shares: seeding, length-bucketed batches, padding, the
frozen-layer cache, and the optimiser with warm-up and cosine decay."""

from __future__ import annotations

import math
import random
import time
from typing import Callable, Sequence

import numpy as np
import torch


def seed_everything(seed: int) -> random.Random:
    random.seed(seed), np.random.seed(seed), torch.manual_seed(seed)
    return random.Random(seed)


def batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Length-bucketed batches in random order (little padding, still shuffled)."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = batch_size * 50
    out = []
    for i in range(0, len(order), pool):
        chunk = sorted(order[i:i + pool], key=lambda k: lengths[k])
        out.extend(chunk[j:j + batch_size] for j in range(0, len(chunk), batch_size))
    rng.shuffle(out)
    return out


def pad(id_lists: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(x) for x in id_lists)
    ids = torch.full((len(id_lists), width), pad_id, dtype=torch.long)
    att = torch.zeros((len(id_lists), width), dtype=torch.long)
    for r, x in enumerate(id_lists):
        ids[r, :len(x)] = torch.tensor(x)
        att[r, :len(x)] = 1
    return ids, att


def cache_lower(model, id_lists: Sequence[Sequence[int]], pad_id: int, device, log: Callable[[str], None],
                batch_size: int = 128) -> list[torch.Tensor]:
    """The frozen layers' output for every example, computed once (fp16, on the CPU)."""
    order = sorted(range(len(id_lists)), key=lambda k: len(id_lists[k]))
    cache: list = [None] * len(id_lists)
    start = time.perf_counter()
    for b in range(0, len(order), batch_size):
        idx = order[b:b + batch_size]
        ids, att = pad([id_lists[k] for k in idx], pad_id)
        hidden = model.lower(ids.to(device), att.to(device)).to(torch.float16).cpu()
        for r, k in enumerate(idx):
            cache[k] = hidden[r, :len(id_lists[k])].clone()
        if (b // batch_size) % 50 == 0:
            log(f"caching frozen layers: {b + len(idx)}/{len(id_lists)} ({time.perf_counter() - start:.0f} s)")
    return cache


def cached_batch(cache: list[torch.Tensor], idx: Sequence[int], width: int) -> torch.Tensor:
    hidden = torch.zeros((len(idx), width, cache[idx[0]].shape[-1]))
    for r, k in enumerate(idx):
        hidden[r, :len(cache[k])] = cache[k].float()
    return hidden


def can_cache(model, id_lists: Sequence[Sequence[int]], pad_id: int, device) -> bool:
    if model.n_frozen == 0:
        return False
    ids, att = pad(list(id_lists[:4]), pad_id)
    return model.split_forward_matches(ids.to(device), att.to(device))


def optimiser(model, head: torch.nn.Module, lr: float, head_lr: float, steps: int, warmup: int):
    head_ids = {id(p) for p in head.parameters()}
    body = [p for p in model.parameters() if p.requires_grad and id(p) not in head_ids]
    opt = torch.optim.AdamW([{"params": body, "lr": lr}, {"params": list(head.parameters()), "lr": head_lr}],
                            weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / max(1, warmup)) * max(0.0, 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps))))
    return opt, sched


def fit(model, *, steps: int, make_batches: Callable[[], list], forward_loss: Callable[[list], torch.Tensor],
        opt, sched, device, eval_every: int, evaluate: Callable[[], tuple[float, dict]] | None,
        save: Callable[[], None], log: Callable[[str], None], precision: str = "auto",
        max_seconds: float = 0.0) -> tuple[list, dict | None, float]:
    """The training loop: autocast (bf16, else fp16 with loss scaling) on CUDA and bf16 on CPUs
    with native bf16 units (`precision`: auto, fp32, bf16, fp16), gradient clipping, progress every
    25 steps, evaluation every `eval_every` steps; `save()` keeps the best model (or the last one
    when there is nothing to evaluate on). With `max_seconds` the loop ends after that much
    time, evaluated there like a last step (a time budget on a shared or leased machine).
    Returns (history, best, seconds)."""
    from ..nn.inference import autocast_dtype

    if device.type == "cpu" and precision == "auto":
        precision = "fp32"  # measured: bf16 autocast makes the backward pass several times slower on the CPU
    amp_dtype = autocast_dtype(device, precision)
    use_amp = amp_dtype is not None
    amp_dtype = amp_dtype or torch.float32
    scaler = torch.amp.GradScaler("cuda", enabled=device.type == "cuda" and amp_dtype == torch.float16)
    trainable = [p for p in model.parameters() if p.requires_grad]
    history, best, step, start = [], None, 0, time.perf_counter()
    while step < steps:
        for idx in make_batches():
            if step >= steps:
                break
            model.train()
            with torch.autocast(device.type, dtype=amp_dtype, enabled=use_amp):
                loss = forward_loss(idx)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            scaler.step(opt)
            scaler.update()
            sched.step()
            step += 1
            out_of_time = bool(max_seconds) and time.perf_counter() - start > max_seconds
            if out_of_time:
                log(f"time budget of {max_seconds:.0f} s spent at step {step}/{steps}")
                steps = step
            if step % 25 == 0:
                rate = step / (time.perf_counter() - start)
                log(f"step {step}/{steps}  loss {loss.item():.4f}  {rate:.2f} steps/s  eta {(steps - step) / rate / 60:.1f} min")
            if evaluate is not None and (step % eval_every == 0 or step == steps):
                score, details = evaluate()
                history.append({"step": step, "dev": score})
                if best is None or score >= best["score"]:
                    best = {"step": step, "score": score, "dev": details}
                    save()
    if evaluate is None:
        save()
    return history, best, round(time.perf_counter() - start, 1)
