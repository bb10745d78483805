"""The table of `report.html`: every target with the sentences of both sides and their documents.

Rows carry their region, indicator, year and status as data attributes for the filters (select boxes
above the table); cells carry a sort key (`data-sort`) where the text would sort badly.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from kpi.taxonomy import taxonomy
from kpi.tracking.report_assets import SYMBOLS
from kpi.tracking.schema import STATUSES
from kpi.tracking.units_zh import counter_of, say

Row = dict[str, Any]
HEADERS = ("region", "indicator", "year", "status", "target", "result", "conflicting results")
_LONG = 100  # a longer sentence is shown around its mention (_BEFORE characters before, _AFTER after),
_BEFORE, _AFTER = 45, 35  # the whole of it on hover


def sentences_of(records: pl.DataFrame | None, rows: Sequence[Row]) -> dict[str, tuple[str, str]]:
    """(sentence, mention) of each record the tracking rows name; empty without records."""
    if records is None or "sentence" not in records.columns or not rows:
        return {}
    wanted = {r[c] for r in rows for c in ("target_record_id", "actual_record_id") if r[c]}
    found = records.filter(pl.col("record_id").is_in(list(wanted))).unique("record_id", keep="first")
    return {rid: (s or "", m or "") for rid, s, m in found.select("record_id", "sentence", "mention").rows()}


def excerpt(sentence: str, mention: str) -> str:
    """The sentence as HTML (a `div`) with its mention marked; a long one cut around the mention (…),
    whole in its tooltip.

    >>> excerpt("国内生产总值增长5%左右。", "5%左右")
    '<div class="snt">国内生产总值增长<mark>5%左右</mark>。</div>'
    """
    at = sentence.find(mention) if mention else -1
    if at < 0:
        at, mention = 0, ""
    start, end = 0, len(sentence)
    if len(sentence) > _LONG:
        start, end = max(0, at - _BEFORE), min(len(sentence), at + len(mention) + _AFTER)
    head = ("…" if start else "") + html.escape(sentence[start:at])
    tail = html.escape(sentence[at + len(mention) : end]) + ("…" if end < len(sentence) else "")
    marked = f"<mark>{html.escape(mention)}</mark>" if mention else ""
    whole = f' title="{html.escape(sentence)}"' if (start, end) != (0, len(sentence)) else ""
    return f'<div class="snt"{whole}>{head}{marked}{tail}</div>'


def _side(row: Row, side: str, sentences: Mapping[str, tuple[str, str]]) -> str:
    mention = row[f"{side}_mention"]
    if mention is None:
        return '<td class="side" data-sort="">—</td>'
    value = row[f"{side}_value"]
    sort = "" if value is None else repr(float(value))
    parts = [f'<div class="said">{html.escape(mention)}</div>']
    sentence = sentences.get(row[f"{side}_record_id"] or "")
    if sentence is not None and sentence[0]:
        parts.append(excerpt(*sentence))
    parts.append(f'<div class="doc">{html.escape(row[f"{side}_doc_id"] or "")}</div>')
    return f'<td class="side" data-sort="{sort}">{"".join(parts)}</td>'


def _conflicts(row: Row) -> str:
    counter = counter_of(row["target_mention"]) if row["target_unit"] == "count" else None
    return "、".join(say(v, row["target_unit"], counter=counter) for v in row["actual_conflicts"] or ())


def _names() -> Mapping[str, Any]:
    return taxonomy().indicators


def _tr(row: Row, sentences: Mapping[str, tuple[str, str]]) -> str:
    known = _names()
    iid, status = row["indicator_id"], row["status"]
    name = known[iid].name_zh if iid in known else iid
    arrow = "↑" if row["direction"] == "higher" else "↓"
    region = html.escape(row["region"])
    better = f'title="{html.escape(iid)}: {row["direction"]} is better"'
    cells = [
        f"<td>{region}</td>",
        f'<td data-sort="{html.escape(iid)}" {better}>{html.escape(name)} {arrow}</td>',
        f"<td>{row['period_year']}</td>",
        f'<td class="status s-{status}">{SYMBOLS[status]} {status}</td>',
        _side(row, "target", sentences),
        _side(row, "actual", sentences),
        f"<td>{html.escape(_conflicts(row))}</td>",
    ]
    data = f'data-region="{region}" data-indicator="{html.escape(iid)}" data-year="{row["period_year"]}"'
    return f'<tr {data} data-status="{status}">{"".join(cells)}</tr>'


def _select(column: str, label: str, options: Sequence[tuple[str, str]]) -> str:
    items = "".join(f'<option value="{html.escape(v)}">{html.escape(t)}</option>' for v, t in options)
    return f'<label>{label} <select data-col="{column}"><option value="">all</option>{items}</select></label>'


def _filters(rows: Sequence[Row], regions: Sequence[str], columns: Sequence[str]) -> str:
    known = _names()
    years = sorted({str(r["period_year"]) for r in rows})
    selects = [
        _select("region", "Region", [(r, r) for r in regions]),
        _select("indicator", "Indicator", [(c, known[c].name_zh if c in known else c) for c in columns]),
        _select("year", "Year", [(y, y) for y in years]),
        _select("status", "Status", [(s, s) for s in STATUSES]),
    ]
    return f'<div class="filters">{"".join(selects)}<output id="shown">{len(rows)} rows</output></div>'


def table_html(
    rows: Sequence[Row],
    sentences: Mapping[str, tuple[str, str]],
    regions: Sequence[str],
    columns: Sequence[str],
) -> str:
    """The section with the filters and the sortable table (click a header)."""
    place_r = {r: n for n, r in enumerate(regions)}
    place_c = {c: n for n, c in enumerate(columns)}
    ordered = sorted(rows, key=lambda r: (place_r[r["region"]], place_c[r["indicator_id"]], r["period_year"]))
    head = "".join(f"<th>{h}</th>" for h in HEADERS)
    body = "\n".join(_tr(r, sentences) for r in ordered)
    return (
        '<section id="table"><h2>Targets and results</h2>'
        '<p class="legend">Each target with the sentence it was read from and the result the next '
        "report gives for the same year; choose a region, indicator, year or status, or click a header "
        "to sort.</p>"
        f"{_filters(rows, regions, columns)}"
        f'<div class="wrap"><table class="rows" id="tracking"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div></section>"
    )
