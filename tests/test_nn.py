"""The tagger's model code: windows and stitching, constrained decoding, loss masking,
split forward, saving/loading offline, and a training smoke test."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

from evidex.nn.encoder import encoder_path, load_encoder
from evidex.nn.token_classifier import TaggerConfig, TokenClassifier
from evidex.nn.windows import Window, decode, make_windows, spans_from_tags, stitch, viterbi_bio


@pytest.fixture(scope="module")
def tokenizer():
    tok, _ = load_encoder()
    return tok


def test_encoder_loads_offline_from_the_installed_package():
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    folder = encoder_path()
    assert (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()


def test_loading_the_encoder_prints_no_progress_bar_and_leaves_the_setting_alone(capfd):
    from transformers.utils import logging as hf_logging

    hf_logging.enable_progress_bar()
    load_encoder()
    assert "Loading weights" not in capfd.readouterr().err
    assert hf_logging.is_progress_bar_enabled()  # a notebook user's choice stays theirs


def test_long_text_is_cut_into_overlapping_windows_that_cover_every_word(tokenizer):
    words = ("Ten of twelve recipients of stem cell-derived islets were insulin independent at one year , "
             "and HbA1c fell below seven percent .").split() * 12
    windows = make_windows(tokenizer, words, max_length=48, stride=16)
    assert len(windows) > 3
    assert all(len(w.input_ids) <= 48 for w in windows)
    covered = {w for win in windows for w in win.word_ids if w is not None}
    assert covered == set(range(len(words)))
    # consecutive windows share words (the overlap)
    first = {w for w in windows[0].word_ids if w is not None}
    second = {w for w in windows[1].word_ids if w is not None}
    assert first & second


def test_windows_for_many_texts_at_once_are_each_texts_own_windows(tokenizer):
    from evidex.nn.windows import make_windows_batch

    long = ("Encapsulated porcine islets lowered fasting glucose in diabetic primates for six months .").split() * 9
    texts = [long, [], ["C-peptide", "rose", "."], long[:7]]
    batch = make_windows_batch(tokenizer, texts, max_length=48, stride=16)
    assert batch == [make_windows(tokenizer, t, max_length=48, stride=16) for t in texts]
    assert len(batch[0]) > 2 and batch[1] == [] and len(batch[2]) == 1


def test_stitching_takes_each_word_from_its_most_central_window():
    # two windows over 6 words: [CLS] w0..w3 [SEP] and [CLS] w2..w5 [SEP]
    a = Window(list(range(6)), [None, 0, 1, 2, 3, None])
    b = Window(list(range(6)), [None, 2, 3, 4, 5, None])
    out_a = np.full((6, 1), 1.0)
    out_b = np.full((6, 1), 2.0)
    result = stitch([a, b], [out_a, out_b], 6)
    # w2 sits at position 3 in a (2 from the right edge) and 1 in b: from a;
    # w3 sits at 4 in a (1 from the edge) and 2 in b: from b
    assert result[:, 0].tolist() == [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]


def test_viterbi_never_opens_a_span_with_inside():
    # the most probable tag per word would be O, I, I, O, I: invalid BIO
    probs = np.array([[0.9, 0.05, 0.05], [0.2, 0.3, 0.5], [0.1, 0.1, 0.8], [0.8, 0.1, 0.1], [0.2, 0.35, 0.45]])
    tags = viterbi_bio(probs)
    assert all(not (prev == 0 and cur == 2) for prev, cur in zip([0] + tags, tags))
    assert tags[:3] == [0, 1, 2]
    assert spans_from_tags(tags) == [(1, 3), (4, 5)]


def test_decode_gives_spans_per_type_with_confidence():
    probs = np.zeros((4, 2, 3))
    probs[:, :, 0] = 1.0
    probs[1, 0] = [0.1, 0.8, 0.1]
    probs[2, 0] = [0.3, 0.1, 0.6]
    probs[3, 1] = [0.2, 0.7, 0.1]
    found = decode(probs, ["OUTCOME", "CELL_TYPE"])
    assert sorted(found) == sorted([(1, 3, "OUTCOME", pytest.approx(0.8)), (3, 4, "CELL_TYPE", pytest.approx(0.8))])


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return TokenClassifier(TaggerConfig(types=["POPULATION", "OUTCOME"], trainable_layers=2))


def test_loss_ignores_types_the_corpus_does_not_annotate(model):
    ids = torch.randint(1000, 3000, (2, 12))
    att = torch.ones_like(ids)
    labels = torch.zeros((2, 12, 2), dtype=torch.long)  # everything "O" for both types
    type_mask = torch.tensor([[1, 0], [1, 0]])  # this corpus annotates POPULATION only
    model.zero_grad()
    model.loss(model(ids, att), labels, type_mask).backward()
    grad = model.heads.weight.grad.view(2, 3, -1)  # [types, O/B/I, hidden]
    assert grad[0].abs().sum() > 0
    assert grad[1].abs().sum() == 0
    # with no annotated type at all, the loss is zero and finite
    assert model.loss(model(ids, att), labels, torch.zeros((2, 2), dtype=torch.long)).item() == 0.0


def test_only_the_top_layers_and_heads_train(model):
    trainable = {n.split(".")[3] if n.startswith("encoder.encoder.layer") else n.split(".")[0]
                 for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"4", "5", "heads"}


def test_split_forward_equals_the_full_forward(model):
    ids = torch.randint(1000, 3000, (3, 15))
    att = torch.ones_like(ids)
    att[2, 9:] = 0
    assert model.split_forward_matches(ids, att)


def test_saved_model_holds_only_trained_weights_and_reloads_identically(model, tmp_path):
    model.save_pretrained(tmp_path / "tagger")
    from safetensors.torch import load_file
    saved = load_file(str(tmp_path / "tagger" / "model.safetensors"))
    assert all(k.startswith(("encoder.encoder.layer.4", "encoder.encoder.layer.5", "heads")) for k in saved)
    assert all(t.dtype == torch.float16 for t in saved.values())
    config = json.loads((tmp_path / "tagger" / "config.json").read_text())
    assert config["types"] == ["POPULATION", "OUTCOME"] and len(config["encoder_sha256"]) == 64
    again = TokenClassifier.from_pretrained(tmp_path / "tagger")
    ids = torch.randint(1000, 3000, (1, 10))
    model.eval()
    with torch.no_grad():
        assert torch.allclose(model(ids, torch.ones_like(ids)), again(ids, torch.ones_like(ids)), atol=2e-2)


def test_loading_a_folder_without_a_model_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="holds no evidex-tagger"):
        TokenClassifier.from_pretrained(tmp_path)


TRAIN_DOCS = [
    {"id": "a", "text": "Ten adults with type 1 diabetes received stem cell-derived islets. Insulin independence was reached by eight.",
     "entities": [{"start": 4, "end": 31, "label": "POPULATION"}, {"start": 41, "end": 65, "label": "CELL_TYPE"},
                  {"start": 67, "end": 87, "label": "OUTCOME"}]},
    {"id": "b", "text": "In diabetic NOD mice, encapsulated porcine islets lowered fasting blood glucose.",
     "entities": [{"start": 3, "end": 20, "label": "POPULATION"}, {"start": 35, "end": 49, "label": "CELL_TYPE"},
                  {"start": 58, "end": 79, "label": "OUTCOME"}]},
]


def _train_tiny(tmp_path, **overrides):
    """Train configs/ner.cfg on TRAIN_DOCS (train and dev); returns (result, log lines)."""
    from pathlib import Path

    from evidex.training.train_ner import train
    data = tmp_path / "mine.jsonl"
    data.write_text("\n".join(json.dumps(d) for d in TRAIN_DOCS * 4) + "\n")
    repo = Path(__file__).resolve().parents[1]
    logs: list[str] = []
    result = train(repo / "configs" / "ner.cfg", tmp_path / "out", log=logs.append, overrides={
        "data.train": [str(data)], "data.dev": [str(data)], "training.batch_size": 4, "training.warmup": 1,
        "model.trainable_layers": 1, **overrides})
    return result, logs


def test_training_smoke_on_a_tiny_user_corpus(tmp_path):
    result, logs = _train_tiny(tmp_path, **{"training.steps": 6, "training.eval_every": 3})
    assert (tmp_path / "out" / "model.safetensors").is_file()
    assert result["steps"] == 6 and len(result["history"]) == 2
    assert any("dev token macro F1" in line for line in logs)
    tagger = TokenClassifier.from_pretrained(tmp_path / "out")
    assert tagger.config.types == ["POPULATION", "INTERVENTION", "OUTCOME", "CELL_TYPE", "CELL_LINE"]


def test_training_stops_at_its_time_budget_and_keeps_that_model(tmp_path):
    result, logs = _train_tiny(tmp_path, **{"training.steps": 1000, "training.eval_every": 500,
                                            "training.max_seconds": 1e-6})
    # the budget is spent after the first step: evaluated and saved there, not at step 1000
    assert result["steps"] == 1 and [h["step"] for h in result["history"]] == [1]
    assert any("time budget" in line for line in logs)
    assert (tmp_path / "out" / "model.safetensors").is_file()


def test_trim_drops_edge_punctuation_and_unmatched_brackets():
    from evidex.nn.windows import trim
    words = ["after", "islet", "infusions", ".", "(", "SC-islets", ")", ",", ":"]
    assert trim(words, 1, 4) == (1, 3)
    assert trim(words, 4, 7) == (4, 7)  # balanced brackets stay
    assert trim(words, 2, 5) == (2, 3)  # "(" that never closes
    assert trim(words, 3, 4)[1] == trim(words, 3, 4)[0]  # nothing left


def test_training_can_continue_from_a_trained_tagger(tmp_path):
    from pathlib import Path

    from evidex.training.train_ner import train
    data = tmp_path / "mine.jsonl"
    data.write_text("\n".join(json.dumps(d) for d in TRAIN_DOCS * 4) + "\n")
    repo = Path(__file__).resolve().parents[1]
    start = TokenClassifier.from_pretrained(repo / "models" / "tagger")
    train(repo / "configs" / "ner_continue.cfg", tmp_path / "out", log=lambda m: None, overrides={
        "data.train": [str(data)], "data.dev": [], "training.steps": 2, "training.batch_size": 4,
        "training.warmup": 1, "training.lr": 0.0, "training.head_lr": 0.0})
    after = TokenClassifier.from_pretrained(tmp_path / "out")
    # with a zero learning rate, what comes out is the tagger it started from, not fresh heads
    for name, tensor in start.state_dict().items():
        assert torch.allclose(tensor.float(), after.state_dict()[name].float(), atol=1e-3), name


def test_continuing_from_a_tagger_of_other_types_is_refused(tmp_path):
    from pathlib import Path

    from evidex.training.train_ner import train
    repo = Path(__file__).resolve().parents[1]
    data = tmp_path / "mine.jsonl"
    data.write_text("\n".join(json.dumps(d) for d in TRAIN_DOCS) + "\n")
    with pytest.raises(ValueError, match="model.init"):
        train(repo / "configs" / "ner_continue.cfg", tmp_path / "out", log=lambda m: None, overrides={
            "data.train": [str(data)], "data.dev": [], "training.steps": 1, "model.types": ["OUTCOME"]})


def test_viterbi_over_all_types_equals_brute_force_search():
    import itertools

    from evidex.nn.windows import viterbi_bio_types

    def best_valid(p):
        valid = (s for s in itertools.product(range(3), repeat=len(p))
                 if s[0] != 2 and not any(a == 0 and b == 2 for a, b in zip(s, s[1:])))
        return list(max(valid, key=lambda s: sum(np.log(max(p[i][x], 1e-9)) for i, x in enumerate(s))))

    rng = np.random.default_rng(0)
    for _ in range(200):
        probs = rng.dirichlet([0.5, 0.5, 0.5], size=(int(rng.integers(1, 7)), int(rng.integers(1, 4))))
        tags = viterbi_bio_types(probs)
        for t in range(probs.shape[1]):
            assert list(tags[:, t]) == best_valid(probs[:, t])
