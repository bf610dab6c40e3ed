"""The Ray engine on a local Ray cluster (2 CPUs): the same shards as the local engine, and
the actor plan for GPU and CPU clusters (which needs no GPU to check)."""

from __future__ import annotations

import json

import pytest
from thinc.api import Config

import evidex
from evidex.engine.folder import extract_to_folder
from evidex.engine.ray import pipeline_device, plan_actors
from evidex.pipeline import default_config_path

from engine_helpers import awkward_inputs, rules_only_overrides


def test_actor_plan():
    # one actor per GPU, each with the workers that fit beside it
    assert plan_actors("cuda", {"CPU": 64, "GPU": 8}, workers=7) == (8, 1.0, 7)
    assert plan_actors("cuda", {"CPU": 64, "GPU": 8}, workers=15) == (8, 1.0, 7)
    assert plan_actors("auto", {"CPU": 64, "GPU": 8}) == (8, 1.0, 0)
    # no GPU: CPU actors at 1 + workers CPUs each
    assert plan_actors("auto", {"CPU": 16}, workers=3) == (4, 0.0, 3)
    assert plan_actors("cpu", {"CPU": 16, "GPU": 2}, actors=2) == (2, 0.0, 0)
    assert plan_actors("cpu", {"CPU": 2}, workers=4) == (1, 0.0, 1)
    with pytest.raises(RuntimeError, match="no GPU"):
        plan_actors("cuda", {"CPU": 16})


def test_pipeline_device_from_config():
    text = Config().from_disk(default_config_path(), overrides={"components.tagger.device": "cuda"}).to_str()
    assert pipeline_device(text) == "cuda"


def test_ray_engine_writes_the_same_shards_as_the_local_engine(tmp_path, examples):
    ray = pytest.importorskip("ray", reason="the Ray engine needs ray: pip install 'evidex[ray]'")
    inputs = awkward_inputs(tmp_path / "in", examples)
    overrides = rules_only_overrides()
    config = Config().from_disk(default_config_path(), overrides=overrides).to_str()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        report = extract_to_folder(inputs, tmp_path / "ray", config=config, engine="ray", shard_size=2,
                                   ray_options={"actors": 2})
    finally:
        ray.shutdown()
    local = extract_to_folder(inputs, tmp_path / "local", nlp=evidex.load(overrides=overrides), shard_size=2)
    assert report["engine"] == "ray" and report["total"] == local["total"] and report["shards"] == 5
    assert report["model_version"] == local["model_version"]

    import pyarrow.dataset as pads

    for name in ("evidence", "errors", "records"):
        ray_rows = pads.dataset(tmp_path / "ray" / name, format="parquet").to_table().to_pylist()
        local_rows = pads.dataset(tmp_path / "local" / name, format="parquet").to_table().to_pylist()
        assert sorted(map(json.dumps, ray_rows)) == sorted(map(json.dumps, local_rows)), name
