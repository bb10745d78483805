"""The shipped expectation suite, expectation by expectation: a bad row fails it, a good row passes.

Every row of the two frames below is labelled in its `indicator` column (a free-text field no
expectation looks at), so the test can find it in `passed` or `quarantine`. All bad rows are validated
in one call and all good rows in another (GX is slow to set up, fast to run).
"""

from __future__ import annotations

import json
import logging
import warnings
from datetime import date
from typing import Any

import polars as pl
import pytest
from record_builders import PLAIN

from kpi.record import COLUMNS, QUARANTINE_SCHEMA, RECORD_SCHEMA, make_record_id, polars_schema
from kpi.validation import SchemaError, ValidationOutcome, default_suite_path, validate_records

SCHEMA = polars_schema(RECORD_SCHEMA)

# the seed 力争2023年建成1家省级研发平台 (indicator and span_start are set per row)
BASE: dict[str, Any] = {
    **PLAIN,
    "doc_id": "004_263125f143b17550",
    "published": date(2022, 11, 3),
    "sentence": "力争2023年建成1家省级研发平台。",
    "mention": "1家",
    "value": 1.0,
    "period_year": 2023,
    "period_start": 2023,
}
MONEY = {"unit": "CNY", "dimension": "money", "counter": None}
PERCENT = {"unit": "percent", "dimension": "percent", "counter": None}
PP = {"unit": "pp", "dimension": "pp", "counter": None}
RANGE = {"comparator": "between"}

# expectation name -> (overrides making a row fail it, overrides of a row that passes it)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    **{
        f"{col}_not_null": ({col: None}, {})
        for col in (
            "record_id",
            "doc_id",
            "sentence",
            "mention",
            "value",
            "unit",
            "dimension",
            "comparator",
            "kind",
        )
    },
    "span_start_not_null": ({"span_start": None, "span_end": 2}, {}),
    "span_end_not_null": ({"span_end": None}, {}),
    "record_id_unique": ({"record_id": "00000000000000aa"}, {}),  # two bad rows share the id
    "record_id_format": ({"record_id": "XYZ-not-a-hash"}, {"record_id": "0123456789abcdef"}),
    "unit_in_set": ({"unit": "furlong"}, {"unit": "t", "dimension": "physical", "counter": None}),
    "dimension_in_set": ({"dimension": "length"}, {}),
    "unit_matches_dimension": ({"unit": "CNY", "dimension": "count", "counter": None}, MONEY),
    "comparator_in_set": ({"comparator": "≈"}, {"comparator": "~"}),
    "kind_in_set": ({"kind": "plan"}, {"kind": "actual", "period_year": 2022}),
    "counter_null_for_money_and_rates": ({**MONEY, "counter": "元"}, MONEY),
    "count_value_non_negative": ({"value": -1.0}, {"value": 0.0}),
    "count_value_whole": ({"value": 1.5}, {"value": 12400.0}),
    "count_value_max_whole": ({**RANGE, "value_max": 2.5}, {**RANGE, "value_max": 3.0}),
    "percent_value_in_range": ({**PERCENT, "value": 1000.5}, {**PERCENT, "value": -100.0}),
    "percent_value_max_in_range": (
        {**PERCENT, **RANGE, "value": 5.0, "value_max": 1200.0},
        {**PERCENT, **RANGE, "value": 6.0, "value_max": 6.5},
    ),
    "pp_value_in_range": ({**PP, "value": 150.0}, {**PP, "value": -2.5}),
    "pp_value_max_in_range": (
        {**PP, **RANGE, "value": 5.0, "value_max": 101.0},
        {**PP, **RANGE, "value": 5.0, "value_max": 100.0},
    ),
    "value_max_set_for_between": ({**RANGE, "value_max": None}, {**RANGE, "value_max": 2.0}),
    "value_max_above_value": (
        {**RANGE, "value": 5.0, "value_max": 5.0},
        {**RANGE, "value": 5.0, "value_max": 6.0},
    ),
    "value_max_null_unless_between": ({"value_max": 2.0}, {**RANGE, "value_max": 2.0}),
    "span_start_non_negative": ({"span_start": -2, "span_end": 0}, {"span_start": 0, "span_end": 2}),
    "span_end_after_start": ({"span_start": 10, "span_end": 10, "mention": ""}, {}),
    "span_matches_mention": ({"span_start": 10, "span_end": 15}, {"mention": "超200个"}),
    "period_year_plausible": (
        {"period_year": 2300, "published": None},
        {"period_year": 1990, "published": None},
    ),
    # the seed: 力争2013年建成1家省级研发平台 in an article of 2022
    "target_year_in_horizon": ({"period_year": 2013}, {"period_year": 2021}),
    "actual_year_not_after_published": (
        {"kind": "actual", "period_year": 2023},
        {"kind": "actual", "period_year": 2022},
    ),
    # a 十四五 average: period_start 2021, period_year 2025; never a start after the end
    "period_start_not_after_year": ({"period_start": 2024}, {"period_start": 2019}),
}
TABLE_LEVEL = {"columns_match_schema"}  # judged on the frame, not on rows: tested apart


def row(label: str, position: int, overrides: dict[str, Any]) -> dict[str, Any]:
    """A record dict: BASE + overrides, a span of its own (so record_ids differ), labelled."""
    out = {**BASE, "indicator": label, "span_start": 100 * (position + 1), **overrides}
    if "period_start" not in overrides:  # a figure of one year unless the case says otherwise
        out["period_start"] = out["period_year"]
    if "span_end" not in overrides:
        out["span_end"] = out["span_start"] + len(out["mention"] or "")
    if "record_id" not in overrides:
        out["record_id"] = make_record_id(out["doc_id"] or "", out["span_start"] or 0, out["span_end"] or 0)
    return {c: out[c] for c in COLUMNS}


def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def suite_names() -> list[str]:
    raw = json.loads(default_suite_path().read_text(encoding="utf-8"))
    return [e["meta"]["name"] for e in raw["expectations"]]


@pytest.fixture(scope="module")
def bad() -> ValidationOutcome:
    rows = [row(f"{name}:bad", i, b) for i, (name, (b, _)) in enumerate(CASES.items())]
    rows.append(row("record_id_unique:bad", len(rows), CASES["record_id_unique"][0]))
    return validate_records(frame(rows))


@pytest.fixture(scope="module")
def good() -> ValidationOutcome:
    return validate_records(
        frame([row(f"{name}:good", i, g) for i, (name, (_, g)) in enumerate(CASES.items())])
    )


def failed_by_label(outcome: ValidationOutcome) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    for label, names in outcome.quarantine.select("indicator", "failed_expectations").iter_rows():
        out.setdefault(label, []).append(names)
    return out


def test_every_expectation_has_a_case() -> None:
    assert set(suite_names()) == set(CASES) | TABLE_LEVEL


@pytest.fixture(scope="module")
def reordered() -> dict[str, Any]:
    """GX's results for a frame whose columns are out of order (validate_records would conform it)."""
    from kpi.validation import gx

    rows = frame([row("reordered", 0, {})]).select(list(reversed(COLUMNS)))
    result = gx.run_suite(rows, gx.load_suite(default_suite_path()))
    return {r.expectation_config.meta["name"]: r for r in result.results}


@pytest.mark.parametrize("name", suite_names())
def test_bad_row_fails_its_expectation(name: str, bad: ValidationOutcome, reordered: dict[str, Any]) -> None:
    if name in TABLE_LEVEL:
        assert reordered[name].success is False
        assert not reordered[name].result.get("unexpected_index_list")  # judged on the table, not rows
        return
    failed = failed_by_label(bad).get(f"{name}:bad")
    assert failed, f"the bad row for {name} passed"
    assert all(name in names for names in failed), failed


@pytest.mark.parametrize("name", suite_names())
def test_good_row_passes(name: str, good: ValidationOutcome) -> None:
    if name in TABLE_LEVEL:
        assert good.results[name]["success"] is True
        return
    assert failed_by_label(good).get(f"{name}:good") is None, failed_by_label(good).get(f"{name}:good")
    assert f"{name}:good" in good.passed["indicator"].to_list()


def test_outcomes_are_clean(bad: ValidationOutcome, good: ValidationOutcome) -> None:
    for outcome in (bad, good):
        assert outcome.errors == []
        assert outcome.table_failures == []
    assert good.success and good.quarantine.height == 0
    assert bad.passed.height == 0
    assert bad.quarantine.height == len(CASES) + 1
    assert bad.quarantine["failed_expectations"].list.len().min() >= 1
    assert dict(bad.quarantine.schema) == dict(polars_schema(QUARANTINE_SCHEMA))
    assert dict(good.passed.schema) == dict(SCHEMA)


def test_duplicated_record_id_quarantines_every_copy(bad: ValidationOutcome) -> None:
    copies = bad.quarantine.filter(pl.col("record_id") == "00000000000000aa")
    assert copies.height == 2
    assert all("record_id_unique" in names for names in copies["failed_expectations"].to_list())


def test_results_summary_is_json_and_in_suite_order(bad: ValidationOutcome) -> None:
    json.dumps(bad.results)
    assert list(bad.results) == suite_names()
    assert bad.results["unit_in_set"]["unexpected_count"] == 1
    assert bad.results["record_id_unique"]["unexpected_count"] == 2
    assert bad.results["columns_match_schema"]["success"] is True


def test_failed_names_follow_suite_order(bad: ValidationOutcome) -> None:
    order = {n: i for i, n in enumerate(suite_names())}
    for names in bad.quarantine["failed_expectations"].to_list():
        assert names == sorted(names, key=order.__getitem__)
        assert len(set(names)) == len(names)


def test_split_keeps_order_and_drops_nothing() -> None:
    labels = [f"r{i}" for i in range(12)]
    rows = [row(lab, i, CASES["unit_in_set"][0] if i % 3 == 0 else {}) for i, lab in enumerate(labels)]
    outcome = validate_records(frame(rows))
    assert outcome.passed["indicator"].to_list() == [lab for i, lab in enumerate(labels) if i % 3]
    assert outcome.quarantine["indicator"].to_list() == [lab for i, lab in enumerate(labels) if i % 3 == 0]


def test_empty_frame() -> None:
    outcome = validate_records(pl.DataFrame(schema=SCHEMA))
    assert (outcome.passed.height, outcome.quarantine.height) == (0, 0)
    assert outcome.errors == [] and outcome.table_failures == []
    assert outcome.quarantine.columns == [*COLUMNS, "failed_expectations"]


def test_target_horizon_bounds_and_missing_published() -> None:
    cases = {
        "low edge": ({"period_year": 2021}, True),
        "too early": ({"period_year": 2020}, False),
        "high edge": ({"period_year": 2052}, True),
        "too late": ({"period_year": 2053}, False),
        "no published": ({"period_year": 2013, "published": None}, True),
        "no year": ({"period_year": None}, True),
        "actual past": ({"kind": "actual", "period_year": 1999}, True),
    }
    outcome = validate_records(frame([row(k, i, o) for i, (k, (o, _)) in enumerate(cases.items())]))
    passed = set(outcome.passed["indicator"].to_list())
    assert {k for k, (_, ok) in cases.items() if ok} == passed


def test_reordered_columns_are_a_schema_table_failure() -> None:
    """validate_records checks the columns in pyarrow, then validates the conformed frame."""
    rows = frame([row("a", 0, {})])
    outcome = validate_records(rows.select(list(reversed(COLUMNS))))
    assert outcome.table_failures == ["schema"]
    assert outcome.results["schema"]["problems"] == [f"columns out of order: expected {', '.join(COLUMNS)}"]
    assert outcome.passed.columns == list(COLUMNS) and outcome.passed.height == 1


def test_castable_type_drift_is_a_table_failure() -> None:
    rows = frame([row("a", 0, {})]).with_columns(pl.col("period_year").cast(pl.Int64))
    outcome = validate_records(rows)
    assert outcome.table_failures == ["schema"]
    assert outcome.results["schema"]["problems"] == ["column `period_year` is int64, expected int32"]
    assert outcome.passed.schema["period_year"] == pl.Int32


def test_missing_column_raises_schema_error() -> None:
    with pytest.raises(SchemaError, match="unit"):
        validate_records(frame([row("a", 0, {})]).drop("unit"))


def test_warnings_stay_visible_after_validation() -> None:
    """GX calls logging.captureWarnings(True) on import, which hides every warning of the process."""
    validate_records(frame([row("a", 0, {})]))
    assert logging._warnings_showwarning is None  # type: ignore[attr-defined]  # capture is off
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("still visible", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["still visible"]
