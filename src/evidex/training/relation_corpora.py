"""Evidence Inference 2.0 as (intervention, comparator, outcome, abstract) -> direction examples,
for the relation classifier.

Data: `<data dir>/evidence_inference/` (see evidex.paths and that folder's README.md):
`prompts.jsonl.gz` (all prompts, with the v2.0 and pilot-run annotations), `labels_v1.jsonl.gz`
(the v1.0 labels recovered from the annotation app's raw outputs) and `abstracts.jsonl.gz`
(title + abstract = the full text's prefix, so full-text offsets below `len(abstract)` are
abstract offsets). `fulltexts.jsonl.gz` is never read.

Labels. Every prompt gets one 3-way label by majority vote (`aggregate`), counted per *voter*,
not per row: an annotator who cites several spans (several rows, always with the same label)
votes once, as does a v1 annotator who submitted a prompt twice, and the prompt generator, whose
prompt_gen.csv answer can be joined to a prompt several times. Voters are a
(source file, user id) pair for the rows of prompts.jsonl.gz, the annotator's name for v1
annotator rows, and one "generator" voter for the v1 prompt-generator rows. User "0" of the
released files is counted as the prompt generator (see V2_GENERATOR_USER); this matters only for
ties. Rows labelled "cannot tell based on the abstract" or "invalid prompt" are dropped (the
verifiers' valid_label/valid_reasoning columns of the v2 rows are not used). Ties, in this order:
  1. the label most voted by annotators alone (generator votes left out), among the tied labels
     (so a 1-1 tie between the generator and one annotator goes to the annotator);
  2. fixed order no_difference > increase > decrease (the corpus's most frequent label first).
The generator's label cannot break what rule 1 leaves tied: the generator's vote is already in
the count. `EIPrompt.tie_break` says which rule decided ("" when there was a strict majority).

The 94 pilot-run prompts are in both sources: the pilot rows of prompts.jsonl.gz and the
labels_v1 rows of the same prompt are the same judgments (for all 94, their label multisets are
identical; pilot user 0 answers like the generator). So when a prompt has v1 labels and both
sources are on, its pilot rows give evidence spans but no votes.

Evidence. Spans come from the rows whose label equals the final label. A row's span is used when
it lies wholly inside the abstract: v2/pilot rows by their offsets (always valid for v2 rows),
v1 rows by their offsets where evidence_start >= 0 (checked against the text). A row with no
usable offsets (-1, or a v1 offset that does not slice to its text) is located by an exact
search of its whitespace-collapsed, stripped text in the whitespace-collapsed abstract; it is
used only when found exactly once there (an ambiguous match is dropped). Rows whose offsets point
into the body are not searched for in the abstract. Spans are trimmed of edge whitespace,
de-duplicated, and a span strictly inside another is dropped; the rest are sorted.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence

from ..paths import data_dir
from ..schema import DECREASE, INCREASE, NO_DIFFERENCE
from .corpora import CorpusNotFound

CORPUS = "evidence_inference"
SPLITS = ("train", "validation", "test")
LABEL_SOURCES = ("v2", "v1")

LABEL_MAP = {
    "significantly increased": INCREASE,
    "significantly increase": INCREASE,  # raw spelling, normalised in prompts.jsonl.gz already
    "significantly decreased": DECREASE,
    "no significant difference": NO_DIFFERENCE,
}
# Last-resort tie order: the corpus's most frequent label first.
LABEL_PRIORITY = (NO_DIFFERENCE, INCREASE, DECREASE)

ANNOTATOR = "annotator"
GENERATOR = "generator"
PILOT_FILE = "additional_files/annotations_pilot_run.csv"
# In the released annotation files (v2 and pilot run) user "0" is taken to be the prompt's creator:
# in the pilot run its label equals the v1 generator label for all 94 prompts, and in
# v2_annotations.csv it labels 2,228 of the 2,444 prompts, each time next to one other user.
V2_GENERATOR_USER = "0"


@dataclass
class EIPrompt:
    prompt_id: str
    pmcid: str
    split: str
    subset: str
    intervention: str
    comparator: str
    outcome: str
    label: str                 # evidex direction: increase / decrease / no_difference
    n_votes: int               # voters who gave `label`
    abstract: str              # title + abstract, as in abstracts.jsonl.gz
    evidence: list[tuple[int, int]] = field(default_factory=list)   # offsets into `abstract`
    evidence_sentences: list[str] = field(default_factory=list)     # abstract[start:end] of each span
    n_total: int = 0           # voters with a 3-way label
    tie_break: str = ""        # "", "annotators" or "order": the rule that decided a tie
    prompt_source: str = ""    # doctor_generated / pilot_run / ev2_new

    @property
    def conflicting(self) -> bool:
        return self.n_votes < self.n_total

    @property
    def agreement(self) -> float:
        return self.n_votes / self.n_total if self.n_total else 0.0


@dataclass(frozen=True)
class Vote:
    """One annotation row reduced to what the vote needs."""
    voter: str                 # who: one vote per voter
    label: str                 # the raw corpus label (mapped with LABEL_MAP; others are ignored)
    role: str = ANNOTATOR      # ANNOTATOR or GENERATOR


@dataclass(frozen=True)
class Aggregate:
    label: str
    n_votes: int
    n_total: int
    tie_break: str
    counts: tuple[tuple[str, int], ...]   # (direction, voters), LABEL_PRIORITY order, zeros left out


def _top(counts: Counter, among: Iterable[str]) -> list[str]:
    among = list(among)
    best = max((counts[label] for label in among), default=0)
    return [label for label in among if counts[label] == best]


def aggregate(rows: Iterable[Vote]) -> Optional[Aggregate]:
    """The majority 3-way label of a prompt's annotation rows, or None when no row has one.

    A voter with several rows casts the label most of their rows give (no vote on a tie).
    Ties between labels: the annotators' majority among the tied labels, then LABEL_PRIORITY.
    (Preferring the generator's label next would never apply: all votes = annotator votes +
    generator votes, so labels still tied among annotators are tied among generators too.)"""
    per_voter: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for row in rows:
        direction = LABEL_MAP.get(row.label.strip().lower()) if row.label else None
        if direction is not None:
            per_voter[(row.role, row.voter)][direction] += 1
    votes: list[tuple[str, str]] = []  # (role, direction)
    for (role, _), labels in per_voter.items():
        top = _top(labels, LABEL_PRIORITY)
        if len(top) == 1:
            votes.append((role, top[0]))
    if not votes:
        return None
    counts = Counter(direction for _, direction in votes)
    tied = _top(counts, LABEL_PRIORITY)
    tie_break = ""
    if len(tied) > 1:
        annotators = Counter(d for role, d in votes if role == ANNOTATOR)
        tied = _top(annotators, tied)
        tie_break = "annotators" if len(tied) == 1 else "order"   # `tied` is in LABEL_PRIORITY order
    label = tied[0]
    return Aggregate(label, counts[label], len(votes), tie_break,
                     tuple((d, counts[d]) for d in LABEL_PRIORITY if counts[d]))


# --------------------------------------------------------------------------- evidence spans

_WS = re.compile(r"\s+")


def normalise_ws(text: str) -> str:
    """Whitespace runs collapsed to one space, ends stripped."""
    return _WS.sub(" ", text).strip()


class _Searchable:
    """A text with whitespace runs collapsed, mapped back to the original offsets."""

    def __init__(self, text: str):
        chars: list[str] = []
        index: list[int] = []
        for m in re.finditer(r"\s+|\S+", text):
            if m.group().isspace():
                if chars and chars[-1] != " ":
                    chars.append(" ")
                    index.append(m.start())
            else:
                chars.extend(m.group())
                index.extend(range(m.start(), m.end()))
        self.norm = "".join(chars)
        self.index = index

    def find_unique(self, needle: str) -> Optional[tuple[int, int]]:
        needle = normalise_ws(needle)
        if not needle:
            return None
        i = self.norm.find(needle)
        if i < 0 or self.norm.find(needle, i + 1) >= 0:
            return None
        return self.index[i], self.index[i + len(needle) - 1] + 1


def _span_in_abstract(abstract: str, text: str, start: Optional[int], end: Optional[int],
                      search: "_Searchable | None") -> Optional[tuple[int, int]]:
    """The row's evidence as offsets into the abstract, or None (see the module docstring)."""
    if not text or not text.strip():
        return None
    if start is not None and end is not None and start >= 0 and end > start:
        if end > len(abstract):
            return None  # anchored in the body
        if normalise_ws(abstract[start:end]) == normalise_ws(text):
            while start < end and abstract[start].isspace():
                start += 1
            while end > start and abstract[end - 1].isspace():
                end -= 1
            return start, end
    return search.find_unique(text) if search is not None else None


def _prune(spans: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans without duplicates and without spans strictly inside another."""
    return sorted(s for s in spans
                  if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans))


# --------------------------------------------------------------------------- loading


def _corpus_dir(root: Optional[Path]) -> Path:
    root = Path(root) if root is not None else data_dir()
    if root is None:
        raise CorpusNotFound("Evidence Inference not found: no data directory (set --data-dir or $EVIDEX_DATA "
                             "to the folder that holds evidence_inference/)")
    root = Path(root)
    return root if (root / "prompts.jsonl.gz").exists() else root / CORPUS


def _require(path: Path) -> Path:
    if not path.is_file():
        raise CorpusNotFound(f"Evidence Inference file {path.name} not found at {path}: set --data-dir or "
                             f"$EVIDEX_DATA to the folder that holds {CORPUS}/ (see README, 'Data')")
    return path


def _jsonl(path: Path) -> Iterator[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _int(value) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def evidence_inference(split: str, root: Optional[Path] = None, label_sources: Sequence[str] = LABEL_SOURCES,
                       in_abstract_only: bool = False) -> list[EIPrompt]:
    """The labelled prompts of one official split ("train", "validation", "test"), in file order.

    `label_sources`: "v2" = the annotations inside prompts.jsonl.gz (v2.0 + pilot run),
    "v1" = labels_v1.jsonl.gz (annotator and prompt-generator rows). Prompts left without a
    3-way label are dropped; with `in_abstract_only`, so are prompts with no evidence span in
    the abstract."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    unknown = set(label_sources) - set(LABEL_SOURCES)
    if unknown:
        raise ValueError(f"label_sources must be among {LABEL_SOURCES}, not {sorted(unknown)}")
    folder = _corpus_dir(root)
    prompts_path = _require(folder / "prompts.jsonl.gz")
    abstracts_path = _require(folder / "abstracts.jsonl.gz")
    labels_v1_path = _require(folder / "labels_v1.jsonl.gz") if "v1" in label_sources else None

    prompts = [p for p in _jsonl(prompts_path) if p.get("split") == split]
    wanted = {p["prompt_id"] for p in prompts}
    pmcids = {p["pmcid"] for p in prompts}

    v1_rows: dict[str, list[dict]] = defaultdict(list)
    if labels_v1_path is not None:
        for row in _jsonl(labels_v1_path):
            pid = row.get("prompt_id")
            if pid in wanted and row.get("in_prompts", True):
                v1_rows[pid].append(row)

    abstracts: dict[str, str] = {}
    for art in _jsonl(abstracts_path):
        if art["pmcid"] in pmcids:
            abstracts[art["pmcid"]] = art.get("abstract") or ""

    out: list[EIPrompt] = []
    for p in prompts:
        pid = p["prompt_id"]
        # (vote, counted in the vote?, evidence text, start, end)
        rows: list[tuple[Vote, bool, str, Optional[int], Optional[int]]] = []
        v1 = v1_rows.get(pid, [])
        has_v1_label = any(LABEL_MAP.get((r.get("label") or "").strip().lower()) for r in v1)
        if "v2" in label_sources:
            for a in p.get("annotations", []):
                src = a.get("source_file", "")
                user = str(a.get("user_id"))
                role = GENERATOR if user == V2_GENERATOR_USER else ANNOTATOR
                vote = Vote(f"{src}:{user}", a.get("label") or "", role)
                counted = not (src == PILOT_FILE and has_v1_label)  # same judgments as the v1 rows
                rows.append((vote, counted, a.get("evidence_text") or "", _int(a.get("evidence_start")),
                             _int(a.get("evidence_end"))))
        for r in v1:
            role = GENERATOR if r.get("role") == "prompt_generator" else ANNOTATOR
            voter = "v1:generator" if role == GENERATOR else f"v1:{r.get('annotator_id')}"
            rows.append((Vote(voter, r.get("label") or "", role), True, r.get("evidence_text") or "",
                         _int(r.get("evidence_start")), _int(r.get("evidence_end"))))

        agg = aggregate(vote for vote, counted, *_ in rows if counted)
        if agg is None:
            continue
        abstract = abstracts.get(p["pmcid"], "")
        search = _Searchable(abstract) if abstract else None
        spans: set[tuple[int, int]] = set()
        if abstract:
            for vote, _, text, start, end in rows:
                if LABEL_MAP.get(vote.label.strip().lower()) != agg.label:
                    continue
                span = _span_in_abstract(abstract, text, start, end, search)
                if span is not None:
                    spans.add(span)
        evidence = _prune(spans)
        if in_abstract_only and not evidence:
            continue
        out.append(EIPrompt(
            prompt_id=pid, pmcid=p["pmcid"], split=p["split"], subset=p.get("subset") or "",
            intervention=p.get("intervention", ""), comparator=p.get("comparator", ""),
            outcome=p.get("outcome", ""), label=agg.label, n_votes=agg.n_votes, abstract=abstract,
            evidence=evidence, evidence_sentences=[abstract[s:e] for s, e in evidence],
            n_total=agg.n_total, tie_break=agg.tie_break, prompt_source=p.get("prompt_source", "")))
    return out


# --------------------------------------------------------------------------- summary


def summary(prompts: Sequence[EIPrompt]) -> dict:
    return {
        "labelled": len(prompts),
        "labels": dict(Counter(p.label for p in prompts).most_common()),
        "evidence_in_abstract": sum(1 for p in prompts if p.evidence),
        "conflicting": sum(1 for p in prompts if p.conflicting),
        "tie_breaks": dict(Counter(p.tie_break for p in prompts if p.tie_break).most_common()),
        "by_subset": dict(Counter(p.subset for p in prompts).most_common()),
    }


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description="Evidence Inference 2.0 relation examples: counts per split")
    parser.add_argument("--data-dir", default=None, help="folder holding evidence_inference/ "
                        "(default: $EVIDEX_DATA, else ../shared/corpora)")
    parser.add_argument("--sources", default=",".join(LABEL_SOURCES), help="label sources, comma-separated (v2,v1)")
    args = parser.parse_args(argv)
    root = data_dir(args.data_dir)
    sources = tuple(s for s in args.sources.split(",") if s)
    for split in SPLITS:
        try:
            s = summary(evidence_inference(split, root, label_sources=sources))
        except CorpusNotFound as err:
            raise SystemExit(f"error: {err}")
        print(f"{split}: prompts labelled {s['labelled']}; labels {s['labels']}; "
              f"evidence in abstract {s['evidence_in_abstract']}; conflicting labels {s['conflicting']} "
              f"(tie-breaks {s['tie_breaks']}); subsets {s['by_subset']}")


if __name__ == "__main__":
    main()
