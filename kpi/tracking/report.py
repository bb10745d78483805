"""`report.html`: targets against results, a chart per region and indicator and one sortable table.

The page is self-contained and works offline: charts are inline SVG, the few lines of script that sort
the table are inline, and nothing names a network resource.
"""

from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path
from typing import Any

import polars as pl

from kpi.taxonomy import taxonomy
from kpi.tracking.chart import STATUS_COLOURS, Point, chart_svg
from kpi.tracking.schema import STATUSES

_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #212121; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; } h3 { font-size: .95rem; margin: .2rem 0; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; border: 1px solid #e0e0e0; padding: .5rem; }
figure svg { width: 100%; max-width: 460px; height: auto; }
table { border-collapse: collapse; font-size: .85rem; }
th, td { border: 1px solid #e0e0e0; padding: .25rem .45rem; text-align: left; vertical-align: top; }
th { background: #f5f5f5; cursor: pointer; user-select: none; }
th[data-order=asc]::after { content: " \\25B2"; } th[data-order=desc]::after { content: " \\25BC"; }
.status { font-weight: 600; } .doc { color: #616161; font-size: .75rem; }
""" + "".join(f".status-{s} {{ color: {c}; }}\n" for s, c in STATUS_COLOURS.items())

_SORT_JS = """
document.querySelectorAll("table.sortable th").forEach((th, i) => th.addEventListener("click", () => {
  const body = th.closest("table").tBodies[0];
  const asc = th.dataset.order !== "asc";
  th.closest("tr").querySelectorAll("th").forEach(h => delete h.dataset.order);
  th.dataset.order = asc ? "asc" : "desc";
  const key = tr => tr.cells[i].dataset.sort ?? tr.cells[i].textContent;
  const num = v => (v.trim() === "" ? NaN : Number(v));
  const cmp = (x, y) => {
    const a = num(x), b = num(y);
    return !isNaN(a) && !isNaN(b) ? a - b : x.localeCompare(y);
  };
  [...body.rows].sort((r, s) => cmp(key(r), key(s)) * (asc ? 1 : -1)).forEach(r => body.appendChild(r));
}));
"""

_HEADERS = ("region", "indicator", "year", "direction", "status", "target", "result", "conflicting results")


def write_report(
    tracking: pl.DataFrame, path: str | os.PathLike[str], *, title: str = "KPI targets and results"
) -> Path:
    """Write the report page for a tracking table (atomically: a temporary file, then a rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html.tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(render_report(tracking, title=title))
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def render_report(tracking: pl.DataFrame, *, title: str = "KPI targets and results") -> str:
    """The report page as a string."""
    rows = tracking.sort("region", "indicator_id", "period_year").to_dicts()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        _summary(rows),
        _charts(rows),
        _table(rows),
        f"<script>{_SORT_JS}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _summary(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return '<p id="summary">No targets were found in the records.</p>'
    counts = {s: sum(r["status"] == s for r in rows) for s in STATUSES}
    items = ", ".join(f'<span class="status status-{s}">{counts[s]} {s}</span>' for s in STATUSES)
    return f'<p id="summary">{len(rows)} targets tracked: {items}.</p>'


def _name(indicator_id: str) -> str:
    known = taxonomy().indicators
    return f"{known[indicator_id].name_zh} ({indicator_id})" if indicator_id in known else indicator_id


def _charts(rows: list[dict[str, Any]]) -> str:
    """A section per region, a chart per indicator of it."""
    groups: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for r in rows:
        groups.setdefault(r["region"], {}).setdefault(r["indicator_id"], []).append(r)
    parts = ['<section id="charts">']
    for region, by_indicator in groups.items():
        parts.append(f'<h2>{html.escape(region)}</h2><div class="charts">')
        for indicator_id, series in by_indicator.items():
            points = [
                Point(
                    r["period_year"],
                    r["target_value"],
                    r["target_value_max"],
                    r["actual_value"],
                    tuple(r["actual_conflicts"] or ()),
                    r["status"],
                )
                for r in series
            ]
            svg = chart_svg(points, unit=series[0]["target_unit"], id_prefix=f"c{len(parts)}-")
            label = f"{region} {_name(indicator_id)}"
            parts.append(
                f'<figure class="chart" aria-label="{html.escape(label)}">'
                f"<h3>{html.escape(_name(indicator_id))}</h3>{svg}</figure>"
            )
        parts.append("</div>")
    parts.append("</section>")
    return "\n".join(parts)


def _cell(text: object, sort: object | None = None, cls: str = "") -> str:
    attrs = f' class="{cls}"' if cls else ""
    attrs += f' data-sort="{html.escape(str(sort))}"' if sort is not None else ""
    return f"<td{attrs}>{text}</td>"


def _side(mention: str | None, doc_id: str | None, record_id: str | None) -> str:
    if mention is None:
        return "—"
    source = f'<div class="doc">{html.escape(doc_id or "")} · {html.escape(record_id or "")}</div>'
    return f"{html.escape(mention)}{source}"


def _table(rows: list[dict[str, Any]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in _HEADERS)
    body = []
    for r in rows:
        conflicts = ", ".join(f"{v:g}" for v in r["actual_conflicts"] or ())
        cells = [
            _cell(html.escape(r["region"])),
            _cell(html.escape(_name(r["indicator_id"])), r["indicator_id"]),
            _cell(r["period_year"], r["period_year"]),
            _cell(html.escape(r["direction"])),
            _cell(r["status"], cls=f"status status-{r['status']}"),
            _cell(_side(r["target_mention"], r["target_doc_id"], r["target_record_id"]), r["target_value"]),
            _cell(
                _side(r["actual_mention"], r["actual_doc_id"], r["actual_record_id"]),
                r["actual_value"] if r["actual_value"] is not None else "",
            ),
            _cell(html.escape(conflicts)),
        ]
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        '<section id="table"><h2>Targets and results</h2>'
        f'<table class="sortable" id="tracking"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></section>"
    )
