"""Entity markers: the relation classifier is shown which words of the sentence are the pair's
outcome and therapy, "@ HbA1c @ fell more with # SC-islets # than ...", so that a sentence
naming several outcomes is read about the one asked for.

The marks are plain punctuation the base encoder's vocabulary already holds (no new embeddings
to learn); the classifier pools the hidden states at the opening marks (see `pair_classifier`).

- `mark(sentence, outcome, therapy)`: the sentence with marks around two character spans.
- `find_mention(sentence, phrase)`: where a prompt's phrase ("mortality at 30 days") is named in
  a sentence ("30-day mortality"), for corpora whose prompts are free text (Evidence Inference).
"""

from __future__ import annotations

import re
from typing import Optional

OUTCOME_MARK = "@"
THERAPY_MARK = "#"
MARKS = (OUTCOME_MARK, THERAPY_MARK)

Span = Optional[tuple[int, int]]

_WORD = re.compile(r"[A-Za-z0-9]+")
# words that name nothing in particular: a phrase is found by its other words
_STOP = {
    "the", "and", "for", "with", "from", "that", "this", "than", "into", "onto", "per", "after", "before", "during",
    "versus", "between", "among", "within", "without", "other", "each", "all", "any", "its", "their", "was", "were",
    "are", "has", "had", "have", "been", "not", "use", "used", "using", "patients", "patient", "group", "groups",
    "arm", "arms", "treatment", "treated", "therapy", "subjects", "participants", "compared", "comparison", "total",
    "number", "rate", "rates", "level", "levels", "mean", "change", "changes", "score", "scores", "baseline",
    # a prompt's time point is not the outcome's name ("fentanyl dose after 1 month")
    "hour", "hours", "day", "days", "week", "weeks", "month", "months", "year", "years", "follow", "end",
}


def mark(sentence: str, outcome: Span = None, therapy: Span = None) -> str:
    """The sentence with "@ … @" around `outcome` and "# … #" around `therapy` (character spans
    into `sentence`); a therapy span that overlaps the outcome's is left unmarked."""
    spans = []
    if outcome is not None and 0 <= outcome[0] < outcome[1] <= len(sentence):
        spans.append((outcome, OUTCOME_MARK))
    if therapy is not None and 0 <= therapy[0] < therapy[1] <= len(sentence) and not (
            outcome is not None and therapy[0] < outcome[1] and outcome[0] < therapy[1]):
        spans.append((therapy, THERAPY_MARK))
    out = sentence
    for (start, end), m in sorted(spans, key=lambda x: -x[0][0]):  # from the end: earlier offsets hold
        out = f"{out[:start]}{m} {out[start:end]} {m}{out[end:]}"
    return out


def _key(word: str) -> str:
    return word.lower()[:5]


def find_mention(sentence: str, phrase: str, max_gap: int = 3) -> Span:
    """The character span of `sentence` that names `phrase`: an exact (case-blind) occurrence,
    else the tightest run of the sentence's words that holds most of the phrase's content words
    (compared by their first five letters, so "transplanted" finds "transplantation"), at least
    half of them; None when the sentence does not name it."""
    if not phrase.strip():
        return None
    at = sentence.lower().find(phrase.lower().strip())
    if at >= 0:
        return at, at + len(phrase.strip())
    wanted = {_key(w) for w in _WORD.findall(phrase) if len(w) > 2 and w.lower() not in _STOP and not w.isdigit()}
    if not wanted:
        return None
    words = [(m.start(), m.end(), _key(m.group())) for m in _WORD.finditer(sentence)]
    hits = [i for i, w in enumerate(words) if w[2] in wanted]
    best, best_found = None, 0
    run: list[int] = []
    for i in hits + [None]:
        if i is not None and (not run or i - run[-1] <= max_gap):
            run.append(i)
            continue
        if run:
            found = len({words[k][2] for k in run})
            if found > best_found:
                best, best_found = (words[run[0]][0], words[run[-1]][1]), found
        run = [i] if i is not None else []
    if best is None or best_found * 2 < len(wanted):
        return None
    return best


def mark_phrases(sentence: str, outcome: str, therapy: str) -> str:
    """`mark` with the spans found for free-text phrases (Evidence Inference's prompts)."""
    return mark(sentence, find_mention(sentence, outcome), find_mention(sentence, therapy))
