"""`report.html`: the page a person opens to see which targets were met, from one region to 31 and more.

Top to bottom: an overview matrix of regions × indicators for a chosen year (cells coloured by status,
target and result on hover, a click leads to the chart), an index of regions with counts by status, a
section per region with small multiples (a light SVG chart per indicator, values in words), and one
table of every target with the sentences of both sides, sortable and filterable.

The page is self-contained and works offline: inline SVG, inline style and script, nothing names a
network resource. With `records` (the frame the table was built from) the table shows the sentences
the target and the result were read from; without (the stream's report) it shows the mentions only.
"""

from __future__ import annotations

import html
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from kpi.io.atomic import write_text_atomic
from kpi.taxonomy import gazetteer, taxonomy
from kpi.tracking.chart import Point, chart_scale, chart_svg
from kpi.tracking.report_assets import CSS, SCRIPT, SYMBOLS
from kpi.tracking.report_table import sentences_of, table_html
from kpi.tracking.schema import STATUSES
from kpi.tracking.units_zh import counter_of

Row = dict[str, Any]
_NAV = (
    '<nav class="top"><a href="#overview">Overview</a><a href="#regions">Regions</a>'
    '<a href="#charts">Charts</a><a href="#table">Table</a></nav>'
)


def write_report(
    tracking: pl.DataFrame,
    path: str | os.PathLike[str],
    *,
    records: pl.DataFrame | None = None,
    title: str = "KPI targets and results",
) -> Path:
    """Write the report page for a tracking table (atomically and durably: kpi.io.atomic)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomic(target, render_report(tracking, records=records, title=title))


def render_report(
    tracking: pl.DataFrame, *, records: pl.DataFrame | None = None, title: str = "KPI targets and results"
) -> str:
    """The report page as a string."""
    rows = tracking.to_dicts()
    regions = region_order(r["region"] for r in rows)
    anchors = {region: f"r{i}" for i, region in enumerate(regions)}
    columns = indicator_order(rows)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f'<h1 id="top">{html.escape(title)}</h1>',
        _NAV,
        _summary(rows, regions),
        overview_html(rows, regions, anchors, columns),
        index_html(rows, regions, anchors),
        sections_html(rows, regions, anchors, columns),
        table_html(rows, sentences_of(records, rows), regions, columns),
        f"<script>{SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def region_order(names: Iterable[str]) -> list[str]:
    """Regions in the order of their division codes (全国 first, then 北京市 … 新疆), unknown ones last."""
    by_alias = gazetteer().by_alias

    def key(name: str) -> tuple[str, str]:
        region = by_alias.get(name)
        code = "" if region is not None and region.level == "country" else None
        if region is not None and region.code is not None:
            code = region.code
        return (code if code is not None else "999999", name)

    return sorted(set(names), key=key)


def short_name(region: str) -> str:
    """The short form a matrix row is labelled with (内蒙古 for 内蒙古自治区); the name when none."""
    found = gazetteer().by_alias.get(region)
    if found is None or found.full_name != region:
        return region
    shorter = [a for a in found.aliases if 2 <= len(a) < len(region)]
    return min(shorter, key=len) if shorter else region


def indicator_name(indicator_id: str) -> str:
    known = taxonomy().indicators
    return known[indicator_id].name_zh if indicator_id in known else indicator_id


def indicator_order(rows: Sequence[Row]) -> list[str]:
    """Indicators tracked in most regions first (then in the taxonomy's order), the same on every part
    of the page, so small multiples line up from one region to the next."""
    regions = Counter(i for _, i in {(r["region"], r["indicator_id"]) for r in rows})
    known = list(taxonomy().indicators)
    place = {iid: n for n, iid in enumerate(known)}
    return sorted(regions, key=lambda i: (-regions[i], place.get(i, len(known)), i))


def _counts(rows: Iterable[Row]) -> Counter[str]:
    return Counter(r["status"] for r in rows)


def _summary(rows: Sequence[Row], regions: Sequence[str]) -> str:
    if not rows:
        return '<p id="summary">No targets were found in the records.</p>'
    counts = _counts(rows)
    items = ", ".join(f'<span class="status s-{s}">{counts[s]} {s}</span>' for s in STATUSES)
    return (
        f'<p id="summary">{len(rows)} targets tracked in {len(regions)} '
        f"region{'s' if len(regions) != 1 else ''}: {items}.</p>"
    )


def _legend() -> str:
    words = {
        "met": "met the target",
        "missed": "missed it",
        "unclear": "next report gives no clear result",
        "pending": "no next report yet",
    }
    items = "".join(f'<span><i class="sw s-{s}"></i>{SYMBOLS[s]} {s}: {words[s]}</span>' for s in STATUSES)
    return f'<p class="legend">{items}</p>'


def default_year(rows: Sequence[Row]) -> int | None:
    """The year the overview opens on: the latest with a result (met or missed), else the latest."""
    judged = [r["period_year"] for r in rows if r["status"] in ("met", "missed")]
    years = judged or [r["period_year"] for r in rows]
    return max(years) if years else None


def overview_html(
    rows: Sequence[Row], regions: Sequence[str], anchors: dict[str, str], columns: Sequence[str]
) -> str:
    """One matrix per year (regions × the indicators with a target that year); buttons pick the year."""
    if not rows:
        return '<section id="overview"></section>'
    chosen = default_year(rows)
    years = sorted({r["period_year"] for r in rows})
    buttons = "".join(
        f'<button type="button" data-year="{y}" aria-pressed="{str(y == chosen).lower()}">{y}</button>'
        for y in years
    )
    parts = [
        '<section id="overview"><h2>Overview: targets by region and indicator</h2>',
        _legend(),
        f'<div class="years" aria-label="year">{buttons}</div>',
    ]
    parts += [_matrix(rows, y, y != chosen, regions, anchors, columns) for y in years]
    parts.append("</section>")
    return "\n".join(parts)


def _matrix(
    rows: Sequence[Row],
    year: int,
    hidden: bool,
    regions: Sequence[str],
    anchors: dict[str, str],
    columns: Sequence[str],
) -> str:
    cells = {(r["region"], r["indicator_id"]): r for r in rows if r["period_year"] == year}
    used = [c for c in columns if any(i == c for _, i in cells)]
    head = "".join(
        f'<th scope="col" title="{html.escape(indicator_name(c))}"><span>{html.escape(_clip(indicator_name(c)))}</span></th>'
        for c in used
    )
    body = []
    for region in regions:
        anchor = anchors[region]
        tds = "".join(_matrix_cell(cells.get((region, c)), anchor) for c in used)
        label = f'<a href="#{anchor}" title="{html.escape(region)}">{html.escape(short_name(region))}</a>'
        body.append(f'<tr><th scope="row">{label}</th>{tds}</tr>')
    return (
        f'<div class="wrap" data-year="{year}"{" hidden" if hidden else ""}>'
        f'<table class="matrix"><caption hidden>{year}</caption><thead><tr><th></th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _clip(name: str, most: int = 10) -> str:
    """A column heading short enough to stand upright: 数字经济核心产业增… (the whole name on hover)."""
    return name if len(name) <= most else name[: most - 1] + "…"


def _matrix_cell(row: Row | None, anchor: str) -> str:
    if row is None:
        return "<td></td>"
    status = row["status"]
    said = f"{row['region']} {indicator_name(row['indicator_id'])} {row['period_year']}\n"
    said += f"target: {row['target_mention']}\nresult: {row['actual_mention'] or '—'}\nstatus: {status}"
    href = f"#{anchor}-{row['indicator_id']}"
    return f'<td class="s-{status}"><a href="{href}" title="{html.escape(said)}">{SYMBOLS[status]}</a></td>'


def index_html(rows: Sequence[Row], regions: Sequence[str], anchors: dict[str, str]) -> str:
    """Every region, linked to its section, with its counts by status (all years)."""
    by_region: dict[str, Counter[str]] = {r: Counter() for r in regions}
    for r in rows:
        by_region[r["region"]][r["status"]] += 1
    items = []
    for region in regions:
        counts = by_region[region]
        numbers = "".join(f'<span class="n s-{s}" title="{s}">{counts[s] or "·"}</span>' for s in STATUSES)
        items.append(f'<li><a href="#{anchors[region]}">{html.escape(region)}</a>{numbers}</li>')
    heads = "".join(f'<span class="n s-{s}">{SYMBOLS[s]}</span>' for s in STATUSES)
    return (
        f'<section id="regions"><h2>Regions ({len(regions)})</h2>'
        f'<p class="legend">counts of targets by status, all years: {heads} = '
        f'{", ".join(STATUSES)}</p><ol class="index">{"".join(items)}</ol></section>'
    )


def sections_html(
    rows: Sequence[Row], regions: Sequence[str], anchors: dict[str, str], columns: Sequence[str]
) -> str:
    """A section per region: its counts and a chart per indicator, in the overview's column order."""
    groups: dict[str, dict[str, list[Row]]] = {r: {} for r in regions}
    for r in rows:
        groups[r["region"]].setdefault(r["indicator_id"], []).append(r)
    parts = ['<section id="charts">']
    for region in regions:
        by_indicator = groups[region]
        anchor = anchors[region]
        counts = _counts(r for series in by_indicator.values() for r in series)
        said = " · ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
        parts.append(
            f'<section class="region" id="{anchor}"><h2>{html.escape(region)}<small>{said}</small>'
            f'<small><a href="#table" data-region="{html.escape(region)}">rows in the table</a> · '
            '<a href="#overview">overview</a></small></h2><div class="multiples">'
        )
        parts += [_figure(anchor, c, by_indicator[c]) for c in columns if c in by_indicator]
        parts.append("</div></section>")
    parts.append("</section>")
    return "\n".join(parts)


def _figure(anchor: str, indicator_id: str, series: Sequence[Row]) -> str:
    """The indicator's chart (one per unit, should its targets be stated in different units)."""
    name = indicator_name(indicator_id)
    by_unit: dict[str, list[Row]] = {}
    for r in sorted(series, key=lambda r: r["period_year"]):
        by_unit.setdefault(r["target_unit"], []).append(r)
    labels, svgs = [], []
    for unit, same in by_unit.items():
        points = [_point(r) for r in same]
        counter = counter_of(same[0]["target_mention"]) if unit == "count" else None
        labels.append(chart_scale(points, unit, counter).label)
        svgs.append(chart_svg(points, unit=unit, counter=counter, label=f"{same[0]['region']} {name}"))
    return (
        f'<figure class="chart" id="{anchor}-{html.escape(indicator_id)}">'
        f'<figcaption><b title="{html.escape(name)} ({html.escape(indicator_id)})">{html.escape(name)}</b>'
        f'<span class="unit">{html.escape(" / ".join(labels))}</span></figcaption>{"".join(svgs)}</figure>'
    )


def _point(r: Row) -> Point:
    return Point(
        r["period_year"],
        r["target_value"],
        r["target_value_max"],
        r["actual_value"],
        tuple(r["actual_conflicts"] or ()),
        r["status"],
        r["target_mention"],
        r["actual_mention"] or "",
    )
