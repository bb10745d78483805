"""A synthetic tracking table for a whole country (31 provinces × 8–14 indicators × 2 years) and the
records it names, with sentences: fast to build, realistic in size, every status, units in several
magnitudes (亿斤, 万人, 万亩, 亿元, 万家, %), ranges of indicators from one province to the next."""

from __future__ import annotations

from typing import Any

import polars as pl

from kpi.record import make_record_id

_INDICATORS = (  # (indicator_id, unit, target, comparator words, comparator)
    ("gdp_growth", "percent", 5.5, "左右", "~"),
    ("urban_new_jobs", "person", 700000.0, "以上", ">="),
    ("grain_output", "jin", 616e8, "左右", "~"),
    ("grain_area", "mu", 7140e4, "以上", ">="),
    ("cpi_growth", "percent", 2.0, "左右", "~"),
    ("urban_surveyed_unemployment_rate", "percent", 5.5, "左右", "~"),
    ("energy_intensity_change", "percent", -2.5, "左右", "~"),
    ("foreign_trade", "CNY", 9000e8, "以上", ">="),
    ("high_tech_enterprises", "count", 18000.0, "以上", ">="),
    ("rd_intensity", "percent", 2.6, "", "="),
    ("public_budget_revenue_growth", "percent", 3.0, "", "="),
    ("retail_sales_growth", "percent", 5.0, "左右", "~"),
    ("fixed_asset_investment_growth", "percent", 4.0, "", "="),
    ("industrial_value_added_growth", "percent", 6.0, "左右", "~"),
)
_YEARS = (2025, 2026)


def provinces() -> list[str]:
    from kpi.taxonomy import gazetteer

    mainland = [r for r in gazetteer().regions if r.level == "province" and (r.code or "9") < "700000"]
    return [r.name for r in mainland]


def _side(kind: str, region: str, year: int, iid: str, value: float, unit: str, words: str) -> dict[str, Any]:
    from kpi.tracking.units_zh import say

    counter = "家" if unit == "count" else None
    mention = say(value, unit, counter=counter) + words
    doc = f"{region}-{year + (kind == 'actual')}"
    rid = make_record_id(doc, [s[0] for s in _INDICATORS].index(iid), int(kind == "actual"))
    lead = "今年经济社会发展的主要预期目标是：" if kind == "target" else "过去一年，"
    sentence = f"{lead}地区生产总值增长5%左右，{iid}达到{mention}，城镇调查失业率5.5%左右，居民收入增长和经济增长同步。"
    return {"record_id": rid, "doc_id": doc, "mention": mention, "sentence": sentence}


def _country_row(
    region: str, year: int, n: int, spec: tuple[str, str, float, str, str]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One tracking row (statuses cycle: met, missed, unclear, unclear with conflicts; pending in 2026)
    and its target and result records."""
    iid, unit, value, words, comparator = spec
    status = "pending" if year == _YEARS[-1] else ("met", "missed", "unclear", "unclear", "met")[n % 5]
    direction = (
        "lower"
        if iid in ("cpi_growth", "urban_surveyed_unemployment_rate", "energy_intensity_change")
        else "higher"
    )
    good = 1 if direction == "higher" else -1
    actual = {"met": value + good * abs(value) * 0.03, "missed": value - good * abs(value) * 0.2}.get(status)
    conflicts = [value * 0.97, value * 1.04] if status == "unclear" and n % 5 == 3 else []
    actual = conflicts[0] if conflicts else actual
    target = _side("target", region, year, iid, value * (1 + n % 7 / 50), unit, words)
    result = _side("actual", region, year, iid, actual, unit, "") if actual is not None else None
    row = {
        "region": region, "indicator_id": iid, "period_year": year, "direction": direction,
        "target_value": value * (1 + n % 7 / 50), "target_value_max": None, "target_unit": unit,
        "target_comparator": comparator, "target_record_id": target["record_id"],
        "target_doc_id": target["doc_id"], "target_mention": target["mention"], "actual_value": actual,
        "actual_record_id": result and result["record_id"], "actual_doc_id": result and result["doc_id"],
        "actual_mention": result and result["mention"], "actual_conflicts": conflicts, "status": status,
    }  # fmt: skip
    return row, [target] + ([result] if result else [])


def country_table(regions: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A tracking table for `regions` × 14 indicators × 2 years, and the records it names (sentences)."""
    from kpi.tracking import tracking_polars_schema

    rows, records = [], []
    for r, region in enumerate(regions):
        for i, spec in enumerate(_INDICATORS[: 8 + r % 7]):  # provinces track 8 to 14 indicators
            for year in _YEARS:
                row, recs = _country_row(region, year, r + i, spec)
                rows.append(row)
                records += recs
    return pl.DataFrame(rows, schema=tracking_polars_schema()), pl.DataFrame(records)
