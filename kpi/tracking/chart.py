"""The one module that imports matplotlib: a small SVG chart of targets against results over the years.

The SVG is made to be inlined in an HTML page that works offline: no XML prolog, no namespace or
metadata URLs, text drawn as paths (no font files), deterministic ids and no date.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

STATUS_COLOURS = {"met": "#2e7d32", "missed": "#c62828", "unclear": "#ef6c00", "pending": "#757575"}
_RC: dict[str, Any] = {"svg.hashsalt": "kpi", "svg.fonttype": "path", "font.size": 8}
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(|href=")#([^)"]+)')  # references to ids: url(#x), xlink:href="#x"
_STRIP = (
    re.compile(r"<\?xml[^>]*\?>\s*"),
    re.compile(r"<!DOCTYPE[^>]*>\s*"),
    re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL),
    re.compile(r'\s+xmlns(:\w+)?="[^"]*"'),
)


@dataclass(frozen=True, slots=True)
class Point:
    """One tracked year: the target (a range when `target_max` is set) and what was reported."""

    year: int
    target: float
    target_max: float | None
    actual: float | None
    conflicts: tuple[float, ...]
    status: str


def chart_svg(points: Sequence[Point], *, unit: str, id_prefix: str = "") -> str:
    """An inline <svg> of the targets (bars for ranges) and results (coloured by status) by year.

    `id_prefix` keeps the element ids of several charts in one page apart."""
    with plt.rc_context(cast(Any, _RC)):
        fig, ax = plt.subplots(figsize=(4.6, 2.4))
        try:
            _draw(ax, points)
            ax.set_ylabel(unit)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(axis="y", linewidth=0.4, alpha=0.5)
            ax.margins(x=0.08, y=0.15)
            ax.legend(loc="best", fontsize=7, frameon=False)
            fig.tight_layout()
            buffer = io.StringIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None})
        finally:
            plt.close(fig)
    return _prefix_ids(_inline(buffer.getvalue()), id_prefix)


def _draw(ax: Any, points: Sequence[Point]) -> None:
    years = [p.year for p in points]
    ax.plot(
        years,
        [p.target for p in points],
        marker="_",
        markersize=16,
        markeredgewidth=2.2,
        linestyle=":",
        color="#1565c0",
        label="target",
    )
    for p in points:
        if p.target_max is not None:
            ax.vlines(p.year, p.target, p.target_max, color="#1565c0", linewidth=2.2)
    for status, colour in STATUS_COLOURS.items():  # one series per status, so the legend names them
        reported = [p for p in points if p.actual is not None and p.status == status]
        if reported:
            ax.scatter(
                [p.year for p in reported],
                [p.actual for p in reported],
                zorder=3,
                color=colour,
                label=f"result: {status}",
            )
    conflicting = [(p.year, v) for p in points for v in p.conflicts[1:]]
    if conflicting:
        ax.scatter(
            *zip(*conflicting, strict=True),
            marker="x",
            zorder=3,
            color=STATUS_COLOURS["unclear"],
            label="conflicting result",
        )
    if len(set(years)) == 1:
        ax.set_xlim(years[0] - 1, years[0] + 1)


def _prefix_ids(svg: str, prefix: str) -> str:
    if not prefix:
        return svg
    svg = _ID.sub(lambda m: f'id="{prefix}{m.group(1)}"', svg)
    return _REF.sub(lambda m: f"{m.group(1)}#{prefix}{m.group(2)}", svg)


def _inline(svg: str) -> str:
    for pattern in _STRIP:
        svg = pattern.sub("", svg)
    return svg.strip()
