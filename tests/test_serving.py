"""Models served to the engine's workers: the server merges waiting requests into one pass per
model and hands each worker its own slice; a failing pass reaches the worker as an error; the
engine with served models gives the rows of one process."""

from __future__ import annotations

import queue

import numpy as np
import pytest
import torch

import evidex
from evidex.engine import run
from evidex.nn.serving import ModelClient, ModelServer, ServingError


class PerToken(torch.nn.Module):
    """Logits [rows, width, 2] that show which token and which mask each position saw."""

    def forward(self, ids, mask):
        return torch.stack([ids.float(), mask.float()], dim=-1)


class Failing(torch.nn.Module):
    def forward(self, ids, mask):
        raise RuntimeError("out of memory")


def _request(slot, key, rows, width, start):
    ids = np.arange(start, start + rows * width, dtype=np.int32).reshape(rows, width)
    return slot, key, ids, np.ones((rows, width), dtype=np.int8)


def test_waiting_requests_share_one_pass_and_come_back_at_their_own_width():
    requests, responses = queue.Queue(), [queue.Queue(), queue.Queue()]
    first, second = _request(0, "m", 2, 3, 0), _request(1, "m", 1, 5, 100)
    requests.put(first)
    requests.put(second)  # both wait before the server starts: one merged pass
    with ModelServer({"m": (PerToken(), torch.device("cpu"), "fp32")}, requests, responses) as server:
        a, b = responses[0].get(timeout=10), responses[1].get(timeout=10)
    assert server.batches == 1 and server.rows == 3
    assert a.shape == (2, 3, 2) and b.shape == (1, 5, 2)
    assert (a[..., 0] == first[2]).all() and (b[..., 0] == second[2]).all()
    assert (a[..., 1] == 1).all()  # padding of the merged pass is not in anyone's slice


def test_a_pass_is_cut_at_max_rows():
    requests, responses = queue.Queue(), [queue.Queue()]
    for k in range(3):
        requests.put(_request(0, "m", 4, 2, 10 * k))
    with ModelServer({"m": (PerToken(), torch.device("cpu"), "fp32")}, requests, responses, max_rows=8) as server:
        got = [responses[0].get(timeout=10) for _ in range(3)]
    assert server.batches == 2 and [g[0, 0, 0] for g in got] == [0, 10, 20]


def test_a_failing_pass_and_an_unknown_model_reach_the_client_as_errors():
    requests, responses = queue.Queue(), [queue.Queue()]
    client = ModelClient(requests, responses[0], 0)
    ids, mask = torch.ones((1, 4), dtype=torch.long), torch.ones((1, 4), dtype=torch.long)
    with ModelServer({"bad": (Failing(), torch.device("cpu"), "fp32")}, requests, responses):
        with pytest.raises(ServingError, match="out of memory"):
            client.forward("bad", ids, mask)
        with pytest.raises(ServingError, match="no model served"):
            client.forward("other", ids, mask)


@pytest.fixture(scope="module")
def fp32_nlp():
    # fp32 on both sides: what is compared is the serving, not bf16 sums over other batch shapes
    return evidex.load(overrides={"components.tagger.precision": "fp32", "components.relations.precision": "fp32"})


def test_engine_with_served_models_matches_one_process(fp32_nlp, examples):
    # two workers run the whole pipeline; the tagger's and the relation model's forward passes
    # run in this process, on requests merged across the workers
    items = list(evidex.read(examples))
    in_process = list(run(fp32_nlp, items, batch_size=4))
    served = list(run(fp32_nlp, items, batch_size=4, workers=2, serve=True))
    assert sum(e[0] == "row" for e in served) >= 10
    assert [e[0] for e in served] == [e[0] for e in in_process]
    for a, b in zip(in_process, served):
        if a[0] != "row":
            assert a == b
            continue
        assert {k: v for k, v in a[1].items() if k != "confidence"} == {k: v for k, v in b[1].items() if k != "confidence"}
        assert abs(a[1]["confidence"] - b[1]["confidence"]) <= 0.002


def test_a_served_worker_builds_stand_ins_without_weights(monkeypatch):
    from evidex.components.relations import RelationExtractor
    from evidex.components.tagger import EntityTagger
    from evidex.nn import serving

    requests, responses = queue.Queue(), [queue.Queue()]
    monkeypatch.setattr(serving, "_CLIENT", None)
    serving.connect(requests, responses[0], 0)
    tagger, relations = EntityTagger("tagger"), RelationExtractor(model="relations")
    assert isinstance(tagger.model, serving.RemoteModel) and isinstance(relations.model, serving.RemoteModel)
    assert tagger.model.config.types[0] == "POPULATION" and relations.model.config.labels[0] == "none"
    assert tagger.tokenizer is not None and relations.tokenizer is not None
    # a forward pass of the stand-in is a request on the queue, answered by the server
    from evidex.nn.token_classifier import TokenClassifier

    real = TokenClassifier.from_pretrained(tagger.folder)
    with ModelServer({tagger.model.key: (real, torch.device("cpu"), "fp32")}, requests, responses) as server:
        words = [["Islet", "transplantation", "restored", "insulin", "independence", "."]]
        from evidex.nn.inference import tag_words

        remote = tag_words(tagger.model, tagger.tokenizer, words, device=torch.device("cpu"), precision="fp32")
    assert server.batches == 1
    assert remote == tag_words(real, tagger.tokenizer, words, device=torch.device("cpu"), precision="fp32")
