"""Evidence tables -> what the report shows. Everything is counted here, in Python, so the page
only draws: the evidence map's counts, the plots' numbers, and the detail rows in a compact,
column-wise form that the page lists one page at a time.

The map's rows are therapies: a row's intervention id, else its cell-type id (knowledge-base ids,
labelled with the KB's names); rows whose therapy has no id are grouped as "not linked", rows
with no therapy as "not stated". Its columns are outcome classes (`outcome_id`), likewise.
Counts are kept per study design and organism, which are properties of a document, so the page
can add them up under any filter and still count each document once.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any, Optional

from ..kb import KnowledgeBase
from ..schema import CELL_TYPE, DIRECTIONS, ORGANISMS, STUDY_DESIGNS

NOT_LINKED = "~not-linked"
NOT_STATED = "~not-stated"
# Highlight kinds in a finding's sentence, in the order they claim text.
MARK_KINDS = ("outcome", "therapy", "value", "timepoint", "p_value", "sample_size")
SAMPLE_BINS = ((1, 1, "1"), (2, 9, "2–9"), (10, 24, "10–24"), (25, 49, "25–49"), (50, 99, "50–99"),
               (100, 249, "100–249"), (250, 999, "250–999"), (1000, None, "≥1000"))
_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i > 1}
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?|[A-Za-z]+(?:-[A-Za-z]+)?")


def sample_size_number(text: str) -> Optional[int]:
    """The group size a sample-size mention states ("48 consecutive recipients", "n = 60",
    "Seventeen adults", "10 of 12" -> 12): the largest number in it, digits or words."""
    best = None
    for token in _NUMBER.findall(text or ""):
        value = None
        if token[0].isdigit():
            try:
                value = int(float(token.replace(",", "")))
            except ValueError:
                continue
        else:
            parts = token.lower().split("-")
            if parts[0] in _TENS:
                value = _TENS[parts[0]] + (_NUMBER_WORDS.get(parts[1], 0) if len(parts) > 1 else 0)
            elif len(parts) == 1 and parts[0] in _NUMBER_WORDS:
                value = _NUMBER_WORDS[parts[0]]
        if value is not None and (best is None or value > best):
            best = value
    return best


def _ordered(values, canonical) -> list[str]:
    present = set(values)
    return [v for v in canonical if v in present] + sorted(present - set(canonical))


def _marks(sentence: str, pieces: list[tuple[int, str]]) -> list[int]:
    """Flat [kind, start, end, ...] of the pieces found in the sentence, never overlapping."""
    taken: list[tuple[int, int]] = []
    out: list[int] = []
    for kind, text in pieces:
        if not text:
            continue
        pos = sentence.find(text)
        while pos >= 0 and any(pos < e and s < pos + len(text) for s, e in taken):
            pos = sentence.find(text, pos + 1)
        if pos >= 0:
            taken.append((pos, pos + len(text)))
            out += [kind, pos, pos + len(text)]
    return out


def _label(kb: Optional[KnowledgeBase], key: str) -> tuple[str, str]:
    concept = kb.concepts.get(key) if kb is not None else None
    if concept is None:
        return key, ""
    return concept.name, "cell" if concept.label == CELL_TYPE else "intervention"


def aggregate(columns: dict[str, list[Any]], kb: Optional[KnowledgeBase] = None,
              years: Optional[dict[str, int]] = None, detail_limit: Optional[int] = None) -> dict[str, Any]:
    """The report's data from the table's columns (as `inputs.load` gives them)."""
    n = len(columns["doc_id"])
    doc_ids = columns["doc_id"]
    years = dict(years or {})
    if "year" in columns:  # a table that carries the year wins over looked-up records
        for doc_id, year in zip(doc_ids, columns["year"]):
            if str(year).strip().isdigit():
                years.setdefault(doc_id, int(str(year).strip()))
    therapy_text = [i or c for i, c in zip(columns["intervention"], columns["cell_type"])]
    therapy = [iid or cid or (NOT_LINKED if text else NOT_STATED)
               for iid, cid, text in zip(columns["intervention_id"], columns["cell_type_id"], therapy_text)]
    outcome = [oid or NOT_LINKED for oid in columns["outcome_id"]]

    def axis(keys: list[str], special: dict[str, str], texts: list[str]) -> list[dict[str, Any]]:
        findings = Counter(keys)
        forms: dict[str, Counter] = defaultdict(Counter)
        for key, text in zip(keys, texts):
            if text:
                forms[key][text.lower()] += 1
        order = sorted(findings, key=lambda k: (k in special, -findings[k], k))
        out = []
        for key in order:
            label, kind = (special[key], "") if key in special else _label(kb, key)
            out.append({"key": key, "label": label, "kind": kind, "findings": findings[key],
                        "forms": [f for f, _ in forms[key].most_common(4)]})
        return out

    therapies = axis(therapy, {NOT_LINKED: "therapy not linked", NOT_STATED: "therapy not stated"}, therapy_text)
    outcomes = axis(outcome, {NOT_LINKED: "outcome not linked"}, columns["outcome"])
    designs = _ordered(columns["study_design"], STUDY_DESIGNS)
    organisms = _ordered(columns["organism"], ORGANISMS)
    t_index = {t["key"]: i for i, t in enumerate(therapies)}
    o_index = {o["key"]: i for i, o in enumerate(outcomes)}
    g_index = {g: i for i, g in enumerate(designs)}
    s_index = {s: i for i, s in enumerate(organisms)}
    d_index = {d: i for i, d in enumerate(DIRECTIONS)}
    ti = [t_index[k] for k in therapy]
    oi = [o_index[k] for k in outcome]
    gi = [g_index[v] for v in columns["study_design"]]
    si = [s_index[v] for v in columns["organism"]]
    di = [d_index[v] for v in columns["direction"]]

    findings: Counter = Counter()
    docs: dict[tuple, set] = defaultdict(set)
    cell_docs: dict[tuple, set] = defaultdict(set)
    pair_docs: dict[tuple, set] = defaultdict(set)
    for r in range(n):
        key = (ti[r], oi[r], gi[r], si[r], di[r])
        findings[key] += 1
        docs[key].add(doc_ids[r])
        cell_docs[key[:4]].add(doc_ids[r])
        pair_docs[(gi[r], si[r])].add(doc_ids[r])
    map_data = {
        "directions": list(DIRECTIONS), "designs": designs, "organisms": organisms,
        "therapies": therapies, "outcomes": outcomes,
        "counts": [[*k, findings[k], len(docs[k])] for k in sorted(findings)],
        "cellDocs": [[*k, len(v)] for k, v in sorted(cell_docs.items())],
        "pairDocs": [[*k, len(v)] for k, v in sorted(pair_docs.items())],
    }

    # Detail rows, grouped by cell and most confident first; beyond `detail_limit` only the
    # most confident rows keep their text (the counts above always cover every row).
    conf = columns["confidence"]
    keep = range(n)
    if detail_limit is not None and n > detail_limit:
        keep = sorted(range(n), key=lambda r: -conf[r])[:detail_limit]
    order = sorted(keep, key=lambda r: (ti[r], oi[r], -conf[r], doc_ids[r], columns["start"][r]))
    ranges: dict[str, list[int]] = {}
    for pos, r in enumerate(order):
        ranges.setdefault(f"{ti[r]}-{oi[r]}", [pos, pos])[1] = pos + 1
    doc_pos: dict[str, int] = {}
    doc_table: dict[str, list] = {"id": [], "title": [], "year": []}
    for r in order:
        if doc_ids[r] not in doc_pos:
            doc_pos[doc_ids[r]] = len(doc_table["id"])
            doc_table["id"].append(doc_ids[r])
            doc_table["title"].append(columns["title"][r])
            doc_table["year"].append(years.get(doc_ids[r]))
    sentence_col = columns["sentence"]
    sent_pos: dict[str, int] = {}
    for r in order:
        sent_pos.setdefault(sentence_col[r], len(sent_pos))
    mark_columns = [columns["outcome"], therapy_text, columns["value"], columns["timepoint"], columns["p_value"],
                    columns["sample_size"]]
    detail: dict[str, Any] = {
        "doc": [doc_pos[doc_ids[r]] for r in order],
        "t": [ti[r] for r in order], "o": [oi[r] for r in order], "g": [gi[r] for r in order],
        "s": [si[r] for r in order], "dir": [di[r] for r in order],
        "sent": [sent_pos[sentence_col[r]] for r in order],
        "marks": [_marks(sentence_col[r], [(k, col[r]) for k, col in enumerate(mark_columns)]) for r in order],
        "conf": [round(conf[r] * 1000) for r in order],
        "therapy": [therapy_text[r] for r in order],
    }
    for key in ("outcome", "value", "timepoint", "sample_size", "p_value", "comparator"):
        detail[key] = [columns[key][r] for r in order]
    sentences = list(sent_pos)
    detail.update({"ranges": ranges, "docs": doc_table, "sentences": sentences, "markKinds": list(MARK_KINDS)})

    return {"map": map_data, "detail": detail, "plots": _plot_numbers(columns, outcomes, oi, designs, years),
            "stats": {"rows": n, "documents": len(set(doc_ids)), "detail_rows": len(order),
                      "years_known": len({d for d in doc_ids if d in years})}}


def _plot_numbers(columns, outcomes, oi, designs, years) -> dict[str, Any]:
    by_outcome = [[0] * len(DIRECTIONS) for _ in outcomes]
    d_index = {d: i for i, d in enumerate(DIRECTIONS)}
    for o, direction in zip(oi, columns["direction"]):
        by_outcome[o][d_index[direction]] += 1
    sizes: dict[str, int] = {}
    for doc_id, text in zip(columns["doc_id"], columns["sample_size"]):
        value = sample_size_number(text)
        if value is not None and value > sizes.get(doc_id, 0):
            sizes[doc_id] = value
    bins = [0] * len(SAMPLE_BINS)
    for value in sizes.values():
        for i, (low, high, _) in enumerate(SAMPLE_BINS):
            if value >= low and (high is None or value <= high):
                bins[i] += 1
                break
    design_of = dict(zip(columns["doc_id"], columns["study_design"]))
    per_year: dict[int, Counter] = defaultdict(Counter)
    for doc_id, design in design_of.items():
        if doc_id in years:
            per_year[years[doc_id]][design] += 1
    return {
        "outcome_directions": [{"label": o["label"], "counts": c} for o, c in zip(outcomes, by_outcome)],
        "sample_bins": [{"label": label, "documents": b} for (_, _, label), b in zip(SAMPLE_BINS, bins)],
        "sample_unknown": len(design_of) - len(sizes),
        "design_years": {"years": sorted(per_year), "designs": designs,
                         "counts": [[per_year[y][d] for d in designs] for y in sorted(per_year)]},
    }
