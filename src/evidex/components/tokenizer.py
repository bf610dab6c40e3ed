"""scispaCy's rule tokenizer, registered so the pipeline config can name it."""

from __future__ import annotations

import warnings

import spacy
from spacy.language import Language


@spacy.registry.tokenizers("evidex.scispacy_tokenizer.v1")
def create_scispacy_tokenizer():
    def make(nlp: Language):
        from scispacy.custom_tokenizer import combined_rule_tokenizer

        if not hasattr(nlp, "tokenizer"):
            # scispaCy copies token_match/url_match from the language's default tokenizer
            nlp.tokenizer = spacy.registry.tokenizers.get("spacy.Tokenizer.v1")()(nlp)
        with warnings.catch_warnings():  # scispaCy's prefix regex trips a harmless FutureWarning
            warnings.simplefilter("ignore", FutureWarning)
            return combined_rule_tokenizer(nlp)

    return make
