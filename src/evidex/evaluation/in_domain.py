"""`evidex evaluate ner|relations --corpus t1d_cell_therapy`: scores on evidex's own corpus.

The corpus (`corpora/t1d_cell_therapy/t1d_cell_therapy.jsonl`) gives character offsets into
`title + "\\n\\n" + abstract`, the text evidex builds for a record, so predictions and gold are
compared on the same characters.

- ner: POPULATION, INTERVENTION, OUTCOME and CELL_TYPE spans (the tagger's CELL_LINE counts as
  CELL_TYPE), per label with exact and with overlap matching (see `matching.span_scores`). The
  spans scored come from one of three sources: `pipeline` (`doc.ents` of the whole pipeline:
  tagger and vocabulary merged, what users get), `tagger` (the tagger alone on evidex's
  tokens) or `vocabulary` (the knowledge-base matcher alone).
- relations: the whole pipeline's `doc._.relations` against the gold relations on
  (therapy head, outcome tail, direction) (see `matching.relation_scores`), plus the table's
  view: the unique (head text, outcome text, direction) triples of each document, lower-cased.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from spacy.language import Language
from spacy.util import filter_spans

from ..corpus.documents import SPLITS, load_documents  # noqa: F401  (SPLITS: the CLI's choices)
from ..kb import load_kb, normalise
from ..paths import T1D_CORPUS
from ..records import Record
from ..schema import CELL_TYPE, DIRECTIONS, INTERVENTION, OUTCOME, POPULATION
from .matching import Relation, relation_scores, span_scores, triple_scores

CORPUS = "t1d_cell_therapy"
CORPUS_FILE = T1D_CORPUS
LABELS = (POPULATION, INTERVENTION, OUTCOME, CELL_TYPE)
SOURCES = ("pipeline", "tagger", "vocabulary")
# tagger types that count as another evidex label here
_RENAME = {"CELL_LINE": CELL_TYPE}


def _record(doc: dict[str, Any]) -> Record:
    record = Record(doc["id"], doc["title"], doc["abstract"])
    text = record.text
    for ent in doc["entities"]:
        # a stale corpus file would silently shift every score
        if text[ent["start"]:ent["end"]] != ent["text"]:
            raise ValueError(f"{doc['id']} entity {ent['id']}: offsets do not give its text; rebuild the corpus")
    return record


def _spacy_docs(nlp: Language, docs: list[dict[str, Any]]):
    from ..pipeline import make_doc

    return [make_doc(nlp, _record(d)) for d in docs]


def gold_entities(doc: dict[str, Any]) -> list[tuple[str, int, int, str]]:
    return [(doc["id"], e["start"], e["end"], e["label"]) for e in doc["entities"] if e["label"] in LABELS]


def _predicted_entities(doc_id: str, spans) -> list[tuple[str, int, int, str]]:
    by_label: dict[str, list] = {}
    for span in spans:
        label = _RENAME.get(span.label_, span.label_)
        if label in LABELS:
            by_label.setdefault(label, []).append(span)
    # two tagger types mapped to one label can tag the same words; that is one prediction
    return [(doc_id, s.start_char, s.end_char, label) for label, spans in by_label.items() for s in filter_spans(spans)]


def _load(model: Optional[str], config: Optional[str] = None) -> Language:
    from ..pipeline import load

    nlp = load(config, overrides={"paths.tagger": model})
    if model and nlp.get_pipe("tagger").model is None:
        raise FileNotFoundError(f"tagger model {model!r} not found")
    return nlp


def _version(nlp: Language) -> str:
    from ..pipeline import model_version

    return model_version(nlp)


def evaluate_ner(split: str = "test", model: str = "tagger", source: str = "pipeline", limit: int = 0,
                 nlp: Optional[Language] = None, path: Path = CORPUS_FILE) -> dict:
    """Entity scores on one split. `nlp` (a loaded evidex pipeline) replaces loading one with
    the tagger `model`; the vocabulary source needs no tagger."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; choose one of {', '.join(SOURCES)}")
    docs = load_documents(split, path, limit)
    nlp = nlp or _load(None if source == "vocabulary" else model)
    spacy_docs = _spacy_docs(nlp, docs)
    if source == "tagger":
        tagger = nlp.get_pipe("tagger")
        if tagger.model is None:
            raise ValueError("the pipeline has no tagger model to score")
        spans_of = lambda d: d.spans["tagger"]  # noqa: E731
        # the components before the tagger run too: it tags the sentences they set
        upto = nlp.pipe_names[:nlp.pipe_names.index("tagger") + 1]
        with nlp.select_pipes(enable=upto):
            processed = list(nlp.pipe(spacy_docs))
    else:
        spans_of = (lambda d: d.ents) if source == "pipeline" else (lambda d: d.spans["vocabulary"])
        processed = list(nlp.pipe(spacy_docs))
    gold = [g for d in docs for g in gold_entities(d)]
    pred = [p for d, sd in zip(docs, processed) for p in _predicted_entities(d["id"], spans_of(sd))]
    exact = span_scores(gold, pred, LABELS, "exact")
    overlap = span_scores(gold, pred, LABELS, "overlap")
    metrics = {"macro_f1": overlap["macro_f1"], "per_label": overlap["per_label"], "exact": exact, "overlap": overlap,
               "documents": len(docs), "gold_entities": len(set(gold)), "predicted_entities": len(set(pred))}
    return {"task": "ner", "corpus": CORPUS, "split": split, "source": source, "model": _version(nlp),
            "metrics": metrics}


def _concept_key(text: str) -> str:
    """A knowledge-base id when the text names a known concept, else the normalised text."""
    concept = load_kb().lookup(text)
    return concept.id if concept is not None else normalise(text)


def _table_text(text: str) -> str:
    return " ".join(text.lower().split())


def gold_relations(doc: dict[str, Any]) -> list[Relation]:
    ents = {e["id"]: e for e in doc["entities"]}
    out = []
    for rel in doc["relations"]:
        head, tail = ents[rel["head"]], ents[rel["tail"]]
        out.append(Relation(doc["id"], (head["start"], head["end"]), (tail["start"], tail["end"]), rel["direction"],
                            _concept_key(head["text"]), _concept_key(tail["text"])))
    return out


def predicted_relations(doc_id: str, doc) -> list[Relation]:
    """The pipeline's relations of one Doc: the head is the intervention, else the cell type."""
    out = []
    for rel in doc._.relations or []:
        head, tail = rel.get("intervention") or rel.get("cell_type"), rel.get("outcome")
        if not head or not tail:
            continue
        out.append(Relation(doc_id, tuple(head), tuple(tail), rel["direction"],
                            _concept_key(doc.text[head[0]:head[1]]), _concept_key(doc.text[tail[0]:tail[1]])))
    return out


def table_triples(relations: list[Relation], texts: dict[str, str]) -> set[tuple[str, str, str, str]]:
    """What the evidence table shows of each relation: (doc, head text, outcome text, direction),
    lower-cased, once per document."""
    return {(r.doc_id, _table_text(texts[r.doc_id][slice(*r.head)]), _table_text(texts[r.doc_id][slice(*r.tail)]),
             r.direction) for r in relations}


def evaluate_relations(split: str = "test", limit: int = 0, nlp: Optional[Language] = None,
                       config: Optional[str] = None, path: Path = CORPUS_FILE) -> dict:
    """Relation scores of the whole pipeline (`evidex.load(config)`, or `nlp`) on one split."""
    from ..pipeline import load

    docs = load_documents(split, path, limit)
    nlp = nlp or load(config)
    processed = list(nlp.pipe(_spacy_docs(nlp, docs)))
    texts = {d["id"]: sd.text for d, sd in zip(docs, processed)}
    gold = [r for d in docs for r in gold_relations(d)]
    pred = [r for d, sd in zip(docs, processed) for r in predicted_relations(d["id"], sd)]
    metrics = relation_scores(gold, pred, DIRECTIONS)
    metrics["table"] = triple_scores(table_triples(gold, texts), table_triples(pred, texts))
    metrics.update(documents=len(docs), gold_relations=len(gold), predicted_relations=len(pred))
    return {"task": "relations", "corpus": CORPUS, "split": split, "model": _version(nlp), "metrics": metrics}


def _prf(s: dict) -> str:
    return f"P {s['precision']:.4f}  R {s['recall']:.4f}  F1 {s['f1']:.4f}"


def summary_lines(result: dict) -> list[str]:
    """The human-readable report of an in-domain result (the CLI prints it without --json)."""
    m = result["metrics"]
    head = f"{result['corpus']} {result['split']} ({m['documents']} documents, {result['model']})"
    if result["task"] == "ner":
        lines = [f"{head}, spans from {result['source']}:",
                 f"  macro F1 exact {m['exact']['macro_f1']:.4f}, overlap {m['overlap']['macro_f1']:.4f}"]
        for label in m["exact"]["per_label"]:
            lines.append(f"  {label:12s} exact {_prf(m['exact']['per_label'][label])} | "
                         f"overlap {_prf(m['overlap']['per_label'][label])}")
        return lines
    lines = [f"{head}: {m['gold_relations']} gold, {m['predicted_relations']} predicted relations",
             f"  (head, outcome, direction)  {_prf(m)}  (macro over directions {m['macro_f1']:.4f})"]
    for direction, s in m["per_label"].items():
        lines.append(f"    {direction:14s} {_prf(s)}")
    lines.append(f"  (head, outcome)            {_prf(m['pairs'])}")
    lines.append(f"  by concept, with direction {_prf(m['concept'])}")
    lines.append(f"  table triples              {_prf(m['table'])}")
    return lines
