"""Build the HTML evidence report: tables in, one self-contained page out.

The page inlines its CSS, JavaScript, plots (SVG) and data; it loads nothing from the network.
The aggregates travel as plain JSON; the detail rows as JSON too while small, else gzip-packed
and base64-encoded, unpacked by the browser's DecompressionStream when the page opens.
"""

from __future__ import annotations

import base64
import datetime as _dt
import gzip
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Optional, Union

from markupsafe import Markup

from ..display import DIRECTION_COLORS
from ..kb import KnowledgeBase, load_kb
from ..pipeline import __version__
from ..templates import render
from . import inputs, plots
from .aggregate import aggregate

# Detail rows kept with their text; the counts always cover every row.
DEFAULT_DETAIL_LIMIT = 250_000
_PLAIN_JSON_BYTES = 1_500_000  # below this the detail rows are not worth packing

PathLike = Union[str, os.PathLike]


def json_for_script(obj: Any) -> Markup:
    """JSON that is safe inside <script type="application/json">: no "<" can close the element."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _pack(detail: dict[str, Any]) -> tuple[str, Markup]:
    raw = json.dumps(detail, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if len(raw) < _PLAIN_JSON_BYTES:
        return "json", json_for_script(detail)
    return "gzip-base64", Markup(base64.b64encode(gzip.compress(raw, compresslevel=5, mtime=0)).decode("ascii"))


def years_from_records(paths: Iterable[PathLike]) -> tuple[dict[str, int], dict[str, int]]:
    """Publication years by record id, from the records the table was extracted from (PubMed
    XML carries them; JSONL/CSV records may have a `year` field). Also counts what was read."""
    from ..readers import read
    from ..records import ReadError

    years: dict[str, int] = {}
    seen = Counter()
    for item in read(list(paths)):
        if isinstance(item, ReadError):
            seen["errors"] += 1
            continue
        seen["records"] += 1
        year = str(item.meta.get("year") or "").strip()
        if year[:4].isdigit():
            years[item.id] = int(year[:4])
    seen["with_year"] = len(years)
    return years, dict(seen)


def _provenance(tables: inputs.Tables, stats: dict[str, Any], records: Optional[dict[str, int]],
                record_paths: list[str]) -> dict[str, Any]:
    extraction: dict[str, Any] = {}
    for summary in tables.summaries:
        for key in ("read", "with_findings", "no_finding", "errors", "rows", "seconds"):
            if isinstance(summary.get(key), (int, float)):
                extraction[key] = round(extraction.get(key, 0) + summary[key], 3)
    versions = Counter(tables.columns["model_version"])
    versions.update(s["model_version"] for s in tables.summaries if s.get("model_version") and s["model_version"] not in versions)
    error_rows = tables.error_rows if tables.error_files else extraction.get("errors")
    return {
        "built": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "evidex": __version__,
        "sources": tables.sources,
        "error_files": tables.error_files,
        "model_versions": versions.most_common(),
        "documents": stats["documents"],
        "rows": stats["rows"],
        "error_rows": error_rows,
        "extraction": extraction,
        "records": records,
        "record_paths": record_paths,
        "years_known": stats["years_known"],
    }


def build_report(tables: Union[PathLike, Iterable[PathLike]], output: PathLike, records: Iterable[PathLike] = (),
                 title: Optional[str] = None, detail_limit: Optional[int] = DEFAULT_DETAIL_LIMIT,
                 kb: Optional[KnowledgeBase] = None) -> dict[str, Any]:
    """Write the report for `tables` (files, or folders of shards) to `output`.

    `records`: the abstracts the tables came from, to look up publication years (optional).
    Returns what was built: path, bytes, seconds, rows, documents, detail_rows."""
    started = time.perf_counter()
    paths = [tables] if isinstance(tables, (str, os.PathLike)) else list(tables)
    if not paths:
        raise ValueError("no evidence table given")
    loaded = inputs.load(paths)
    record_paths = [str(p) for p in records]
    years, record_counts = years_from_records(record_paths) if record_paths else ({}, None)
    data = aggregate(loaded.columns, kb if kb is not None else load_kb(), years, detail_limit)
    stats = data["stats"]
    encoding, payload = _pack(data["detail"])
    html = render(
        "report.html.j2",
        title=title or "Evidence report",
        map=data["map"],
        stats=stats,
        plots=plots.plots(data["plots"], data["map"]["directions"]),
        years_plot=bool(data["plots"]["design_years"]["years"]),
        provenance=_provenance(loaded, stats, record_counts, record_paths),
        direction_colors=DIRECTION_COLORS,
        map_json=json_for_script(data["map"]),
        detail_encoding=encoding,
        detail_payload=payload,
    )
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(html, encoding="utf-8")
    return {"path": str(output), "bytes": output.stat().st_size, "seconds": round(time.perf_counter() - started, 2),
            "rows": stats["rows"], "documents": stats["documents"], "detail_rows": stats["detail_rows"],
            "encoding": encoding}
