"""How tagger and vocabulary spans become `doc.ents`: the `prefer` setting decides overlaps,
spans that overlap nothing stay, numbers keep their own spans."""

from __future__ import annotations

import pytest

from evidex.components.entities import EntityResolver
from evidex.pipeline import make_doc
from evidex.records import Record

TEXT = "Recurrence of severe hypoglycaemia was prevented in 10 of 12 recipients of SC-islets at 1 year."


@pytest.fixture()
def doc(nlp):
    d = nlp(make_doc(nlp, Record("m", "", TEXT)))
    # the tagger's reading: a longer outcome span, and a population span the vocabulary lacks
    start = TEXT.index("Recurrence")
    outcome = d.char_span(start, start + len("Recurrence of severe hypoglycaemia"), label="OUTCOME")
    recipients = d.char_span(TEXT.index("recipients"), TEXT.index("recipients") + len("recipients"), label="POPULATION")
    d.spans["tagger"] = [outcome, recipients]
    return d


def _texts(doc, label):
    return [e.text for e in doc.ents if e.label_ == label]


def test_tagger_preferred_keeps_the_models_span(doc):
    assert "severe hypoglycaemia" in [s.text for s in doc.spans["vocabulary"]]
    EntityResolver("tagger")(doc)
    assert _texts(doc, "OUTCOME") == ["Recurrence of severe hypoglycaemia"]
    assert _texts(doc, "POPULATION") == ["recipients"]


def test_vocabulary_preferred_keeps_the_kb_term_and_the_taggers_other_spans(doc):
    EntityResolver("vocabulary")(doc)
    assert _texts(doc, "OUTCOME") == ["severe hypoglycaemia"]
    assert _texts(doc, "POPULATION") == ["recipients"]  # overlaps no vocabulary span: stays
    assert "SC-islets" in _texts(doc, "CELL_TYPE")
    assert "10 of 12" in [n.text for n in doc.spans["numbers"]]


def test_an_unknown_preference_is_refused():
    with pytest.raises(ValueError, match="prefer must be one of"):
        EntityResolver("longest")
