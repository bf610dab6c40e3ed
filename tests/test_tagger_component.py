"""The shipped tagger inside the pipeline: loads offline, tags real-looking abstracts with
confident spans, and feeds the evidence table."""

import json
from pathlib import Path

import pytest

import evidex
from evidex.paths import MODELS_DIR
from evidex.schema import CONCEPT_LABELS

pytestmark = pytest.mark.skipif(not (MODELS_DIR / "tagger" / "model.safetensors").is_file(),
                                reason="no shipped tagger in models/tagger")


def test_shipped_tagger_is_small_and_describes_itself():
    folder = MODELS_DIR / "tagger"
    config = json.loads((folder / "config.json").read_text())
    assert config["model_type"] == "evidex-tagger" and "POPULATION" in config["types"]
    assert (folder / "README.md").is_file()
    assert sum(f.stat().st_size for f in MODELS_DIR.rglob("*") if f.is_file()) < 30 * 2**20


def test_tagger_spans_in_the_pipeline(tagged_nlp):
    record = evidex.Record("t1", "Encapsulated stem cell-derived islets in adults with type 1 diabetes",
                           "Twenty adults with long-standing type 1 diabetes received subcutaneous devices loaded "
                           "with stem cell-derived islets. After 12 months, fasting C-peptide increased and HbA1c "
                           "was reduced compared with baseline, while severe hypoglycaemic events were eliminated.")
    doc = tagged_nlp(evidex.pipeline.make_doc(tagged_nlp, record))
    spans = list(doc.spans["tagger"])
    assert spans, "the tagger found nothing"
    assert {s.label_ for s in spans} <= set(CONCEPT_LABELS)
    assert all(0.0 < s._.confidence <= 1.0 and s._.source.startswith("tagger") for s in spans)
    outcomes = " ".join(s.text for s in spans if s.label_ == "OUTCOME")
    assert "C-peptide" in outcomes or "HbA1c" in outcomes
    assert "tagger:tagger" in evidex.pipeline.model_version(tagged_nlp)


def test_missing_tagger_folder_warns_and_falls_back_to_the_vocabulary(tmp_path):
    with pytest.warns(UserWarning, match="vocabulary only"):
        nlp = evidex.load(overrides={"paths.tagger": str(tmp_path / "nowhere")})
    assert "vocabulary" in evidex.pipeline.model_version(nlp)


def test_tagger_spans_never_cross_the_title_abstract_break(tagged_nlp):
    record = evidex.Record("t2", "Stem cell-derived islets in adults with type 1 diabetes",
                           "Ten of 12 recipients of SC-islets were insulin independent at one year.")
    doc = tagged_nlp(evidex.pipeline.make_doc(tagged_nlp, record))
    assert all("\n" not in s.text for s in doc.spans["tagger"])


def test_tagger_reads_sentence_by_sentence(tagged_nlp):
    from evidex.components.tagger import tagging_units

    record = evidex.Record("t3", "Porcine islets in diabetic primates",
                           "Neonatal porcine islets were transplanted into six diabetic macaques. "
                           "Fasting C-peptide rose in four animals. Graft survival exceeded 90 days in three recipients.")
    with tagged_nlp.select_pipes(enable=["sentences"]):
        doc = tagged_nlp(evidex.pipeline.make_doc(tagged_nlp, record))
    units = tagging_units(doc)
    assert len(units) == len(list(doc.sents)) >= 3
    assert [i for u in units for i in u] == [t.i for t in doc if not t.is_space]
    assert tagging_units(doc, "document") == [[t.i for t in doc if not t.is_space]]
    # each sentence is tagged as if it were alone
    tagger = tagged_nlp.get_pipe("tagger")
    tagged = [(s.start, s.end, s.label_) for s in tagger(doc).spans["tagger"]]
    alone = []
    for sent in doc.sents:
        piece = tagger(sent.as_doc())
        alone += [(sent.start + s.start, sent.start + s.end, s.label_) for s in piece.spans["tagger"]]
    assert tagged and sorted(tagged) == sorted(alone)
