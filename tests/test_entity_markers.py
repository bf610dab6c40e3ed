"""Entity marks in the relation classifier's sentence: placing them, finding a free-text
prompt's phrase in a sentence, the pooled vector at the marks, and a marked model end to end."""

from pathlib import Path

import pytest
import torch

from evidex.nn.entity_markers import find_mention, mark, mark_phrases

REPO = Path(__file__).resolve().parents[1]

SENT = "HbA1c fell from 8.1% to 6.2% after SC-islet implantation, while C-peptide rose."


def test_mark_wraps_both_spans_and_keeps_the_text():
    out = mark(SENT, (0, 5), (35, 43))
    assert out == "@ HbA1c @ fell from 8.1% to 6.2% after # SC-islet # implantation, while C-peptide rose."
    # removing the marks gives the sentence back
    assert out.replace("@ ", "", 1).replace(" @", "", 1).replace("# ", "", 1).replace(" #", "", 1) == SENT


def test_mark_order_does_not_matter_and_overlap_drops_the_therapy():
    assert mark(SENT, (64, 73), (35, 43)).index("#") < mark(SENT, (64, 73), (35, 43)).index("@")
    assert "#" not in mark(SENT, (0, 10), (6, 12))
    assert mark(SENT, None, None) == SENT
    assert mark(SENT, (5, 500)) == SENT  # a span outside the sentence is not marked


def test_find_mention_exact_and_by_content_words():
    assert find_mention(SENT, "hba1c") == (0, 5)
    s = "After 1 month the treated group had a lower 30-day mortality than controls."
    start, end = find_mention(s, "Mortality at 30 days")
    assert s[start:end] == "mortality"
    # a prompt's time point does not count as a word of its outcome
    s2 = "After 1 month the vitamin D group had a significantly decreased fentanyl dose."
    start, end = find_mention(s2, "fentanyl dose after 1 month and 3 months")
    assert s2[start:end] == "fentanyl dose"
    # "transplanted" finds "transplantation" by its stem
    s3 = "Islets were transplanted into the portal vein of 12 recipients."
    assert s3[slice(*find_mention(s3, "islet transplantation"))] == "Islets were transplanted"


def test_find_mention_says_none_when_the_sentence_does_not_name_it():
    assert find_mention(SENT, "systolic blood pressure") is None
    assert find_mention(SENT, "") is None
    # one of three content words is not enough
    assert find_mention("Blood pressure was stable.", "serum creatinine blood") is None


def test_mark_phrases_marks_what_it_finds():
    out = mark_phrases("Intravenous lidocaine reduced the intensity of pain compared to placebo.",
                       "intensity of pain", "lidocaine (5 mg/kg)")
    assert out == "Intravenous # lidocaine # reduced the @ intensity of pain @ compared to placebo."


@pytest.fixture(scope="module")
def tokenizer():
    from evidex.nn.encoder import load_tokenizer
    return load_tokenizer()


def test_marks_are_single_tokens_and_the_head_pools_at_them(tokenizer):
    from evidex.nn.pair_classifier import PairClassifier, RelationConfig, marker_token_ids

    ids = marker_token_ids(tokenizer)
    assert len(ids) == 2 and len(set(ids)) == 2
    model = PairClassifier(RelationConfig(trainable_layers=1, markers=True, marker_ids=ids)).eval()
    assert model.classifier.in_features == 3 * model.encoder.config.hidden_size
    hidden = torch.arange(2 * 4 * 1, dtype=torch.float32).view(2, 4, 1).expand(2, 4, 384).clone()
    input_ids = torch.tensor([[101, ids[0], 7, ids[1]], [101, 5, 6, 0]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
    at_outcome = model._at_mark(hidden, input_ids, mask, ids[0], torch.full((2, 384), -1.0))
    assert at_outcome[0, 0] == 1.0  # row 0: position 1 holds the outcome's mark
    assert at_outcome[1, 0] == -1.0  # row 1 has no mark: the fallback
    with pytest.raises(ValueError):
        model.head(hidden, mask)  # a marked model needs the ids
    with pytest.raises(ValueError):
        PairClassifier(RelationConfig(trainable_layers=1, markers=True))


def test_marked_model_trains_saves_and_judges_marked_candidates(tmp_path, tokenizer):
    import spacy

    import evidex
    from evidex.nn.pair_classifier import PairClassifier
    from evidex.training.train_relations import train

    result = train(REPO / "configs" / "relations.cfg", tmp_path / "rel", log=lambda _: None, overrides={
        "data.evidence_inference": False, "data.t1d_repeat": 1, "training.steps": 3, "training.eval_every": 3,
        "training.batch_size": 8, "training.warmup": 1, "model.trainable_layers": 1, "model.markers": True})
    assert result["steps"] == 3
    model = PairClassifier.from_pretrained(tmp_path / "rel")
    assert model.config.markers and len(model.config.marker_ids) == 2
    # the split forward (cached training) and the plain one agree with marks in the input
    enc = tokenizer(["intervention: islets; comparator: none; outcome: HbA1c"], [mark(SENT, (0, 5), (35, 43))],
                    return_tensors="pt")
    assert model.split_forward_matches(enc["input_ids"], enc["attention_mask"])
    nlp = evidex.load(overrides={"paths.relations": str(tmp_path / "rel")})
    extractor = nlp.get_pipe("relations")
    doc = nlp("Islet transplantation in type 1 diabetes. After islet transplantation, HbA1c fell from 8.1% "
              "to 6.2% at one year and 10 of 12 recipients were insulin independent.")
    assert isinstance(doc, spacy.tokens.Doc)
    cands = extractor.candidates(doc)
    assert cands
    from evidex.components.relations import pair_text
    prompt, sentence = pair_text(cands[0], markers=True)
    assert sentence.count("@") == 2 and cands[0].outcome.text in sentence
    assert f"@ {cands[0].outcome.text} @" in sentence
