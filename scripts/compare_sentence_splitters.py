"""Compare sentence splitters on gold sentence boundaries in biomedical abstracts.

Measures, for evidex's `evidex_sentences` component, scispaCy's `pysbd_sentencizer` and spaCy's
rule `sentencizer` (all three on the same scispaCy tokenisation):

* boundary precision / recall / F1: a boundary is the character offset where a sentence after the
  first one starts (its first non-whitespace character), compared with the gold offsets;
* the share of abstracts whose boundaries are all exactly right;
* speed: abstracts per second, tokenisation included (timed on a second pass over the texts, so
  every splitter sees the shared tokenizer's cache warm).

Gold data (from --data-dir, default $EVIDEX_DATA or ../shared/corpora):

* jnlpba: the JNLPBA/GENIA test set's original, hand-checked sentence split
  (iob/test_with_abstract_ids.iob2.gz) aligned to the abstract texts in standoff/test/<id>.txt;
  abstracts whose tokens cannot be aligned to the text are skipped and counted.
* pubmed_rct: structured abstracts whose sentences were split by a regex ("[.!?] + capital"), so
  a WEAKER gold (wrong splits after "vs.", "et al.", ...); each abstract is its sentences joined
  by one space.

    python scripts/compare_sentence_splitters.py [--limit 400] [--examples 10]
"""

from __future__ import annotations

import argparse
import gzip
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional

import spacy
from spacy.tokens import Doc

JNLPBA_IOB = Path("jnlpba/iob/test_with_abstract_ids.iob2.gz")
JNLPBA_TEXT_DIR = Path("jnlpba/standoff/test")
PUBMED_RCT = Path("pubmed_rct/structured_abstract_sentences.txt.gz")
# the standoff text has `"` where the IOB tokens have `` or ''
QUOTE_TOKENS = {"``", "''"}
# the standoff text has a few extra periods the IOB tokens lack: at most this many before a token
MAX_EXTRA_PERIODS = 1

Splitter = Callable[[str], Doc]


@dataclass(frozen=True)
class GoldDoc:
    corpus: str
    doc_id: str
    text: str
    boundaries: frozenset[int]


@dataclass
class Counts:
    docs: int = 0
    exact_docs: int = 0
    gold: int = 0
    predicted: int = 0
    correct: int = 0
    seconds: float = 0.0

    def add(self, other: "Counts") -> None:
        for field in ("docs", "exact_docs", "gold", "predicted", "correct", "seconds"):
            setattr(self, field, getattr(self, field) + getattr(other, field))

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def docs_per_second(self) -> float:
        return self.docs / self.seconds if self.seconds else float("inf")


# --------------------------------------------------------------------------- gold data


def resolve_data_dir(option: Optional[str]) -> Path:
    """The corpora folder (evidex's rule: --data-dir, else $EVIDEX_DATA, else ../shared/corpora).

    Exits with a message when it, or a gold file in it, is missing.
    """
    from evidex.paths import data_dir

    root = data_dir(option)
    if root is None:
        sys.exit("error: no data directory: pass --data-dir or set EVIDEX_DATA "
                 "(the default ../shared/corpora next to the checkout does not exist).")
    missing = [p for p in (JNLPBA_IOB, JNLPBA_TEXT_DIR, PUBMED_RCT) if not (root / p).exists()]
    if missing:
        sys.exit(
            f"error: gold data not found under {root} (missing: {', '.join(map(str, missing))}).\n"
            "Point --data-dir or EVIDEX_DATA at the folder holding jnlpba/ and pubmed_rct/."
        )
    return root


def read_iob_abstracts(path: Path) -> Iterator[tuple[str, list[list[str]]]]:
    """(MEDLINE id, sentences as token lists) per abstract of a `###MEDLINE:<id>` IOB2 file."""
    doc_id: Optional[str] = None
    sentences: list[list[str]] = []
    current: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("###MEDLINE:"):
                if current:
                    sentences.append(current)
                if doc_id is not None:
                    yield doc_id, sentences
                doc_id, sentences, current = line.split(":", 1)[1].strip(), [], []
            elif not line.strip():
                if current:
                    sentences.append(current)
                current = []
            else:
                current.append(line.split("\t")[0])
    if current:
        sentences.append(current)
    if doc_id is not None:
        yield doc_id, sentences


def align_tokens(tokens: list[str], text: str) -> Optional[list[int]]:
    """Start offset in `text` of each token (tokens appear in order), or None if they do not align.

    Tolerates the known differences between the IOB tokens and the standoff text: `` and '' for
    `"`, whitespace inside a token ("0. 67" for "0.67"), a few periods the tokens lack, a period
    token the text lacks, and ":" for a heading's "." ("OBJECTIVE:" for "OBJECTIVE .").
    """
    offsets = []
    pos = 0
    for token in tokens:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if token in QUOTE_TOKENS and text.startswith('"', pos):
            token = '"'
        if token == "." and pos < len(text) and text[pos] == ":":
            token = ":"
        start = None
        for char in token:
            extra_periods = 0
            while pos < len(text) and text[pos] != char:
                if text[pos].isspace():
                    pos += 1
                elif start is None and text[pos] == "." and extra_periods < MAX_EXTRA_PERIODS:
                    pos, extra_periods = pos + 1, extra_periods + 1
                else:
                    break
            if pos >= len(text) or text[pos] != char:
                if token == ".":  # a period token the text lacks
                    break
                return None
            if start is None:
                start = pos
            pos += 1
        offsets.append(start if start is not None else pos)
    if any(c.isalnum() for c in text[pos:]):
        return None  # text left over that no token covers
    return offsets


def jnlpba_doc(doc_id: str, sentences: list[list[str]], text: str) -> Optional[GoldDoc]:
    """A GoldDoc from one abstract's IOB sentences aligned to its text, or None if alignment fails."""
    tokens = [t for sentence in sentences for t in sentence]
    offsets = align_tokens(tokens, text)
    if offsets is None:
        return None
    starts, i = [], 0
    for sentence in sentences:
        starts.append(offsets[i])
        i += len(sentence)
    return GoldDoc("jnlpba", doc_id, text, frozenset(starts[1:]))


def load_jnlpba(data_dir: Path, limit: int) -> tuple[list[GoldDoc], list[str]]:
    """Up to `limit` aligned JNLPBA test abstracts, and the ids of those skipped (alignment failed)."""
    docs, skipped, seen = [], [], set()
    for doc_id, sentences in read_iob_abstracts(data_dir / JNLPBA_IOB):
        if len(docs) >= limit:
            break
        file_id = f"{doc_id}-2" if doc_id in seen else doc_id  # two abstracts appear twice
        seen.add(doc_id)
        text_path = data_dir / JNLPBA_TEXT_DIR / f"{file_id}.txt"
        doc = jnlpba_doc(file_id, sentences, text_path.read_text(encoding="utf-8")) if text_path.exists() else None
        if doc is None:
            skipped.append(file_id)
        else:
            docs.append(doc)
    return docs, skipped


def read_pubmed_rct(path: Path) -> Iterator[tuple[str, list[str]]]:
    """(PMID, sentences) per abstract of a PubMed-RCT-format file (`###<id>`, then `LABEL<TAB>sentence`)."""
    doc_id: Optional[str] = None
    sentences: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("###"):
                if doc_id is not None and sentences:
                    yield doc_id, sentences
                doc_id, sentences = line[3:].strip(), []
            elif "\t" in line and line.split("\t", 1)[1].strip():
                sentences.append(line.split("\t", 1)[1].strip())
    if doc_id is not None and sentences:
        yield doc_id, sentences


def pubmed_rct_doc(doc_id: str, sentences: list[str]) -> GoldDoc:
    """A GoldDoc whose text is the sentences joined by one space."""
    starts, pos = [], 0
    for sentence in sentences:
        starts.append(pos)
        pos += len(sentence) + 1
    return GoldDoc("pubmed_rct", doc_id, " ".join(sentences), frozenset(starts[1:]))


def load_pubmed_rct(data_dir: Path, limit: int) -> list[GoldDoc]:
    """Up to `limit` abstracts of the regex-split structured-abstract corpus."""
    docs = []
    for doc_id, sentences in read_pubmed_rct(data_dir / PUBMED_RCT):
        if len(docs) >= limit:
            break
        docs.append(pubmed_rct_doc(doc_id, sentences))
    return docs


# --------------------------------------------------------------------------- splitters


def build_splitters() -> dict[str, Splitter]:
    """name -> text-to-Doc function; all share evidex's (scispaCy) tokenizer and vocab."""
    import evidex
    import scispacy.custom_sentence_segmenter  # noqa: F401  (registers "pysbd_sentencizer")

    nlp = evidex.load()
    evidex_sentences = nlp.get_pipe("sentences")

    def with_pipe(factory: str) -> spacy.Language:
        blank = spacy.blank("en", vocab=nlp.vocab)
        blank.tokenizer = nlp.tokenizer
        blank.add_pipe(factory)
        return blank

    return {
        "evidex_sentences": lambda text: evidex_sentences(nlp.make_doc(text)),
        "pysbd_sentencizer": with_pipe("pysbd_sentencizer"),
        "spacy sentencizer": with_pipe("sentencizer"),
    }


def sentence_starts(doc: Doc) -> frozenset[int]:
    """Offsets of the first non-whitespace character of each sentence but the first."""
    starts = []
    for sent in doc.sents:
        stripped = len(sent.text) - len(sent.text.lstrip())
        if stripped < len(sent.text):  # whitespace-only "sentences" mark no boundary
            starts.append(sent.start_char + stripped)
    return frozenset(sorted(starts)[1:])


def run_splitter(split: Splitter, texts: list[str]) -> tuple[list[Doc], float]:
    """The split Docs of `texts` and the seconds a second pass took.

    The first, untimed pass warms the shared tokenizer's cache, so that no splitter gains from
    running after another one over the same texts.
    """
    for text in texts:
        split(text)
    start = time.perf_counter()
    docs = [split(text) for text in texts]
    return docs, time.perf_counter() - start


def check_same_tokenisation(results: dict[str, list[Doc]]) -> None:
    """Exit if two splitters tokenised some text differently (the comparison would be unfair)."""
    names = list(results)
    for i, docs in enumerate(zip(*results.values())):
        tokenisations = {tuple(t.idx for t in doc) for doc in docs}
        if len(tokenisations) > 1:
            sys.exit(f"error: splitters {names} tokenised text #{i} differently")


# --------------------------------------------------------------------------- scoring and report


def score(gold: list[GoldDoc], predicted: list[frozenset[int]], seconds: float) -> Counts:
    """Boundary counts of one splitter on one corpus."""
    counts = Counts(docs=len(gold), seconds=seconds)
    for doc, pred in zip(gold, predicted):
        counts.gold += len(doc.boundaries)
        counts.predicted += len(pred)
        counts.correct += len(doc.boundaries & pred)
        counts.exact_docs += doc.boundaries == pred
    return counts


def format_table(title: str, rows: dict[str, Counts]) -> str:
    """A plain-text table of P/R/F1, exact abstracts and speed, one row per splitter."""
    header = f"{'splitter':<20}{'docs':>6}{'gold':>7}{'pred':>7}{'P':>8}{'R':>8}{'F1':>8}{'exact':>8}{'abs/s':>9}"
    lines = [title, header, "-" * len(header)]
    for name, c in rows.items():
        lines.append(
            f"{name:<20}{c.docs:>6}{c.gold:>7}{c.predicted:>7}{100 * c.precision:>7.2f}%{100 * c.recall:>7.2f}%"
            f"{100 * c.f1:>7.2f}%{100 * c.exact_docs / max(c.docs, 1):>7.1f}%{c.docs_per_second:>9.1f}"
        )
    return "\n".join(lines)


def context(text: str, offset: int, width: int = 45) -> str:
    """Text around `offset`, with the boundary marked ` || `, on one line."""
    left = text[max(0, offset - width):offset].replace("\n", "\\n")
    right = text[offset:offset + width].replace("\n", "\\n")
    return f"...{left} || {right}..."


def format_examples(name: str, gold: list[GoldDoc], predicted: list[frozenset[int]], n: int, seed: int = 0) -> str:
    """Up to n sampled wrong (predicted, not gold) and n missed (gold, not predicted) boundaries."""
    wrong = [(d, o) for d, p in zip(gold, predicted) for o in sorted(p - d.boundaries)]
    missed = [(d, o) for d, p in zip(gold, predicted) for o in sorted(d.boundaries - p)]
    rng = random.Random(seed)
    lines = []
    for label, errors in (("wrong (not in gold)", wrong), ("missed (gold, not predicted)", missed)):
        lines.append(f"  {name} {label}: {len(errors)}")
        for doc, offset in sorted(rng.sample(errors, min(n, len(errors))), key=lambda e: (e[0].doc_id, e[1])):
            lines.append(f"    [{doc.doc_id}@{offset}] {context(doc.text, offset)}")
    return "\n".join(lines)


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", help="corpora folder (default: $EVIDEX_DATA or ../shared/corpora)")
    parser.add_argument("--limit", type=int, default=400, help="abstracts per corpus (default: 400)")
    parser.add_argument("--examples", type=int, default=0, metavar="N",
                        help="print N sampled wrong and N missed boundaries per corpus (default: 0)")
    parser.add_argument("--examples-for", default="evidex_sentences",
                        help="splitter whose errors --examples prints (default: evidex_sentences)")
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)
    jnlpba, skipped = load_jnlpba(data_dir, args.limit)
    corpora = {"jnlpba": jnlpba, "pubmed_rct": load_pubmed_rct(data_dir, args.limit)}
    splitters = build_splitters()
    if args.examples and args.examples_for not in splitters:
        sys.exit(f"error: --examples-for must be one of {list(splitters)}")

    print(f"data: {data_dir}")
    print(f"jnlpba: {len(jnlpba)} abstracts aligned, {len(skipped)} skipped (alignment failed)"
          + (f": {', '.join(skipped)}" if skipped else ""))
    print(f"pubmed_rct: {len(corpora['pubmed_rct'])} abstracts\n")

    totals = {name: Counts() for name in splitters}
    per_corpus: dict[str, dict[str, Counts]] = {}
    examples = []
    for corpus, gold in corpora.items():
        texts = [doc.text for doc in gold]
        results, per_corpus[corpus] = {}, {}
        for name, split in splitters.items():
            docs, seconds = run_splitter(split, texts)
            results[name] = docs
            predicted = [sentence_starts(doc) for doc in docs]
            per_corpus[corpus][name] = score(gold, predicted, seconds)
            totals[name].add(per_corpus[corpus][name])
            if args.examples and name == args.examples_for:
                examples.append(f"{corpus}:\n" + format_examples(name, gold, predicted, args.examples))
        check_same_tokenisation(results)

    print(format_table("ALL CORPORA (boundary P/R/F1 micro-averaged; speed includes tokenisation)", totals))
    titles = {
        "jnlpba": "jnlpba: GENIA/JNLPBA test, original hand-checked sentence split",
        "pubmed_rct": "pubmed_rct: WEAKER gold (sentences split by a regex, '[.!?] + capital')",
    }
    for corpus, rows in per_corpus.items():
        print()
        print(format_table(titles[corpus], rows))
    if examples:
        print(f"\nERROR EXAMPLES ({args.examples_for}; ' || ' marks the boundary)")
        print("\n".join(examples))


if __name__ == "__main__":
    main()
