"""Training and evaluation corpora for the entity tagger, as word-level examples.

Every loader yields `Example(words, spans, types, corpus)`: `spans` are (start, end, type)
word spans, end exclusive, and `types` are the entity types the corpus annotates (the loss
ignores the others). Public corpora are read from the data directory (see evidex.paths).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Sequence

from ..paths import data_dir
from ..schema import CELL_TYPE, INTERVENTION, OUTCOME, POPULATION

CELL_LINE = "CELL_LINE"  # tagged apart, reported as CELL_TYPE by the pipeline
TAGGER_TYPES = (POPULATION, INTERVENTION, OUTCOME, CELL_TYPE, CELL_LINE)


@dataclass
class Example:
    words: list[str]
    spans: list[tuple[int, int, str]]
    types: frozenset[str]
    corpus: str
    doc_id: str = ""


class CorpusNotFound(FileNotFoundError):
    pass


def _open_text(path: Path):
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8")


def require(path: Path, what: str) -> Path:
    if not path.exists():
        raise CorpusNotFound(f"{what} not found at {path}: set --data-dir or $EVIDEX_DATA (see README, 'Data')")
    return path


def read_bio(path: Path, mapping: dict[str, str], types: Sequence[str], corpus: str) -> Iterator[Example]:
    """CoNLL-style `token<TAB>tag` files, blank line between sentences; `-DOCSTART-`/`###` lines
    start documents. `mapping` maps the corpus's types to ours; unmapped types count as O."""
    words: list[str] = []
    tags: list[str] = []
    doc_id = ""

    def flush():
        spans, start, current = [], None, None
        for i, tag in enumerate(tags + ["O"]):
            kind = mapping.get(tag[2:]) if tag != "O" else None
            begins = tag.startswith("B-") or (kind is not None and kind != current)
            if start is not None and (kind is None or begins):
                spans.append((start, i, current))
                start, current = None, None
            if kind is not None and start is None:
                start, current = i, kind
        return Example(list(words), spans, frozenset(types), corpus, doc_id)

    with _open_text(path) as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line.startswith("-DOCSTART-") or line.startswith("###"):
                if words:
                    yield flush()
                    words.clear(), tags.clear()
                doc_id = line.split("(", 1)[-1].rstrip(")") if line.startswith("-DOCSTART-") else line[3:].split(":")[-1]
                continue
            if not line.strip():
                if words:
                    yield flush()
                    words.clear(), tags.clear()
                continue
            parts = line.split("\t")
            words.append(parts[0])
            tags.append(parts[-1] if len(parts) > 1 else "O")
    if words:
        yield flush()


EBMNLP_MAP = {"PAR": POPULATION, "INT": INTERVENTION, "OUT": OUTCOME}
JNLPBA_MAP = {"cell_type": CELL_TYPE, "cell_line": CELL_LINE}


def ebmnlp(split: str, root: Optional[Path] = None) -> Iterator[Example]:
    """EBM-NLP P/I/O, sentence level: train (rebuilt from crowd spans), dev, test (expert gold)."""
    root = root or data_dir()
    path = require(Path(root or "") / "ebmnlp_pico" / "conll" / f"{split}.txt", "EBM-NLP")
    return read_bio(path, EBMNLP_MAP, (POPULATION, INTERVENTION, OUTCOME), "ebmnlp")


def jnlpba_iob(split: str, root: Optional[Path] = None) -> Iterator[Example]:
    """JNLPBA cell_type / cell_line from the IOB files (train rebuilt from standoff; test original)."""
    root = root or data_dir()
    name = "train.tsv.gz" if split == "train" else "test_with_abstract_ids.iob2.gz"
    path = require(Path(root or "") / "jnlpba" / "iob" / name, "JNLPBA")
    return read_bio(path, JNLPBA_MAP, (CELL_TYPE, CELL_LINE), "jnlpba")


def craft_cell(split: str, root: Optional[Path] = None) -> Iterator[Example]:
    """CRAFT Cell Ontology mentions (cell types only)."""
    root = root or data_dir()
    name = {"train": "train", "dev": "devel", "test": "test"}[split]
    path = require(Path(root or "") / "bio_ner_iob" / "CRAFT-cell-IOB" / f"{name}.tsv.gz", "CRAFT-cell")
    return read_bio(path, {"CL": CELL_TYPE}, (CELL_TYPE,), "craft_cell")


def jnlpba_standoff(split: str, root: Optional[Path] = None) -> Iterator[tuple[str, str, list[tuple[int, int, str]]]]:
    """(doc id, text, gold character spans of cell_type/cell_line) from the brat standoff files."""
    root = root or data_dir()
    folder = require(Path(root or "") / "jnlpba" / "standoff" / split, "JNLPBA standoff")
    for txt in sorted(folder.glob("*.txt")):
        text = txt.read_text(encoding="utf-8")
        gold = []
        ann = txt.with_suffix(".ann")
        for line in ann.read_text(encoding="utf-8").splitlines() if ann.exists() else []:
            if not line.startswith("T"):
                continue
            _, info, _ = line.split("\t", 2)
            kind, start, end = info.split(" ")[:3]
            if kind in JNLPBA_MAP:
                gold.append((int(start), int(end), kind))
        yield txt.stem, text, gold


def from_char_spans(nlp_tokenizer, text: str, entities: Sequence[dict], types: Sequence[str], corpus: str,
                    doc_id: str = "") -> Example:
    """An Example from text with character spans, tokenised with evidex's tokenizer.
    Entity boundaries inside a token widen to the whole token."""
    doc = nlp_tokenizer(text)
    words, index = [], {}
    for tok in doc:
        if not tok.is_space:
            index[tok.i] = len(words)
            words.append(tok.text)
    spans = []
    for ent in entities:
        span = doc.char_span(ent["start"], ent["end"], alignment_mode="expand")
        if span is None:
            continue
        toks = [index[t.i] for t in span if t.i in index]
        if toks and ent["label"] in types:
            spans.append((toks[0], toks[-1] + 1, ent["label"]))
    return Example(words, spans, frozenset(types), corpus, doc_id)


def user_jsonl(path: Path, nlp_tokenizer, default_types: Sequence[str] = TAGGER_TYPES) -> Iterator[Example]:
    """Your own annotations: one JSON object per line, `{"id", "text", "entities": [{"start", "end",
    "label"}], "types": [labels annotated in this document]}` (or `title` + `abstract`, joined as
    in evidex documents). `types` defaults to every tagger type."""
    with _open_text(Path(path)) as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            obj = json.loads(line)
            text = obj.get("text") or (obj.get("title", "") + "\n\n" + obj.get("abstract", "") if obj.get("title") else obj.get("abstract", ""))
            types = obj.get("types") or list(default_types)
            yield from_char_spans(nlp_tokenizer, text, obj.get("entities", []), types, Path(path).stem,
                                  str(obj.get("id", lineno)))


IN_DOMAIN_TYPES = (POPULATION, INTERVENTION, OUTCOME, CELL_TYPE)


def t1d_cell_therapy(split: str, root: Optional[Path] = None) -> Iterator[Example]:
    """Our in-domain corpus (corpora/t1d_cell_therapy, in the repository), one Example per
    sentence as evidex splits it, entity spans clipped to their sentence. CELL_LINE is not
    annotated there, so its head learns nothing from these documents."""
    from ..corpus.documents import load_documents
    from ..paths import T1D_CORPUS
    from ..records import document_text

    splitter = SentenceSplitter()
    for obj in load_documents(split, require(T1D_CORPUS, "the in-domain corpus")):
        text = document_text(obj["title"], obj["abstract"])
        for start, end in splitter(text):
            ents = [{"start": e["start"] - start, "end": e["end"] - start, "label": e["label"]}
                    for e in obj["entities"]
                    if e["label"] in IN_DOMAIN_TYPES and e["start"] >= start and e["end"] <= end]
            example = from_char_spans(splitter.tokenizer, text[start:end], ents, IN_DOMAIN_TYPES,
                                      "t1d_cell_therapy", obj["id"])
            if example.words:
                yield example


class SentenceSplitter:
    """evidex's tokenizer and sentence splitter, without the rest of the pipeline."""

    def __init__(self):
        from ..pipeline import load
        nlp = load(overrides={"paths.tagger": None, "paths.relations": None})
        self.tokenizer, self.splitter = nlp.tokenizer, nlp.get_pipe("sentences")

    def __call__(self, text: str) -> list[tuple[int, int]]:
        from ..components.sentences import sentences

        doc = self.splitter(self.tokenizer(text))
        out = []
        for sent in sentences(doc):
            stripped = sent.text.strip()
            if len(stripped) > 1:
                start = sent.start_char + sent.text.index(stripped)
                out.append((start, start + len(stripped)))
        return out
