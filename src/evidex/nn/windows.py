"""Words <-> word pieces: alignment, overlapping windows for long texts, stitching, decoding.

A text longer than the encoder's limit is cut into windows of `max_length` word pieces that
overlap by `stride`; each word takes its prediction from the window in which it sits furthest
from an edge (most context on both sides). Decoding turns per-word O/B/I probabilities of one
type into valid spans (an I never starts a span after O: constrained Viterbi).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np


@dataclass
class Window:
    input_ids: list[int]
    word_ids: list[Optional[int]]  # per word piece: the word it belongs to (None for [CLS]/[SEP])


def make_windows(tokenizer, words: Sequence[str], max_length: int = 256, stride: int = 64) -> list[Window]:
    """The windows of one text (a list of words)."""
    return make_windows_batch(tokenizer, [words], max_length, stride)[0]


def make_windows_batch(tokenizer, texts: Sequence[Sequence[str]], max_length: int = 256,
                       stride: int = 64) -> list[list[Window]]:
    """The windows of many texts in one tokenizer call (the fast tokenizer encodes a batch in
    parallel, without Python work per text)."""
    result: list[list[Window]] = [[] for _ in texts]
    filled = [i for i, words in enumerate(texts) if words]
    if not filled:
        return result
    enc = tokenizer([list(texts[i]) for i in filled], is_split_into_words=True, truncation=True,
                    max_length=max_length, stride=stride, return_overflowing_tokens=True)
    for k, sample in enumerate(enc["overflow_to_sample_mapping"]):
        result[filled[sample]].append(Window(enc["input_ids"][k], enc.word_ids(k)))
    return result


def first_piece_positions(window: Window) -> dict[int, int]:
    """word index -> position of its first word piece in this window."""
    first: dict[int, int] = {}
    for pos, word in enumerate(window.word_ids):
        if word is not None and word not in first:
            first[word] = pos
    return first


def stitch(windows: list[Window], outputs: list[np.ndarray], n_words: int) -> np.ndarray:
    """Per-word outputs from per-window outputs [pieces, ...]: each word from its most central window.
    Words the tokenizer dropped (no word piece) get zeros."""
    result = None
    best = np.full(n_words, -1)
    for window, out in zip(windows, outputs):
        if result is None:
            result = np.zeros((n_words,) + out.shape[1:], dtype=out.dtype)
        length = len(window.word_ids)
        for word, pos in first_piece_positions(window).items():
            centrality = min(pos, length - 1 - pos)
            if centrality > best[word]:
                best[word] = centrality
                result[word] = out[pos]
    if result is None:
        return np.zeros((n_words, 0))
    return result


def viterbi_bio_types(probs: np.ndarray) -> np.ndarray:
    """Most probable O/B/I codes [words, types] for probs [words, types, 3], every type at once,
    where no sequence starts with I nor has O -> I (the only forbidden move: O/B/I reach O and B
    from anything, I only from B or I)."""
    n, k = probs.shape[:2]
    if n == 0:
        return np.zeros((0, k), dtype=int)
    # transitions score 0 or -inf, so where the word-by-word argmax is a valid sequence it is the
    # best one: search only the types whose argmax breaks the rule (few do)
    greedy = probs.argmax(axis=2)
    broken = (greedy[0] == 2) | ((greedy[1:] == 2) & (greedy[:-1] == 0)).any(axis=0)
    if not broken.any():
        return greedy
    if not broken.all():
        greedy[:, broken] = viterbi_bio_types(probs[:, broken])
        return greedy
    logp = np.log(np.clip(probs, 1e-9, 1.0))
    rows = np.arange(k)
    score = logp[0].copy()
    score[:, 2] = -np.inf
    back = np.zeros((n, k, 3), dtype=np.int8)
    for t in range(1, n):
        best_any = score.argmax(axis=1)  # into O or B
        best_bi = 1 + score[:, 1:].argmax(axis=1)  # into I
        back[t, :, 0] = back[t, :, 1] = best_any
        back[t, :, 2] = best_bi
        any_score, bi_score = score[rows, best_any], score[rows, best_bi]
        score = np.stack([any_score, any_score, bi_score], axis=1) + logp[t]
    path = np.zeros((n, k), dtype=int)
    path[-1] = score.argmax(axis=1)
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, rows, path[t]]
    return path


def viterbi_bio(probs: np.ndarray) -> list[int]:
    """Most probable O/B/I sequence (probs [words, 3]) that never starts with I nor has O -> I."""
    return [int(x) for x in viterbi_bio_types(np.asarray(probs)[:, None, :])[:, 0]]


def spans_from_tags(tags: Sequence[int]) -> list[tuple[int, int]]:
    """(start, end) word spans, end exclusive, from O/B/I codes (0/1/2)."""
    spans, start = [], None
    for i, tag in enumerate(tags):
        if tag == 1 or (tag == 2 and start is None):
            if start is not None:
                spans.append((start, i))
            start = i
        elif tag == 0 and start is not None:
            spans.append((start, i))
            start = None
    if start is not None:
        spans.append((start, len(tags)))
    return spans


def decode(probs: np.ndarray, types: Sequence[str]) -> list[tuple[int, int, str, float]]:
    """Spans (start, end, type, confidence) from per-word probabilities [words, types, 3].
    Confidence = mean probability that the span's words are inside an entity of that type."""
    found = []
    tags = viterbi_bio_types(probs)
    for t, name in enumerate(types):
        p = probs[:, t, :]
        for start, end in spans_from_tags(tags[:, t]):
            found.append((start, end, name, float(1.0 - p[start:end, 0].mean())))
    return found


_EDGE_PUNCT = set(".,;:!?-–—/'\"")
_BRACKETS = {"(": ")", "[": "]", "{": "}"}


def trim(words: Sequence[str], start: int, end: int) -> tuple[int, int]:
    """Shrink a word span past punctuation at its edges ("infusions ." -> "infusions") and past
    brackets that do not close inside it; (start, start) when nothing is left."""
    def unbalanced_open(i: int) -> bool:
        return words[i] in _BRACKETS and _BRACKETS[words[i]] not in words[i + 1:end]

    def unbalanced_close(i: int) -> bool:
        return words[i] in _BRACKETS.values() and not any(words[j] in _BRACKETS for j in range(start, i))

    changed = True
    while changed and start < end:
        changed = False
        if words[start] in _EDGE_PUNCT or not words[start].strip() or unbalanced_open(start) or unbalanced_close(start):
            start, changed = start + 1, True
        elif words[end - 1] in _EDGE_PUNCT or not words[end - 1].strip() or unbalanced_open(end - 1) or unbalanced_close(end - 1):
            end, changed = end - 1, True
    if not any(ch.isalnum() for w in words[start:end] for ch in w):
        return start, start
    return start, end
