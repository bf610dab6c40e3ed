"""The report's summary plots as shapes (rectangles and labels) that the template draws as
inline SVG: findings per outcome and direction, sample sizes, study designs over the years."""

from __future__ import annotations

from typing import Any, Optional

from ..display import DIRECTION_COLORS

DESIGN_COLORS = ("#2b6cb0", "#2f855a", "#c05621", "#6b46c1", "#b7791f", "#c53030", "#2c7a7b", "#718096",
                 "#97266d", "#4a5568")


def _nice_max(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000):
        if value <= step * 4:
            return -(-value // step) * step if value else step
    return value


def outcome_directions(numbers: dict[str, Any], directions: list[str], top: int = 12) -> Optional[dict[str, Any]]:
    rows = [r for r in numbers["outcome_directions"] if sum(r["counts"])][:top]
    if not rows:
        return None
    left, width, row_h = 190, 380, 22
    biggest = max(sum(r["counts"]) for r in rows)
    plot = {"title": "Findings per outcome and direction", "width": left + width + 60,
            "height": 30 + row_h * len(rows) + 10, "rects": [], "texts": [], "legend": []}
    for i, row in enumerate(rows):
        y = 30 + i * row_h
        label = row["label"] if len(row["label"]) <= 28 else row["label"][:27] + "…"
        plot["texts"].append({"x": left - 6, "y": y + 15, "text": label, "anchor": "end"})
        x = float(left)
        for direction, count in zip(directions, row["counts"]):
            if count:
                w = width * count / biggest
                plot["rects"].append({"x": x, "y": y + 3, "w": w, "h": row_h - 6, "fill": DIRECTION_COLORS[direction],
                                      "title": f"{row['label']}: {count} {direction.replace('_', ' ')}"})
                x += w
        plot["texts"].append({"x": x + 4, "y": y + 15, "text": str(sum(row["counts"])), "anchor": "start"})
    plot["legend"] = [{"label": d.replace("_", " "), "fill": DIRECTION_COLORS[d]} for d in directions]
    return plot


def sample_sizes(numbers: dict[str, Any]) -> Optional[dict[str, Any]]:
    bins = numbers["sample_bins"]
    if not any(b["documents"] for b in bins):
        return None
    left, bottom, height, bar_w = 40, 30, 150, 52
    top = _nice_max(max(b["documents"] for b in bins))
    plot = {"title": "Sample sizes (documents, largest group stated)", "width": left + bar_w * len(bins) + 20,
            "height": height + bottom + 30, "rects": [], "texts": [], "legend": []}
    for i, b in enumerate(bins):
        h = height * b["documents"] / top
        x = left + i * bar_w
        plot["rects"].append({"x": x + 4, "y": 20 + height - h, "w": bar_w - 8, "h": h, "fill": "#4a5568",
                              "title": f"n {b['label']}: {b['documents']} documents"})
        plot["texts"].append({"x": x + bar_w / 2, "y": 20 + height + 16, "text": b["label"], "anchor": "middle"})
        if b["documents"]:
            plot["texts"].append({"x": x + bar_w / 2, "y": 20 + height - h - 4, "text": str(b["documents"]),
                                  "anchor": "middle"})
    plot["texts"].append({"x": left, "y": height + bottom + 24, "anchor": "start",
                          "text": f"{numbers['sample_unknown']} documents state no sample size"})
    return plot


def design_years(numbers: dict[str, Any]) -> Optional[dict[str, Any]]:
    data = numbers["design_years"]
    if not data["years"]:
        return None
    first, last = data["years"][0], data["years"][-1]
    by_year = dict(zip(data["years"], data["counts"]))
    years = list(range(first, last + 1))
    left, height, bar_w = 40, 150, max(8, min(30, 600 // len(years)))
    top = _nice_max(max(sum(c) for c in data["counts"]))
    plot = {"title": "Study designs over the years (documents)", "width": left + bar_w * len(years) + 20,
            "height": height + 60, "rects": [], "texts": [], "legend": []}
    label_every = max(1, len(years) // 10)
    for i, year in enumerate(years):
        x, y = left + i * bar_w, 20.0 + height
        for design, count, color in zip(data["designs"], by_year.get(year, [0] * len(data["designs"])), DESIGN_COLORS * 2):
            if count:
                h = height * count / top
                y -= h
                plot["rects"].append({"x": x + 1, "y": y, "w": bar_w - 2, "h": h, "fill": color,
                                      "title": f"{year}: {count} {design.replace('_', ' ')}"})
        if i % label_every == 0:
            plot["texts"].append({"x": x + bar_w / 2, "y": 20 + height + 16, "text": str(year), "anchor": "middle"})
    plot["legend"] = [{"label": d.replace("_", " "), "fill": c} for d, c in zip(data["designs"], DESIGN_COLORS * 2)]
    return plot


def plots(numbers: dict[str, Any], directions: list[str]) -> list[dict[str, Any]]:
    """The plots that have data to show (the year plot only when years are known)."""
    return [p for p in (outcome_directions(numbers, directions), sample_sizes(numbers), design_years(numbers)) if p]
