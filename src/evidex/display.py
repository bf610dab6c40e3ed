"""displaCy views of one document: its entity spans, and its relations listed under the text.

    html = evidex.render(doc)      # in Jupyter it displays (displaCy's display); else returns HTML
    evidex.display.page(doc)       # a standalone HTML page (what `evidex show` writes)

Works on a processed Doc or on an AnnotatedDocument read from BioC or PubTator.
"""

from __future__ import annotations

from typing import Any, Optional, Union

from spacy import displacy
from spacy.tokens import Doc
from spacy.util import is_in_jupyter

from .interchange.document import AnnotatedDocument, from_doc
from .schema import (ACHIEVED, CELL_TYPE, DECREASE, INCREASE, INTERVENTION, NO_DIFFERENCE, OUTCOME, POPULATION,
                     SAMPLE_SIZE, TIMEPOINT, VALUE)
from .templates import render as render_template

LABEL_COLORS = {
    POPULATION: "#e9d8fd", INTERVENTION: "#bee3f8", CELL_TYPE: "#c6f6d5", OUTCOME: "#feebc8",
    SAMPLE_SIZE: "#e2e8f0", VALUE: "#fefcbf", TIMEPOINT: "#fed7e2",
}
# The same colours as the report's; a direction is neither good nor bad (HbA1c should fall).
DIRECTION_COLORS = {INCREASE: "#2b6cb0", DECREASE: "#c05621", NO_DIFFERENCE: "#718096", ACHIEVED: "#2f855a"}
_DETAIL_ROLES = (("value", "value"), ("timepoint", "time"), ("p_value", "p"), ("sample_size", "n"))

Viewable = Union[Doc, AnnotatedDocument]


def _annotated(doc: Viewable) -> AnnotatedDocument:
    return from_doc(doc) if isinstance(doc, Doc) else doc


def _entities(doc: AnnotatedDocument) -> tuple[list[dict[str, Any]], int]:
    """Non-overlapping entity spans for displaCy's ent view (longer spans first), and how many
    overlapping ones that view cannot show."""
    shown: list[dict[str, Any]] = []
    for a in sorted(doc.entities, key=lambda a: (a.start - a.end, a.start)):
        if all(a.end <= s["start"] or s["end"] <= a.start for s in shown):
            shown.append({"start": a.start, "end": a.end, "label": a.label})
    return sorted(shown, key=lambda s: s["start"]), len(doc.entities) - len(shown)


def _relation_view(doc: AnnotatedDocument, rel: dict[str, Any]) -> dict[str, Any]:
    text = doc.text

    def said(key: str) -> str:
        value = rel.get(key)
        return text[value[0]:value[1]] if isinstance(value, list) and len(value) == 2 else ""

    direction = str(rel.get("direction") or rel.get("type") or "")
    sentence = rel.get("sentence")
    return {
        "therapy": said("intervention") or said("cell_type") or said("arg1") or rel.get("arg1", ""),
        "outcome": said("outcome") or rel.get("arg2", ""),
        "direction": direction,
        "color": DIRECTION_COLORS.get(direction, "#4a5568"),
        "details": [(name, said(key)) for key, name in _DETAIL_ROLES if said(key)]
        + ([("vs", rel["comparator"])] if rel.get("comparator") else []),
        "confidence": rel.get("confidence"),
        "sentence": " ".join(text[sentence[0]:sentence[1]].split()) if sentence else "",
    }


def document_html(doc: Viewable) -> str:
    """The entity view (displaCy) and the relation list of one document, as an HTML fragment."""
    doc = _annotated(doc)
    ents, hidden = _entities(doc)
    markup = displacy.render({"text": doc.text, "ents": ents, "title": None}, style="ent", manual=True,
                             jupyter=False, options={"colors": LABEL_COLORS})
    relations = [_relation_view(doc, rel) for rel in doc.relations]
    return render_template("document.html.j2", doc=doc, entities_html=markup, hidden=hidden, relations=relations,
                           directions=DIRECTION_COLORS, page=False)


def page(doc: Viewable, title: Optional[str] = None) -> str:
    """A standalone HTML page of one document."""
    doc = _annotated(doc)
    return render_template("document.html.j2", doc=doc, entities_html=None, hidden=0, relations=[],
                           directions=DIRECTION_COLORS, page=True, body=document_html(doc),
                           title=title or f"{doc.id} — evidex")


def render(doc: Viewable, jupyter: Optional[bool] = None) -> Optional[str]:
    """displaCy-style rendering for notebooks: displayed in Jupyter (returns None), else the HTML."""
    html = document_html(doc)
    if jupyter or (jupyter is None and is_in_jupyter()):
        from IPython.display import HTML, display  # present wherever Jupyter runs

        display(HTML(html))
        return None
    return html
