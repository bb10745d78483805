"""A small SVG chart of one indicator's targets against its results, year by year, written by hand.

Made for small multiples inlined in `report.html`: real `<text>` (the page's CJK font stack draws it;
no glyph paths, no font files), colours and fonts from the page's style sheet (classes only), integer
coordinates, no ids and no namespace URL, so hundreds of charts stay light. Values are scaled to the
unit in words (亿斤, 万人, %) chosen for the whole chart: no offset notation, no unit codes.

Per year: the target as a blue dash (a bar for a range), the result as a dot coloured by status, any
conflicting results as crosses, a `?` beside an `unclear` target, and the status word under the year.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

from kpi.tracking.units_zh import Scale, plain, scale_for

STATUS_COLOURS = {"met": "#2e7d32", "missed": "#c62828", "unclear": "#ef6c00", "pending": "#757575"}
WIDTH, HEIGHT = 240, 132
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 8, 8, 30


@dataclass(frozen=True, slots=True)
class Point:
    """One tracked year: the target (a range when `target_max` is set) and what was reported."""

    year: int
    target: float
    target_max: float | None
    actual: float | None
    conflicts: tuple[float, ...]
    status: str
    target_text: str = ""
    actual_text: str = ""


@dataclass(frozen=True, slots=True)
class _Frame:
    """Where years and (scaled) values fall in the plot area."""

    years: tuple[int, ...]
    low: float
    high: float

    def x(self, year: int) -> int:
        span = self.years[-1] - self.years[0] + 1
        inner = WIDTH - _LEFT - _RIGHT
        return round(_LEFT + (year - self.years[0] + 0.5) / span * inner)

    def y(self, value: float) -> int:
        inner = HEIGHT - _TOP - _BOTTOM
        return round(_TOP + (self.high - value) / (self.high - self.low) * inner)


def chart_scale(points: Sequence[Point], unit: str, counter: str | None = None) -> Scale:
    """The unit in words (with 万/亿 when the values are large) the chart's axis is written in."""
    return scale_for(_values(points), unit, counter)


def chart_svg(points: Sequence[Point], *, unit: str, counter: str | None = None, label: str = "") -> str:
    """An inline <svg> of the targets and results by year; `label` is its accessible name."""
    scale = chart_scale(points, unit, counter)
    values = [v / scale.divisor for v in _values(points)]
    ticks = nice_ticks(min(values), max(values))
    years = tuple(sorted({p.year for p in points}))
    frame = _Frame(years, ticks[0], ticks[-1])
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{html.escape(label)}">',
        _axis(frame, ticks),
    ]
    parts += [_year(frame, p, scale) for p in sorted(points, key=lambda p: p.year)]
    parts.append("</svg>")
    return "".join(parts)


def _values(points: Sequence[Point]) -> list[float]:
    found = [p.target for p in points]
    found += [p.target_max for p in points if p.target_max is not None]
    found += [p.actual for p in points if p.actual is not None]
    found += [v for p in points for v in p.conflicts]
    return found


def nice_ticks(low: float, high: float, count: int = 3) -> list[float]:
    """Round tick values covering [low, high], about `count` steps of 1, 2, 2.5 or 5 × 10ⁿ.

    >>> nice_ticks(616, 620), nice_ticks(5, 5), nice_ticks(-3, -2.5)
    ([614, 616, 618, 620, 622], [4.5, 5.0, 5.5], [-3.2, -3.0, -2.8, -2.6, -2.4])
    """
    pad = (high - low) * 0.05 if high - low >= 1e-12 else abs(high) * 0.1 or 1.0
    low, high = low - pad, high + pad
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * 0.999)
    first = math.floor(low / step + 1e-9) * step
    n = math.ceil((high - first) / step - 1e-9)
    return [round(first + i * step, 10) for i in range(n + 1)]


def _axis(frame: _Frame, ticks: list[float]) -> str:
    right = WIDTH - _RIGHT
    grid = "".join(f"M{_LEFT} {frame.y(t)}H{right}" for t in ticks)
    labels = "".join(
        f'<text class="yt" x="{_LEFT - 4}" y="{frame.y(t) + 3}">{plain(t)}</text>' for t in ticks
    )
    return f'<path class="grid" d="{grid}"/>{labels}'


def _year(frame: _Frame, p: Point, scale: Scale) -> str:
    """The marks of one year, with a tooltip that says them in words."""
    x, div = frame.x(p.year), scale.divisor
    target = frame.y(p.target / div)
    marks = [f'<path class="tg" d="M{x - 10} {target}h20"/>']
    if p.target_max is not None:
        top = frame.y(p.target_max / div)
        marks.append(f'<path class="tg" d="M{x - 10} {top}h20M{x} {top}V{target}"/>')
    for v in p.conflicts[1:]:
        y = frame.y(v / div)
        marks.append(f'<path class="cross" d="M{x + 6} {y - 3}l6 6m0 -6l-6 6"/>')
    if p.actual is not None:
        marks.append(f'<circle class="dot s-{p.status}" cx="{x}" cy="{frame.y(p.actual / div)}" r="4"/>')
    if p.status == "unclear":
        marks.append(f'<text class="q" x="{x + 13}" y="{target + 4}">?</text>')
    base = HEIGHT - _BOTTOM
    marks.append(f'<text class="xt" x="{x}" y="{base + 12}">{p.year}</text>')
    marks.append(f'<text class="st s-{p.status}" x="{x}" y="{base + 24}">{p.status}</text>')
    return f"<g><title>{html.escape(_tooltip(p))}</title>{''.join(marks)}</g>"


def _tooltip(p: Point) -> str:
    said = f"{p.year}: target {p.target_text}"
    if p.actual_text:
        said += f", result {p.actual_text}"
    return f"{said} ({p.status})"
