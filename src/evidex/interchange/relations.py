"""Relations in interchange files: evidex effects to roles and string attributes, and back.

An evidex effect (a dict of `doc._.relations`) has span roles (intervention, cell_type, outcome,
value, timepoint, p_value, sample_size: [start, end] or None), the evidence sentence
([start, end]) and attributes (direction, comparator, confidence, source). Files store the
roles as references to annotations and everything else as strings; `split` and `join` convert
without loss, so a written and re-read effect equals the original dict.
"""

from __future__ import annotations

from typing import Any, Optional

from .document import EFFECT, ROLES


def is_effect(relation: dict[str, Any]) -> bool:
    return relation.get("type", EFFECT) == EFFECT


def split(relation: dict[str, Any]) -> tuple[str, dict[str, list[int]], dict[str, str]]:
    """(type, {role: [start, end]}, {attribute: string}) of a relation dict."""
    kind = relation.get("type", EFFECT)
    roles: dict[str, list[int]] = {}
    attrs: dict[str, str] = {}
    for key, value in relation.items():
        if key == "type" or value is None:
            continue
        if key == "sentence":
            attrs["sentence_offset"], attrs["sentence_length"] = str(value[0]), str(value[1] - value[0])
        elif _is_offsets(value):
            roles[key] = [int(value[0]), int(value[1])]
        elif isinstance(value, float):
            attrs[key] = repr(value)
        else:
            attrs[key] = str(value)
    return kind, roles, attrs


def join(kind: str, roles: dict[str, list[int]], attrs: dict[str, str]) -> dict[str, Any]:
    """The relation dict that `split` came from: an evidex effect gets its typed fields back."""
    attrs = dict(attrs)
    relation: dict[str, Any] = {}
    if kind == EFFECT:
        relation = {role: roles.get(role) for role in ROLES}
        relation.update({k: v for k, v in roles.items() if k not in ROLES})
        if "confidence" in attrs:
            relation["confidence"] = _float(attrs.pop("confidence"))
    else:
        relation["type"] = kind
        relation.update(roles)
    sentence = _sentence(attrs.pop("sentence_offset", None), attrs.pop("sentence_length", None))
    if sentence is not None:
        relation["sentence"] = sentence
    relation.update(attrs)
    return relation


def _is_offsets(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, int) for v in value)


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"relation confidence {text!r} is not a number") from None


def _sentence(offset: Optional[str], length: Optional[str]) -> Optional[list[int]]:
    if offset is None and length is None:
        return None
    try:
        start = int(offset)
        return [start, start + int(length)]
    except (TypeError, ValueError):
        raise ValueError(f"relation sentence offset/length {offset!r}/{length!r} are not integers") from None
