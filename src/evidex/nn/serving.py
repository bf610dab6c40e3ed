"""The models of a pipeline served from one process to the engine's workers.

With the models on a GPU, the engine's worker processes run the whole pipeline: tokenising,
rules, windows, decoding, relation candidates, everything in Python, spread over the cores. Only
the forward passes go to the process that holds the models: a worker sends (input ids, mask) and
waits for the logits. The server merges what the workers sent in the meantime into one batch per
model, so the GPU sees large batches and the Python work around them runs in parallel.

Worker side: `connect(...)` once per process; the tagger and relation components then build a
`RemoteModel` (config and tokenizer, no weights) instead of loading their model. Main side:
`ModelServer(models)` with one response queue per worker.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch

# what one merged forward pass may hold, in rows (windows or pairs) of one model
MAX_ROWS = 1024

_CLIENT: Optional["ModelClient"] = None


class ServingError(RuntimeError):
    """A forward pass failed in the serving process (the worker reports it for its records)."""


def model_key(folder: Path | str) -> str:
    return str(Path(folder).resolve())


class ModelClient:
    """A worker's line to the server: one request at a time, answered on this worker's queue."""

    def __init__(self, requests, responses, slot: int):
        self.requests, self.responses, self.slot = requests, responses, slot

    def forward(self, key: str, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        self.requests.put((self.slot, key, ids.numpy().astype(np.int32), mask.numpy().astype(np.int8)))
        answer = self.responses.get()
        if isinstance(answer, str):
            raise ServingError(answer)
        return torch.from_numpy(answer)


class RemoteModel:
    """Stands in for a model in a worker: its config, its methods (`predict`), forward passes
    on the server. `cls` is the model's class (its methods run here, on this stand-in)."""

    def __init__(self, cls, folder: Path, client: ModelClient):
        self.cls, self.config, self.key, self.client = cls, cls.load_config(folder), model_key(folder), client
        self._device_marker = torch.zeros(1)

    def __call__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.client.forward(self.key, input_ids.cpu(), attention_mask.cpu())

    def parameters(self):
        return iter([self._device_marker])

    def eval(self) -> "RemoteModel":
        return self

    def predict(self, *args, **kwargs):
        return self.cls.predict(self, *args, **kwargs)


def queues(workers: int) -> tuple:
    """(requests, [responses per worker], free slots): what a server and its workers share."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    slots = context.Queue()
    for slot in range(workers):
        slots.put(slot)
    return context.Queue(), [context.Queue() for _ in range(workers)], slots


def connect(requests, responses, slot: int) -> None:
    """Make this process's model components use the server (called in each worker)."""
    global _CLIENT
    _CLIENT = ModelClient(requests, responses, slot)


def remote_model(cls, folder: Path) -> Optional[RemoteModel]:
    """A stand-in for the model in `folder` when this process is a served worker, else None."""
    return RemoteModel(cls, folder, _CLIENT) if _CLIENT is not None else None


class ModelServer:
    """Runs forward passes for workers, in a thread of the process that holds the models.

    `models`: {model_key(folder): (model, device, precision)}. Requests waiting together are
    merged per model (padded to the widest) up to MAX_ROWS rows per pass."""

    def __init__(self, models: dict[str, tuple[Any, torch.device, str]], requests, responses: list,
                 max_rows: int = MAX_ROWS):
        self.models, self.requests, self.responses, self.max_rows = models, requests, responses, max_rows
        self.batches = self.rows = 0
        self._thread = threading.Thread(target=self._serve, name="evidex-model-server", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.requests.put(None)
        self._thread.join()

    def __enter__(self) -> "ModelServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _serve(self) -> None:
        while True:
            first = self.requests.get()
            if first is None:
                return
            waiting, stop = [first], False
            while True:  # whatever else has arrived joins this pass
                try:
                    more = self.requests.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                waiting.append(more)
            by_model: dict[str, list] = {}
            for request in waiting:
                by_model.setdefault(request[1], []).append(request)
            for key, group in by_model.items():
                self._run(key, group)
            if stop:
                return

    def _run(self, key: str, group: list) -> None:
        from .inference import autocast_context

        if key not in self.models:
            for slot, *_ in group:
                self.responses[slot].put(f"no model served for {key}")
            return
        model, device, precision = self.models[key]
        start = 0
        while start < len(group):
            part, rows = [], 0
            while start < len(group) and (not part or rows + len(group[start][2]) <= self.max_rows):
                part.append(group[start])
                rows += len(group[start][2])
                start += 1
            try:
                width = max(ids.shape[1] for _, _, ids, _ in part)
                ids = np.zeros((rows, width), dtype=np.int64)
                mask = np.zeros((rows, width), dtype=np.int64)
                at = 0
                for _, _, i, m in part:
                    ids[at:at + len(i), :i.shape[1]] = i
                    mask[at:at + len(i), :m.shape[1]] = m
                    at += len(i)
                with torch.inference_mode(), autocast_context(device, precision):
                    out = model(torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device))
                out = out.float().cpu().numpy()
                self.batches += 1
                self.rows += rows
                at = 0
                for slot, _, i, _ in part:
                    piece = out[at:at + len(i)]
                    if piece.ndim > 2:  # per-token outputs: back to this request's width
                        piece = piece[:, :i.shape[1]]
                    self.responses[slot].put(np.ascontiguousarray(piece))
                    at += len(i)
            except Exception as exc:  # noqa: BLE001 - each waiting worker hears of it
                for slot, *_ in part:
                    self.responses[slot].put(f"forward pass failed: {type(exc).__name__}: {exc}")


def served_models(nlp) -> dict[str, tuple[Any, torch.device, str]]:
    """The pipeline's loaded models, keyed as the workers' stand-ins ask for them."""
    found = {}
    for _, pipe in nlp.pipeline:
        model, folder = getattr(pipe, "model", None), getattr(pipe, "folder", None)
        if model is not None and folder is not None and not isinstance(model, RemoteModel):
            found[model_key(folder)] = (model, pipe.device, getattr(pipe, "precision", "fp32"))
    return found
