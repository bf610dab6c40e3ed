"""Evidence Inference 2.0 loader for the relation classifier: the vote (pure, hand-built rows) and
the real test split (skipped when the corpus is absent)."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from pathlib import Path

import pytest

from evidex.schema import DECREASE, INCREASE, NO_DIFFERENCE
from evidex.training.corpora import CorpusNotFound
from evidex.training.relation_corpora import (
    ANNOTATOR, GENERATOR, LABEL_MAP, Vote, aggregate, evidence_inference, normalise_ws,
)

INC, DEC, NSD = "significantly increased", "significantly decreased", "no significant difference"
CANNOT = "cannot tell based on the abstract"


# --------------------------------------------------------------------------- the vote, no files


def votes(*rows):
    return [Vote(voter, label, role) for voter, label, role in rows]


def test_majority_counts_voters_not_rows():
    # annotator a cites three spans (three rows): one vote, so b + c win
    agg = aggregate(votes(("a", INC, ANNOTATOR), ("a", INC, ANNOTATOR), ("a", INC, ANNOTATOR),
                          ("b", NSD, ANNOTATOR), ("c", NSD, ANNOTATOR)))
    assert (agg.label, agg.n_votes, agg.n_total, agg.tie_break) == (NO_DIFFERENCE, 2, 3, "")
    assert dict(agg.counts) == {NO_DIFFERENCE: 2, INCREASE: 1}


def test_cannot_tell_and_invalid_rows_are_dropped():
    agg = aggregate(votes(("a", CANNOT, ANNOTATOR), ("a", DEC, ANNOTATOR), ("b", "invalid prompt", ANNOTATOR),
                          ("c", CANNOT, ANNOTATOR)))
    assert (agg.label, agg.n_votes, agg.n_total) == (DECREASE, 1, 1)
    assert aggregate(votes(("a", CANNOT, ANNOTATOR), ("b", "invalid prompt", ANNOTATOR))) is None
    assert aggregate([]) is None


def test_generator_counts_as_one_voter():
    agg = aggregate(votes(("g", INC, GENERATOR), ("g", INC, GENERATOR), ("a", INC, ANNOTATOR),
                          ("b", DEC, ANNOTATOR)))
    assert (agg.label, agg.n_votes, agg.n_total, agg.tie_break) == (INCREASE, 2, 3, "")


def test_tie_prefers_annotators_then_fixed_order():
    # 1-1 between the generator and an annotator: the annotator wins
    agg = aggregate(votes(("g", INC, GENERATOR), ("a", DEC, ANNOTATOR)))
    assert (agg.label, agg.n_votes, agg.n_total, agg.tie_break) == (DECREASE, 1, 2, "annotators")
    # 2-2 overall, annotators 2-1 for increase
    agg = aggregate(votes(("g", DEC, GENERATOR), ("a", DEC, ANNOTATOR), ("b", INC, ANNOTATOR),
                          ("c", INC, ANNOTATOR)))
    assert (agg.label, agg.n_votes, agg.n_total, agg.tie_break) == (INCREASE, 2, 4, "annotators")
    # the generator sides with one of two disagreeing annotators: a strict majority, no tie
    agg = aggregate(votes(("a", INC, ANNOTATOR), ("b", DEC, ANNOTATOR), ("g", DEC, GENERATOR)))
    assert (agg.label, agg.n_votes, agg.n_total, agg.tie_break) == (DECREASE, 2, 3, "")
    # nobody breaks it: fixed order no_difference > increase > decrease
    agg = aggregate(votes(("a", INC, ANNOTATOR), ("b", NSD, ANNOTATOR)))
    assert (agg.label, agg.n_votes, agg.n_total, agg.tie_break) == (NO_DIFFERENCE, 1, 2, "order")
    agg = aggregate(votes(("a", DEC, ANNOTATOR), ("b", INC, ANNOTATOR)))
    assert (agg.label, agg.tie_break) == (INCREASE, "order")
    # three-way tie among annotators, generator absent: fixed order among all three
    agg = aggregate(votes(("a", DEC, ANNOTATOR), ("b", INC, ANNOTATOR), ("c", NSD, ANNOTATOR)))
    assert (agg.label, agg.n_votes, agg.n_total, agg.tie_break) == (NO_DIFFERENCE, 1, 3, "order")
    # annotators narrow a three-way tie to two, fixed order picks between those two
    agg = aggregate(votes(("a", DEC, ANNOTATOR), ("b", INC, ANNOTATOR), ("g", NSD, GENERATOR)))
    assert (agg.label, agg.tie_break) == (INCREASE, "order")


def test_voter_with_split_rows_abstains():
    agg = aggregate(votes(("a", INC, ANNOTATOR), ("a", DEC, ANNOTATOR), ("b", NSD, ANNOTATOR)))
    assert (agg.label, agg.n_votes, agg.n_total) == (NO_DIFFERENCE, 1, 1)


def test_missing_corpus_raises(tmp_path):
    with pytest.raises(CorpusNotFound, match="prompts.jsonl.gz"):
        evidence_inference("test", tmp_path)
    with pytest.raises(ValueError):
        evidence_inference("dev", tmp_path)


# --------------------------------------------------------------------------- the real test split


@pytest.fixture(scope="module")
def ei_dir(corpora: Path) -> Path:
    """<data dir>/evidence_inference (conftest's `corpora` skips when the data dir is absent)."""
    folder = corpora / "evidence_inference"
    if not (folder / "prompts.jsonl.gz").is_file():
        pytest.skip(f"Evidence Inference not found at {folder} (set EVIDEX_DATA to the folder that holds "
                    "evidence_inference/)")
    return folder


@pytest.fixture(scope="module")
def ei_test(ei_dir):
    return evidence_inference("test", ei_dir.parent)


@pytest.fixture(scope="module")
def raw_evidence(ei_dir, ei_test):
    """prompt id -> whitespace-normalised evidence texts of its rows, by mapped label."""
    ids = {p.prompt_id for p in ei_test}
    texts: dict[tuple[str, str], set[str]] = defaultdict(set)
    with gzip.open(ei_dir / "prompts.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            p = json.loads(line)
            if p["prompt_id"] in ids:
                for a in p["annotations"]:
                    texts[(p["prompt_id"], LABEL_MAP.get(a["label"]))].add(normalise_ws(a["evidence_text"]))
    with gzip.open(ei_dir / "labels_v1.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if r["prompt_id"] in ids:
                texts[(r["prompt_id"], LABEL_MAP.get(r["label"]))].add(normalise_ws(r["evidence_text"] or ""))
    return texts


def test_labels_are_directions(ei_test):
    assert len(ei_test) > 900
    assert {p.label for p in ei_test} == {INCREASE, DECREASE, NO_DIFFERENCE}
    for p in ei_test:
        assert 1 <= p.n_votes <= p.n_total
        assert p.conflicting == (p.n_votes < p.n_total)
        assert p.tie_break in ("", "annotators", "order")


def test_evidence_slices_abstract_to_annotated_text(ei_test, raw_evidence):
    with_evidence = [p for p in ei_test if p.evidence]
    assert len(with_evidence) > 300
    for p in with_evidence:
        assert len(p.evidence) == len(p.evidence_sentences)
        assert p.evidence == sorted(set(p.evidence))
        for (start, end), sentence in zip(p.evidence, p.evidence_sentences):
            assert 0 <= start < end <= len(p.abstract)
            assert p.abstract[start:end] == sentence
            assert sentence == sentence.strip()
            # the span is the text of one of the rows that voted for the final label
            assert normalise_ws(sentence) in raw_evidence[(p.prompt_id, p.label)], (p.prompt_id, sentence)


def test_test_split_is_test_articles_only(ei_dir, ei_test):
    test_ids = set((ei_dir / "splits" / "test_article_ids.txt").read_text().split())
    train_ids = set((ei_dir / "splits" / "train_article_ids.txt").read_text().split())
    assert test_ids and not test_ids & train_ids
    assert {p.pmcid for p in ei_test} <= test_ids
    assert {p.split for p in ei_test} == {"test"}
    assert {p.subset for p in ei_test} <= {"ev1", "ev2"}


def test_abstract_is_the_articles_abstract(ei_dir, ei_test):
    wanted = {p.pmcid for p in ei_test}
    abstracts = {}
    with gzip.open(ei_dir / "abstracts.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            art = json.loads(line)
            if art["pmcid"] in wanted:
                abstracts[art["pmcid"]] = art["abstract"]
    for p in ei_test:
        assert p.abstract == abstracts[p.pmcid]


def test_pilot_prompts_are_not_counted_twice(ei_test):
    pilot = [p for p in ei_test if p.prompt_source == "pilot_run"]
    assert pilot
    # the pilot run had 4 answers (generator + 3 annotators), present in both sources
    assert all(p.n_total <= 4 for p in pilot)


def test_label_sources_and_in_abstract_only(ei_dir, ei_test):
    v2_only = evidence_inference("test", ei_dir.parent, label_sources=("v2",))
    assert v2_only and {p.prompt_source for p in v2_only} <= {"ev2_new", "pilot_run"}
    in_abstract = evidence_inference("test", ei_dir.parent, in_abstract_only=True)
    assert all(p.evidence for p in in_abstract)
    assert [p.prompt_id for p in in_abstract] == [p.prompt_id for p in ei_test if p.evidence]
