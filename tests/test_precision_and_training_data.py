"""Half precision where the hardware has it (and nowhere else), and the training-data specs:
the in-domain corpus as sentence examples, `*N` repetition."""

from __future__ import annotations

import pytest
import torch

from evidex.nn import inference
from evidex.nn.inference import autocast_dtype


def test_fp32_is_plain_and_unknown_precisions_are_refused():
    assert autocast_dtype(torch.device("cpu"), "fp32") is None
    with pytest.raises(ValueError, match="precision must be one of"):
        autocast_dtype(torch.device("cpu"), "int4")
    with pytest.raises(ValueError, match="fp16 is for CUDA"):
        autocast_dtype(torch.device("cpu"), "fp16")


def test_auto_on_the_cpu_follows_the_hardware(monkeypatch):
    monkeypatch.setattr(inference, "cpu_has_bf16", lambda: False)
    assert autocast_dtype(torch.device("cpu"), "auto") is None  # emulated bf16 would be slower
    monkeypatch.setattr(inference, "cpu_has_bf16", lambda: True)
    assert autocast_dtype(torch.device("cpu"), "auto") is torch.bfloat16
    assert autocast_dtype(torch.device("cpu"), "bf16") is torch.bfloat16


def test_auto_on_cuda_prefers_bf16_else_fp16(monkeypatch):
    # decided without a GPU: only the capability query is asked
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert autocast_dtype(torch.device("cuda"), "auto") is torch.bfloat16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert autocast_dtype(torch.device("cuda"), "auto") is torch.float16
    assert autocast_dtype(torch.device("cuda"), "fp16") is torch.float16


def test_bf16_tags_like_fp32_on_a_real_sentence():
    from evidex.evaluation.ner import load_tagger
    from evidex.nn.inference import tag_words

    model, tokenizer = load_tagger("tagger")
    words = ("Ten of twelve patients with type 1 diabetes who received stem cell-derived islets "
             "were insulin independent at one year , and HbA1c fell .").split()
    full = tag_words(model, tokenizer, [words], precision="fp32")[0]
    half = tag_words(model, tokenizer, [words], precision="bf16")[0]
    assert full, "the shipped tagger finds entities in this sentence"
    assert [(s, e, k) for s, e, k, _ in half] == [(s, e, k) for s, e, k, _ in full]
    for (_, _, _, a), (_, _, _, b) in zip(full, half):
        assert abs(a - b) < 0.05


def test_tagger_component_refuses_an_unknown_precision():
    from evidex.components.tagger import EntityTagger

    with pytest.raises(ValueError, match="precision must be one of"):
        EntityTagger(None, precision="half")


def test_in_domain_corpus_gives_sentence_examples_with_clipped_spans():
    from evidex.training.corpora import IN_DOMAIN_TYPES, t1d_cell_therapy

    examples = list(t1d_cell_therapy("dev"))
    assert len(examples) > 100
    assert all(e.types == frozenset(IN_DOMAIN_TYPES) for e in examples)
    assert all(0 <= s < e <= len(ex.words) for ex in examples for s, e, _ in ex.spans)
    labels = {k for ex in examples for _, _, k in ex.spans}
    assert labels == set(IN_DOMAIN_TYPES)  # numbers (SAMPLE_SIZE, VALUE, ...) are not the tagger's
    # one sentence's words, not a whole abstract
    assert max(len(e.words) for e in examples) < 150


def test_star_n_repeats_a_corpus(tmp_path):
    from evidex.training.train_ner import load_examples

    path = tmp_path / "mine.jsonl"
    path.write_text('{"id": "a", "text": "Islet transplantation restored insulin independence.", '
                    '"entities": [{"start": 0, "end": 21, "label": "INTERVENTION"}], "types": ["INTERVENTION"]}\n')
    once = load_examples([str(path)], None)
    thrice = load_examples([f"{path}*3"], None)
    assert len(once) == 1 and len(thrice) == 3
    assert once[0].spans == [(0, 2, "INTERVENTION")]
