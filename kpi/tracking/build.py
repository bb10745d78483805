"""Records -> the tracking table: each target of a (region, indicator, year) against the next report's result.

>>> from kpi.record import polars_schema
>>> build_tracking(pl.DataFrame(schema=polars_schema())).columns == list(COLUMNS)
True
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import polars as pl

from kpi.taxonomy import indicator, normalise_region
from kpi.tracking.prepare import check_columns, prepare
from kpi.tracking.rules import Outcome, Quantity, judge
from kpi.tracking.schema import COLUMNS, tracking_polars_schema

Key = tuple[str, str, int]  # (region, indicator_id, period_year)
_ORDER = ["published", "doc_id", "span_start"]  # text order, reports in date order


def build_tracking(records: pl.DataFrame, *, documents: pl.DataFrame | None = None) -> pl.DataFrame:
    """The tracking table of SCHEMA.md §5, one row per (region, indicator_id, period_year) with a target.

    `documents` (columns `id` or `doc_id`, `published`, `region`) tells which reports exist when some
    yielded no record; the records' own documents always count."""
    rows = prepare(records).filter(
        pl.col("indicator_id").is_not_null()
        & pl.col("region").is_not_null()
        & pl.col("period_year").is_not_null()
    )
    reports = report_years(records, documents)
    results = _results_by_key(rows)
    out = [_track(t, results.get(_key(t), []), reports) for t in _targets(rows).iter_rows(named=True)]
    frame = pl.DataFrame(out, schema=tracking_polars_schema())
    return frame.sort("region", "period_year", "indicator_id")


def report_years(records: pl.DataFrame, documents: pl.DataFrame | None = None) -> set[tuple[str, int]]:
    """The (region, year) of every report known: those of the records, and of `documents` if given."""
    frames = [records.select("region", "published")]
    if documents is not None:
        check_columns(documents, ("published", "region"), what="documents")
        frames.append(documents.select("region", pl.col("published").cast(pl.Date, strict=False)))
    seen: set[tuple[str, int]] = set()
    for frame in frames:
        for region, published in (
            frame.with_columns(pl.col("published").cast(pl.Date, strict=False)).unique().rows()
        ):
            canonical = normalise_region(region)
            if canonical is not None and published is not None:
                seen.add((canonical, published.year))
    return seen


def _key(row: dict[str, Any]) -> Key:
    return (row["region"], row["indicator_id"], row["period_year"])


def _targets(rows: pl.DataFrame) -> pl.DataFrame:
    """One target per key: from the report of the target's year if there is one, else the earliest;
    in it the first statement (the 主要预期目标 paragraph comes before the detail)."""
    candidates = rows.filter(
        (pl.col("kind") == "target")
        & ~pl.col("is_span")
        & (pl.col("pub_year").is_null() | (pl.col("pub_year") <= pl.col("period_year")))
    )
    own_year = (pl.col("pub_year") != pl.col("period_year")).fill_null(True).alias("_other_year")
    return (
        candidates.with_columns(own_year)
        .sort(["_other_year", *_ORDER], nulls_last=True)
        .unique(["region", "indicator_id", "period_year"], keep="first", maintain_order=True)
    )


def _results_by_key(rows: pl.DataFrame) -> dict[Key, list[dict[str, Any]]]:
    """The results for each key from reports of the following year, in text order.

    A result is an `actual`, or a `target` for the year before its report's: an estimate in a review
    (预计全年增长5%左右), which the rule book lets the extractor call either."""
    results = rows.filter(
        pl.col("kind").is_in(["actual", "target"])
        & ~pl.col("is_span")
        & (pl.col("pub_year") == pl.col("period_year") + 1)
    ).sort(_ORDER)
    by_key: dict[Key, list[dict[str, Any]]] = defaultdict(list)
    for row in results.iter_rows(named=True):
        by_key[_key(row)].append(row)
    return by_key


def _quantity(row: dict[str, Any]) -> Quantity:
    return Quantity(
        row["record_id"],
        row["doc_id"],
        row["mention"],
        row["value"],
        row["value_max"],
        row["unit"],
        row["comparator"],
    )


def _track(
    target: dict[str, Any], results: list[dict[str, Any]], reports: set[tuple[str, int]]
) -> dict[str, Any]:
    """One row of the tracking table."""
    direction = indicator(target["indicator_id"]).direction
    next_report = (target["region"], target["period_year"] + 1) in reports
    outcome = judge(_quantity(target), direction, [_quantity(r) for r in results], next_report=next_report)
    return {
        "region": target["region"],
        "indicator_id": target["indicator_id"],
        "period_year": target["period_year"],
        "direction": direction,
        "target_value": target["value"],
        "target_value_max": target["value_max"],
        "target_unit": target["unit"],
        "target_comparator": target["comparator"],
        "target_record_id": target["record_id"],
        "target_doc_id": target["doc_id"],
        "target_mention": target["mention"],
        **_actual_columns(outcome),
        "status": outcome.status,
    }


def _actual_columns(outcome: Outcome) -> dict[str, Any]:
    a = outcome.actual
    return {
        "actual_value": outcome.actual_value,
        "actual_record_id": a.record_id if a else None,
        "actual_doc_id": a.doc_id if a else None,
        "actual_mention": a.mention if a else None,
        "actual_conflicts": list(outcome.conflicts),
    }


__all__ = ["COLUMNS", "build_tracking", "report_years"]
