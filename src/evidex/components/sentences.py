"""Sentence boundaries for abstracts: a fast rule splitter that knows biomedical writing.

Splits after `.`, `?`, `!` (also a full stop glued to a token, "nmol/L.") when the next token
can start a sentence, never inside brackets and never after abbreviations such as "et al.",
"vs.", "e.g.", "Fig."; always splits at line breaks (title / abstract / section boundaries).
`scripts/compare_sentence_splitters.py` measures it against scispaCy's pysbd sentencizer and
spaCy's sentencizer on gold sentence boundaries.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span

# Matched as written: "No." and "Dr." are abbreviations, "no." and "MS." end sentences.
DEFAULT_ABBREVIATIONS = (
    "al", "vs", "e.g", "i.e", "eg", "ie", "approx", "ca", "cf", "etc", "resp", "incl", "sp", "spp",
    "var", "fig", "figs", "ref", "refs", "Fig", "Figs", "Ref", "Refs", "No", "Nos", "Vol", "Dr", "Drs",
    "Mr", "Mrs", "Ms", "Prof", "St", "Inc", "Ltd", "Co", "Corp", "Dept", "Univ", "Jan", "Feb", "Mar",
    "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "Eq", "Eqs", "eqn", "Vs", "E.g", "I.e",
)
_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {")", "]", "}"}
_ENDERS = {".", "?", "!"}


@Language.factory(
    "evidex_sentences",
    default_config={"abbreviations": list(DEFAULT_ABBREVIATIONS), "max_bracket_tokens": 60},
)
def make_sentences(nlp: Language, name: str, abbreviations: Iterable[str], max_bracket_tokens: int):
    return AbstractSentencizer(abbreviations, max_bracket_tokens)


class AbstractSentencizer:
    def __init__(self, abbreviations: Iterable[str], max_bracket_tokens: int = 60):
        self.abbreviations = {a.rstrip(".") for a in abbreviations}
        # an unclosed "(" must not swallow the rest of the abstract
        self.max_bracket_tokens = max_bracket_tokens

    def _ends_sentence(self, doc: Doc, i: int) -> bool:
        tok = doc[i]
        text = tok.text
        if text in _ENDERS or text.endswith("..."):
            prev = doc[i - 1].text.rstrip(".") if i > 0 else ""
            if text == "." and prev in self.abbreviations and doc[i - 1].whitespace_ == "":
                return False
        elif len(text) > 1 and text.endswith(".") and text[-2] not in "." :
            stem = text[:-1]
            if stem in self.abbreviations or stem.replace(".", "") in self.abbreviations:
                return False
            if len(stem) == 1 and stem.isupper() and self._initial(doc, i):  # "M. D. Anderson"
                return False
            if "." in stem and stem.replace(".", "").isalpha() and len(stem) <= 5:  # "e.g.", "i.v."
                return False
        else:
            return False
        nxt = doc[i + 1] if i + 1 < len(doc) else None
        if nxt is None:
            return False
        if nxt.is_space:
            return True
        if not tok.whitespace_ and text in _ENDERS:
            return False  # "3.5" split oddly, "U.S.A"
        first = nxt.text[0]
        if first.isupper() or first.isdigit() or first in "([\"'“‘" or nxt.is_quote:
            return True
        # gene and protein names start sentences in lower case: "gp34", "c-Jun", "sIg-induced"
        return text == "." and any(ch.isupper() or ch.isdigit() for ch in nxt.text[1:])

    @staticmethod
    def _initial(doc: Doc, i: int) -> bool:
        """A lone capital with a full stop is an initial only beside another initial."""
        def is_initial(j: int) -> bool:
            return 0 <= j < len(doc) and len(doc[j].text) == 2 and doc[j].text[0].isupper() and doc[j].text[1] == "."
        return is_initial(i - 1) or is_initial(i + 1)

    def __call__(self, doc: Doc) -> Doc:
        if len(doc) == 0:
            return doc
        starts = [False] * len(doc)
        starts[0] = True
        stack: list[tuple[str, int]] = []
        for i, tok in enumerate(doc):
            text = tok.text
            if tok.is_space and "\n" in text:
                stack.clear()
                if i + 1 < len(doc):
                    starts[i + 1] = True
                continue
            for ch in text:  # brackets glued to other characters count too: "8)", "):"
                if ch in _OPEN:
                    stack.append((_OPEN[ch], i))
                elif ch in _CLOSE and stack and stack[-1][0] == ch:
                    stack.pop()
            if stack and i - stack[-1][1] > self.max_bracket_tokens:
                stack.clear()
            if not stack and i + 1 < len(doc) and self._ends_sentence(doc, i):
                j = i + 1
                # closing quotes/brackets after the full stop stay with this sentence
                while j < len(doc) and (doc[j].text in _CLOSE or doc[j].is_quote) and doc[j - 1].whitespace_ == "":
                    j += 1
                if j < len(doc):
                    starts[j] = True
        # one array write: setting token.is_sent_start one token at a time checks the whole
        # doc's annotation each time (a fifth of this component's time)
        doc.from_array([SENT_START], np.where(starts, 1, -1).astype("int64").astype("uint64").reshape(-1, 1))
        return doc


def sentences(doc: Doc) -> list[Span]:
    """The document's sentences, from its sentence starts in one array read (`doc.sents` visits
    every token as a Python object, each time it is asked); the whole doc when none are set."""
    if not len(doc):
        return []
    if not doc.has_annotation("SENT_START"):
        return [doc[:]]
    starts = np.flatnonzero(doc.to_array(SENT_START).astype("int64") == 1).tolist()
    if not starts or starts[0] != 0:
        starts = [0] + starts
    return [doc[a:b] for a, b in zip(starts, starts[1:] + [len(doc)])]
