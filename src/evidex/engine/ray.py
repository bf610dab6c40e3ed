"""The Ray engine: shards of records go to actors, each of which loads the pipeline once and
runs the local engine over its shard (with its own CPU worker processes if asked); results
come back to the driver, which writes the same shards and manifest as the local engine.

One actor per GPU when the pipeline runs on CUDA (Ray sets each actor's CUDA_VISIBLE_DEVICES),
else CPU actors. The driver keeps two shards per actor in flight: one running, one waiting,
so no actor idles while the driver reads and writes. Needs `pip install evidex[ray]`.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Iterable, Iterator, Optional

from thinc.api import Config

try:
    import ray
except ImportError:  # pragma: no cover - exercised where ray is not installed
    ray = None


def require_ray() -> None:
    if ray is None:
        raise RuntimeError("the ray engine needs Ray: pip install 'evidex[ray]'")


def pipeline_device(config: str) -> str:
    """The device the config asks its transformer core for (auto, cpu, cuda)."""
    cfg = Config().from_str(config, interpolate=False)
    return str(cfg.get("components", {}).get("tagger", {}).get("device", "auto"))


def plan_actors(device: str, cluster: dict[str, float], workers: int = 0,
                actors: Optional[int] = None) -> tuple[int, float, int]:
    """(actors, GPUs per actor, worker processes per actor) for a cluster's resources; each
    actor asks Ray for 1 + its workers CPUs.

    cuda: one actor per GPU (an error if the cluster has none); auto: the same where there are
    GPUs, else CPU actors; cpu: CPU actors, as many as the CPUs allow at 1 + workers each.
    Workers are cut so that all the actors fit in the cluster's CPUs."""
    gpus = int(cluster.get("GPU", 0))
    cpus = max(1, int(cluster.get("CPU", 1)))
    if device == "cuda" and gpus == 0:
        raise RuntimeError("device cuda, but the Ray cluster has no GPU")
    if device in ("cuda", "auto") and gpus > 0:
        n, per_gpu = actors or gpus, 1.0
    else:
        n, per_gpu = actors or max(1, cpus // (1 + workers)), 0.0
    return n, per_gpu, max(0, min(workers, cpus // n - 1))


class _Extractor:
    """A Ray actor: the pipeline, loaded once; runs shards through the local engine."""

    def __init__(self, config: str, workers: int, batch_size: int):
        import warnings

        warnings.filterwarnings("ignore", message=r"\[W036\]")
        from ..pipeline import model_version
        from .stages import load_from_text

        self.nlp = load_from_text(config)
        self.version = model_version(self.nlp)
        self.workers, self.batch_size = workers, batch_size

    def model_version(self) -> str:
        return self.version

    def process(self, items: list) -> list[tuple]:
        from .local import run

        return list(run(self.nlp, items, batch_size=self.batch_size, workers=self.workers))


class RayExtractor:
    """Actors over a Ray cluster: `map(shards)` yields each shard's events, in any order."""

    def __init__(self, config: Optional[str], workers: int = 0, batch_size: int = 64, address: Optional[str] = None,
                 actors: Optional[int] = None, num_cpus: Optional[int] = None):
        require_ray()
        if config is None:
            raise ValueError("the ray engine needs the pipeline config text")
        self.started = False
        if not ray.is_initialized():
            ray.init(address=address, num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
            self.started = True
        n, gpus, workers = plan_actors(pipeline_device(config), ray.cluster_resources(), workers, actors)
        remote = ray.remote(num_gpus=gpus, num_cpus=1 + workers)(_Extractor)
        self.actors = [remote.remote(config, workers, batch_size) for _ in range(n)]
        self.model_version = ray.get(self.actors[0].model_version.remote())

    def map(self, shards: Iterable[tuple[list, list]]) -> Iterator[tuple[list, list]]:
        """(metas, items) -> (metas, events) per shard, as the actors finish them."""
        idle = deque(self.actors * 2)  # two slots per actor: one running, one queued
        running: dict[Any, tuple[Any, list]] = {}
        shards = iter(shards)
        exhausted = False
        while True:
            while idle and not exhausted:
                nxt = next(shards, None)
                if nxt is None:
                    exhausted = True
                    break
                actor = idle.popleft()
                metas, items = nxt
                running[actor.process.remote(items)] = (actor, metas)
            if not running:
                return
            [ref], _ = ray.wait(list(running), num_returns=1)
            actor, metas = running.pop(ref)
            idle.append(actor)
            yield metas, ray.get(ref)

    def close(self) -> None:
        for actor in self.actors:
            ray.kill(actor)
        if self.started:
            ray.shutdown()

    def __enter__(self) -> "RayExtractor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
