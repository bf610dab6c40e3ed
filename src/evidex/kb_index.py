"""The linker's candidate index over the knowledge base, in scispaCy's own format.

scispaCy links mentions with a `CandidateGenerator`: character 3-gram TF-IDF vectors of the
KB's aliases in an nmslib HNSW index, queried for the nearest aliases of a mention. Its
`create_tfidf_ann_index` is made for UMLS (it drops 3-grams seen in fewer than 10 aliases and
refuses to run with scipy >= 1.11), so this module builds the same four files for our small KB
(`LinkerPaths` layout: `tfidf_vectorizer.joblib`, `tfidf_vectors_sparse.npz`,
`nmslib_index.bin`, `concept_aliases.json`) plus a `manifest.json`, and loads them back with
scispaCy's `LinkerPaths`. Aliases are the KB terms after `evidex.kb.normalise`, so spelling
variants ("haemorrhage"/"hemorrhage", "β-cell"/"beta cell") meet before any 3-gram is counted.

The built index ships in `data/kb/linker_index/` (`scripts/build_linker_index.py` rebuilds it).
`load_candidate_generator` uses it when its manifest matches the KB file and the installed
scikit-learn; otherwise it builds an identical index in memory (well under a second).
"""

from __future__ import annotations

import hashlib
import json
import logging
from importlib import resources
from pathlib import Path
from typing import Optional

import joblib
import nmslib
import numpy
import scipy.sparse
import sklearn
from scispacy.candidate_generation import CandidateGenerator, LinkerPaths
from scispacy.linking_utils import Entity, KnowledgeBase as ScispacyKB
from sklearn.feature_extraction.text import TfidfVectorizer

from .kb import KnowledgeBase, kb_file, load_kb, normalise

log = logging.getLogger(__name__)

INDEX_DIR = "linker_index"
MANIFEST = "manifest.json"
# One thread and a fixed seed: the HNSW graph, and so the saved index, are the same on every build.
HNSW_PARAMS = {"M": 32, "efConstruction": 400, "post": 0, "indexThreadQty": 1}
EF_SEARCH = 200
FORMAT = 1


def default_index_dir() -> Path:
    return Path(str(resources.files("evidex") / "data" / "kb" / INDEX_DIR))


def kb_sha256(path: Optional[str] = None) -> str:
    return hashlib.sha256(kb_file(path).read_bytes()).hexdigest()


def scispacy_kb(kb: KnowledgeBase) -> ScispacyKB:
    """The evidex KB as a scispaCy KnowledgeBase whose aliases are normalised terms."""
    entities = [
        Entity(concept_id=c.id, canonical_name=normalise(c.name),
               aliases=sorted({normalise(t) for t in c.synonyms} - {normalise(c.name)}),
               types=[c.label], definition=c.definition or None)
        for c in kb.concepts.values()
    ]
    return ScispacyKB(entities)


def _manifest(kb_path: Optional[str], aliases: list[str]) -> dict:
    return {"format": FORMAT, "kb_file": kb_file(kb_path).name, "kb_sha256": kb_sha256(kb_path),
            "aliases": len(aliases), "scikit_learn": sklearn.__version__, "nmslib_hnsw": HNSW_PARAMS,
            "tfidf": {"analyzer": "char_wb", "ngram_range": [3, 3], "min_df": 1}}


def build(kb_path: Optional[str] = None, out_dir: Optional[Path] = None):
    """Fit the TF-IDF vectorizer and the HNSW index over the KB's aliases; with `out_dir`, save
    them there in scispaCy's layout. Returns (aliases, vectorizer, ann_index, scispaCy KB)."""
    skb = scispacy_kb(load_kb(kb_path))
    aliases = sorted(skb.alias_to_cuis)  # sorted: alias_to_cuis order depends on set hashing
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), min_df=1, dtype=numpy.float32)
    vectors = vectorizer.fit_transform(aliases).astype(numpy.float32)
    empty = numpy.asarray(vectors.sum(axis=1)).reshape(-1) == 0
    if empty.any():  # nmslib cannot index an all-zero vector
        raise ValueError(f"KB aliases without any character 3-gram: {[a for a, e in zip(aliases, empty) if e]}")
    index = _hnsw(vectors)
    index.createIndex(HNSW_PARAMS, print_progress=False)
    index.setQueryTimeParams({"efSearch": EF_SEARCH})
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = LinkerPaths.from_directory(out_dir)
        joblib.dump(vectorizer, paths.tfidf_vectorizer)
        # float32 on disk: scispaCy's float16 needs scipy < 1.11, and the file is small anyway
        scipy.sparse.save_npz(paths.tfidf_vectors, vectors, compressed=True)
        Path(paths.concept_aliases_list).write_text(json.dumps(aliases, ensure_ascii=False, indent=0) + "\n",
                                                     encoding="utf-8")
        index.saveIndex(paths.ann_index)
        (out_dir / MANIFEST).write_text(json.dumps(_manifest(kb_path, aliases), indent=2) + "\n", encoding="utf-8")
    return aliases, vectorizer, index, skb


def _hnsw(vectors):
    index = nmslib.init(method="hnsw", space="cosinesimil_sparse", data_type=nmslib.DataType.SPARSE_VECTOR)
    index.addDataPointBatch(vectors)
    return index


FILES = ("concept_aliases.json", "tfidf_vectorizer.joblib", "tfidf_vectors_sparse.npz", "nmslib_index.bin", MANIFEST)


def differing_files(a: Path, b: Path) -> list[str]:
    """The index files that differ between folders `a` and `b`. Files are compared byte for
    byte, except the pickled vectorizer: pickle output depends on which equal strings the
    process happens to share, so it is compared by its vocabulary (with order), idf and settings."""
    import filecmp

    out = []
    for name in FILES:
        pa, pb = Path(a) / name, Path(b) / name
        if not (pa.is_file() and pb.is_file()):
            out.append(name)
        elif name == "tfidf_vectorizer.joblib":
            va, vb = joblib.load(pa), joblib.load(pb)
            if (list(va.vocabulary_.items()) != list(vb.vocabulary_.items()) or not numpy.array_equal(va.idf_, vb.idf_)
                    or va.get_params() != vb.get_params()):
                out.append(name)
        elif not filecmp.cmp(pa, pb, shallow=False):
            out.append(name)
    return out


def is_current(index_dir: Path, kb_path: Optional[str] = None) -> tuple[bool, str]:
    """Whether the index in `index_dir` was built from this KB file with this scikit-learn, and
    if not, why ("" when it is current)."""
    manifest_path = Path(index_dir) / MANIFEST
    if not manifest_path.is_file() or not LinkerPaths.from_directory(index_dir).is_locally_cached():
        return False, f"no linker index in {index_dir}"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT or manifest.get("kb_sha256") != kb_sha256(kb_path):
        return False, f"the linker index in {index_dir} was built from another knowledge base"
    if manifest.get("scikit_learn") != sklearn.__version__:
        # a pickled vectorizer may not load across versions; a fresh build is the same index
        return False, (f"the linker index in {index_dir} was saved by scikit-learn {manifest.get('scikit_learn')}, "
                       f"this is {sklearn.__version__}")
    return True, ""


def load_candidate_generator(kb_path: Optional[str] = None, index_dir: Optional[str] = None) -> CandidateGenerator:
    """scispaCy's CandidateGenerator over the KB: from the saved index when it is current, else
    from an index built in memory."""
    folder = Path(index_dir) if index_dir else default_index_dir()
    current, why = is_current(folder, kb_path)
    if current:
        paths = LinkerPaths.from_directory(folder)
        aliases, vectorizer, index = paths.load(ef_search=EF_SEARCH)
        skb = scispacy_kb(load_kb(kb_path))
    else:
        # a stale index is worth a warning; a custom KB without an index, or another
        # scikit-learn, is expected and only logged
        stale = "another knowledge base" in why and (index_dir or kb_path is None)
        (log.warning if stale else log.info)(
            "%s; building the index in memory (python scripts/build_linker_index.py saves one)", why)
        aliases, vectorizer, index, skb = build(kb_path)
    return CandidateGenerator(ann_index=index, tfidf_vectorizer=vectorizer, ann_concept_aliases_list=aliases, kb=skb)
