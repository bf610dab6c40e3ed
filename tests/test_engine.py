"""The local engine: worker processes give the same events as one process, counts add up,
a failing document costs only itself, the string store stays flat, workers by device."""

from __future__ import annotations

import pytest
from spacy.language import Language

import evidex
from evidex.engine import Summary, run
from evidex.engine.stages import split
from evidex.engine.workers import default_workers
from evidex.records import ReadError, Record

from engine_helpers import awkward_inputs, rules_only_overrides


@pytest.fixture(scope="module")
def rules_nlp():
    return evidex.load(overrides=rules_only_overrides())


def test_split_at_the_transformer_core(rules_nlp):
    parts = split(rules_nlp)
    assert parts.before_core == ("sentences", "abbreviations", "numbers", "vocabulary")
    assert parts.from_core[0] == "tagger" and parts.from_core[-1] == "design"
    assert parts.before_core + parts.from_core == tuple(rules_nlp.pipe_names)


def test_split_without_a_core_is_all_cpu_stages():
    nlp = Language()
    nlp.add_pipe("sentencizer")
    parts = split(nlp)
    assert parts.before_core == ("sentencizer",) and not parts.has_core


def test_workers_give_the_same_events_as_one_process(rules_nlp, tmp_path, examples):
    items = list(evidex.read(awkward_inputs(tmp_path, examples, copies=2)))
    alone, pooled = Summary(), Summary()
    # batch size 3: several batches, each cut into chunks for the worker, read errors in between
    in_process = list(run(rules_nlp, items, batch_size=3, summary=alone))
    with_workers = list(run(rules_nlp, items, batch_size=3, summary=pooled, workers=1))
    assert with_workers == in_process
    assert alone.as_dict() | {"seconds": 0} == pooled.as_dict() | {"seconds": 0}
    assert pooled.read == len(items) == 15 and pooled.balanced and pooled.errors == 2
    # one ("doc"|"error") event per item, in input order
    ends = [e for e in with_workers if e[0] != "row"]
    assert [e[1] if e[0] == "doc" else e[1]["doc_id"] for e in ends] == [i.id for i in items]


@Language.component("explodes_on_boom")
def _explodes(doc):
    if "BOOM" in doc.text:
        raise ValueError("boom")
    return doc


def test_a_failing_document_is_one_error_row():
    nlp = evidex.load(overrides=rules_only_overrides())
    nlp.add_pipe("explodes_on_boom", first=True)
    items = [Record("ok-1", "", "HbA1c fell from 8.1% to 6.9% after islet transplantation."),
             Record("bad", "", "BOOM"), ReadError("unread", "missing abstract"),
             Record("ok-2", "", "Insulin independence was achieved in 10 of 12 patients after islet infusion.")]
    summary = Summary()
    events = list(run(nlp, items, batch_size=4, summary=summary))
    errors = {e[1]["doc_id"]: e[1]["error"] for e in events if e[0] == "error"}
    assert errors == {"bad": "pipeline failed: ValueError: boom", "unread": "missing abstract"}
    assert summary.with_findings == 2 and summary.errors == 2 and summary.balanced


def test_string_store_stays_flat(rules_nlp):
    # each batch runs in a memory zone: new strings of one batch are gone after it
    texts = [f"Patient {i} had HbA1c {i}.{i}% with drug-{i * 7919}x at week {i}." for i in range(200)]
    before = len(rules_nlp.vocab.strings)
    summary = Summary(keep_ids=False)
    for _ in run(rules_nlp, [Record(f"r{i}", "", t) for i, t in enumerate(texts)], batch_size=50, summary=summary):
        pass
    assert len(rules_nlp.vocab.strings) == before
    assert summary.read == 200 and summary.no_finding_ids == []


def test_abbreviation_matcher_is_renewed_between_batches(rules_nlp):
    # scispaCy's detector keeps a matcher whose removed patterns are never freed: the engine
    # replaces it once empty, and the results stay the same
    detector = rules_nlp.get_pipe("abbreviations")
    text = ("Patients with type 1 diabetes (T1D) received mesenchymal stromal cells (MSCs). "
            "HbA1c fell from 8.1% to 6.9% in T1D patients given MSCs.")
    records = [Record(f"a{i}", "", text) for i in range(3)]
    first = list(run(rules_nlp, records, batch_size=1))
    renewed = detector.global_matcher
    second = list(run(rules_nlp, records, batch_size=1))
    assert detector.global_matcher is not renewed and len(detector.global_matcher) == 0
    assert first == second and any(e[0] == "row" for e in first)
    doc = rules_nlp(evidex.pipeline.make_doc(rules_nlp, records[0]))
    assert {a["short_text"] for a in doc._.abbreviations} == {"T1D", "MSCs"}


def test_default_workers_follow_the_device(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert default_workers("auto") == 0 and default_workers("cpu") == 0
    monkeypatch.setattr("os.cpu_count", lambda: 16)
    assert default_workers("cuda") == 15
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert default_workers("auto") == 15 and default_workers("cpu") == 0


def test_real_pipeline_with_a_worker_matches_one_process(tagged_nlp, examples):
    # on the CPU the worker runs the whole pipeline on one torch thread: the same rows, with
    # confidences that may differ in the last digit (bf16 sums in another order)
    items = list(evidex.read(examples))
    in_process = list(run(tagged_nlp, items, batch_size=4))
    with_worker = list(run(tagged_nlp, items, batch_size=4, workers=1))

    def without_confidence(events):
        return [(e[0], {k: v for k, v in e[1].items() if k != "confidence"}) if e[0] == "row" else e for e in events]

    assert without_confidence(with_worker) == without_confidence(in_process)
    pairs = [(a[1]["confidence"], b[1]["confidence"]) for a, b in zip(in_process, with_worker) if a[0] == "row"]
    assert pairs and all(abs(a - b) <= 0.01 for a, b in pairs)
