"""Shared fixtures: the evidex pipeline (loaded once per session), the example corpus and the
public corpora under EVIDEX_DATA (default: <repo>/../shared/corpora)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "corpora" / "examples" / "abstracts.jsonl"


def pytest_configure(config):
    # scispaCy's AbbreviationDetector warns on every doc that one of its matchers is empty.
    config.addinivalue_line("filterwarnings", "ignore:.*W036.*:UserWarning")


def data_root() -> Path:
    """Where the public corpora live: $EVIDEX_DATA, else <repo>/../shared/corpora."""
    env = os.environ.get("EVIDEX_DATA")
    return Path(env) if env else REPO.parent / "shared" / "corpora"


@pytest.fixture(scope="session")
def corpora() -> Path:
    root = data_root()
    if not root.is_dir():
        pytest.skip(f"public corpora not found at {root} (set EVIDEX_DATA to the folder that holds pubmed_xml/)")
    return root


@pytest.fixture(scope="session")
def pubmed_dir(corpora: Path) -> Path:
    folder = corpora / "pubmed_xml"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent: the PubMed XML samples are needed for this test")
    return folder


@pytest.fixture(scope="session")
def pubmed_file(pubmed_dir: Path):
    """pubmed_file(name): a real PubMed XML sample, or a skip saying which one is missing."""

    def get(name: str) -> Path:
        path = pubmed_dir / name
        if not path.is_file():
            pytest.skip(f"{path} is absent: this test reads that real PubMed file")
        return path

    return get


@pytest.fixture(scope="session")
def nlp():
    """The rule and vocabulary layers of the pipeline (no transformer), built once: the tests
    that use it check rules, whose results must not depend on a trained model."""
    import evidex

    return evidex.load(overrides={"paths.tagger": None, "paths.relations": None})


@pytest.fixture(scope="session")
def tagged_nlp():
    """The packaged pipeline with the shipped tagger (models/tagger)."""
    import evidex

    return evidex.load()


@pytest.fixture(scope="session")
def examples() -> Path:
    assert EXAMPLES.is_file(), f"the example corpus {EXAMPLES} is part of the repository"
    return EXAMPLES


@pytest.fixture(scope="session")
def process(nlp):
    """Run the pipeline over a Record (keeping its id, title and meta) or a plain string."""
    from evidex.pipeline import make_doc
    from evidex.records import Record

    def run(item, **meta):
        record = item if isinstance(item, Record) else Record("t", "", item, dict(meta))
        return nlp(make_doc(nlp, record))

    return run
