"""Docs to bytes and back between processes: DocBin with user data (every evidex extension
holds plain values, so records, spans' kinds and ids travel with the Doc)."""

from __future__ import annotations

from typing import Iterable

import srsly
from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab


def _snapshot_msgpack_extensions() -> None:
    # srsly looks its msgpack extensions up (a scan of catalogue's whole registry and of the
    # installed entry points) on every call, and DocBin calls it several times per Doc: four
    # times the cost of the decoding itself. The extensions do not change during a run.
    for registry in (srsly.msgpack_encoders, srsly.msgpack_decoders):
        if not getattr(registry, "_evidex_snapshot", False):
            found = registry.get_all()
            registry.get_all = lambda found=found: dict(found)
            registry._evidex_snapshot = True


def pack(docs: Iterable[Doc]) -> bytes:
    _snapshot_msgpack_extensions()
    return DocBin(store_user_data=True, docs=docs).to_bytes()


def unpack(data: bytes, vocab: Vocab) -> list[Doc]:
    _snapshot_msgpack_extensions()
    return list(DocBin(store_user_data=True).from_bytes(data).get_docs(vocab))
