"""Jinja2 templates of evidex's HTML pages (the evidence report, the document view).

CSS and JavaScript sit beside the templates as plain files and are inlined with `asset(name)`,
unparsed, so every page is one self-contained file that works offline.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import jinja2
from markupsafe import Markup


@lru_cache(maxsize=None)
def asset(name: str) -> Markup:
    """A CSS or JS file of this folder, verbatim."""
    text = (resources.files("evidex") / "templates" / name).read_text(encoding="utf-8")
    if "</script" in text.lower() or "</style" in text.lower():
        raise ValueError(f"{name} would close its own <script>/<style> element")
    return Markup(text)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("evidex", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals["asset"] = asset
    return env


def render(name: str, **context) -> str:
    return environment().get_template(name).render(**context)
