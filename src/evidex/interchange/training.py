"""BioC / PubTator annotations -> the tagger's training JSONL (README, "Fine-tuning the tagger").

Each document becomes `{"id", "text", "entities": [{"start", "end", "label"}], "types": [...]}`.
Labels are mapped onto the tagger's types (POPULATION, INTERVENTION, OUTCOME, CELL_TYPE,
CELL_LINE); evidex's number labels are not tagger types and are counted as left out; any other
label must be mapped or dropped by name, so that no annotation vanishes unnoticed. `types`
says which labels the corpus annotates (the loss ignores the others): by default every tagger
type that occurs anywhere in the input, since an annotator marks a type in every document,
also those that happen to have no mention of it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence

from ..schema import NUMBER_LABELS
from ..training.corpora import TAGGER_TYPES
from .document import AnnotatedDocument


@dataclass
class ImportReport:
    documents: int = 0
    entities: Counter = field(default_factory=Counter)  # target label -> count
    left_out: Counter = field(default_factory=Counter)  # source label -> count (numbers, dropped)
    types: tuple[str, ...] = ()


class UnmappedLabels(ValueError):
    pass


def _mapping(labels: Optional[dict[str, str]]) -> dict[str, str]:
    mapping = {t.lower(): t for t in TAGGER_TYPES}
    for source, target in (labels or {}).items():
        if target.upper() not in TAGGER_TYPES:
            raise ValueError(f"--label {source}={target}: {target!r} is not a tagger type ({', '.join(TAGGER_TYPES)})")
        mapping[source.lower()] = target.upper()
    return mapping


def training_examples(docs: Iterable[AnnotatedDocument], labels: Optional[dict[str, str]] = None,
                      drop: Sequence[str] = (), types: Optional[Sequence[str]] = None) -> tuple[list[dict], ImportReport]:
    """Training objects for `docs` and a report of what was kept and left out.
    Raises UnmappedLabels naming every label that is neither a tagger type, mapped, nor dropped."""
    mapping = _mapping(labels)
    dropped = {d.lower() for d in drop} | {n.lower() for n in NUMBER_LABELS}
    report, unmapped, examples = ImportReport(), Counter(), []
    for doc in docs:
        report.documents += 1
        entities = set()
        for a in doc.entities:
            target = mapping.get(a.label.lower())
            if target is not None:
                entities.add((a.start, a.end, target))
            elif a.label.lower() in dropped:
                report.left_out[a.label] += 1
            else:
                unmapped[a.label] += 1
        for *_, label in entities:
            report.entities[label] += 1
        examples.append({"id": doc.id, "text": doc.text,
                         "entities": [{"start": s, "end": e, "label": lab} for s, e, lab in sorted(entities)]})
    if unmapped:
        listed = ", ".join(f"{label} ({n})" for label, n in unmapped.most_common())
        raise UnmappedLabels(f"labels that are not tagger types: {listed}; map each with --label TYPE=LABEL "
                             f"(LABEL one of {', '.join(TAGGER_TYPES)}) or leave it out with --drop TYPE")
    if types:
        bad = [t for t in types if t.upper() not in TAGGER_TYPES]
        if bad:
            raise ValueError(f"--types {', '.join(bad)}: not tagger types ({', '.join(TAGGER_TYPES)})")
        chosen = tuple(t.upper() for t in types)
    else:
        chosen = tuple(t for t in TAGGER_TYPES if report.entities[t])
    report.types = chosen
    for example in examples:
        kept = [e for e in example["entities"] if e["label"] in chosen]
        for e in example["entities"]:
            if e["label"] not in chosen:  # a type left out of --types: counted, not silently ignored
                report.left_out[e["label"]] += 1
                report.entities[e["label"]] -= 1
        example["entities"], example["types"] = kept, list(chosen)
    report.entities = +report.entities
    return examples, report


def write_jsonl(path: Path, examples: Iterable[dict]) -> int:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for example in examples:
            fh.write(json.dumps(example, ensure_ascii=False) + "\n")
            n += 1
    return n
