"""expectations/tracking.json: a GX 1.x suite for the tracking table that loads whole and tells good from bad."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from kpi.tracking.schema import COLUMNS, tracking_polars_schema

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "expectations" / "tracking.json"
PACKAGED = ROOT / "kpi" / "expectations" / "tracking.json"


def _raw() -> dict[str, Any]:
    return json.loads(SUITE.read_text(encoding="utf-8"))


def test_packaged_copy_is_identical() -> None:
    assert PACKAGED.read_bytes() == SUITE.read_bytes()


def test_suite_file_is_what_the_builder_builds() -> None:
    """`python -m kpi.tracking.suite` regenerates it from the schema and the vocabulary."""
    pytest.importorskip("great_expectations")
    from kpi.tracking.suite import suite_json

    assert SUITE.read_text(encoding="utf-8") == suite_json()


def test_every_expectation_names_itself_and_says_why() -> None:
    names = [e["meta"]["name"] for e in _raw()["expectations"]]
    assert all(e["meta"].get("why") for e in _raw()["expectations"])
    assert len(names) == len(set(names))


def test_columns_expectation_matches_schema() -> None:
    first = _raw()["expectations"][0]
    assert first["type"] == "expect_table_columns_to_match_ordered_list"
    assert first["kwargs"]["column_list"] == list(COLUMNS)


def _row(**changes: Any) -> dict[str, Any]:
    row = {
        "region": "全国",
        "indicator_id": "gdp_growth",
        "period_year": 2022,
        "direction": "higher",
        "target_value": 5.5,
        "target_value_max": None,
        "target_unit": "percent",
        "target_comparator": "~",
        "target_record_id": "0123456789abcdef",
        "target_doc_id": "national-2022",
        "target_mention": "5.5%左右",
        "actual_value": 3.0,
        "actual_record_id": "fedcba9876543210",
        "actual_doc_id": "national-2023",
        "actual_mention": "3%",
        "actual_conflicts": [],
        "status": "missed",
    }
    row.update(changes)
    return row


GOOD = [
    _row(),
    _row(
        period_year=2023,
        status="pending",
        actual_value=None,
        actual_record_id=None,
        actual_doc_id=None,
        actual_mention=None,
    ),
    _row(period_year=2024, status="unclear", actual_conflicts=[3.0, 3.2]),
    _row(
        period_year=2025,
        target_comparator="between",
        target_value=6.0,
        target_value_max=6.5,
        status="met",
        actual_value=6.1,
    ),
    _row(
        indicator_id="cpi_growth",
        direction="lower",
        status="unclear",
        actual_value=None,
        actual_record_id=None,
        actual_doc_id=None,
        actual_mention=None,
    ),
]

BAD = {
    "status_in_set": _row(period_year=2029, status="done"),
    "pending_has_no_actual": _row(period_year=2030, status="pending", actual_record_id=None),
    "conflicts_imply_unclear": _row(period_year=2031, actual_conflicts=[3.0, 3.2]),
    "judged_has_actual": _row(period_year=2032, actual_value=None),
    "direction_in_set": _row(period_year=2033, direction="up"),
    "key_unique": _row(),
    "only_ranges_have_high_end": _row(period_year=2034, target_value_max=7.0),
    "range_high_end_not_below_low_end": _row(
        period_year=2035, target_comparator="between", target_value_max=5.0
    ),
}


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=tracking_polars_schema())


@pytest.fixture(scope="module")
def validate() -> Any:
    gx = pytest.importorskip("great_expectations")
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig

    import kpi.tracking.suite  # noqa: F401  registers the custom type before the suite loads

    logging.captureWarnings(False)
    raw = _raw()
    suite = ExpectationSuite(**raw)
    assert len(suite.expectations) == len(raw["expectations"])  # GX drops unknown types silently
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = ctx.data_sources.add_pandas("tracking_ds").add_dataframe_asset("tracking")
    definition = batch.add_batch_definition_whole_dataframe("whole")

    def run(frame: pl.DataFrame) -> dict[str, bool]:
        result = definition.get_batch(batch_parameters={"dataframe": frame.to_pandas()}).validate(suite)
        raised = [
            r.expectation_config.meta["name"]
            for r in result.results
            if r.exception_info.get("raised_exception")
        ]
        assert not raised, f"expectations raised: {raised}"
        return {r.expectation_config.meta["name"]: r.success for r in result.results}

    return run


def test_good_frame_passes(validate: Any) -> None:
    outcome = validate(_frame(GOOD))
    assert [name for name, ok in outcome.items() if not ok] == []


def test_empty_frame_passes(validate: Any) -> None:
    outcome = validate(_frame([]))
    assert [name for name, ok in outcome.items() if not ok] == []


@pytest.mark.parametrize("name", list(BAD))
def test_bad_row_fails_its_expectation(validate: Any, name: str) -> None:
    outcome = validate(_frame([*GOOD, BAD[name]]))
    assert outcome[name] is False
    assert [n for n, ok in outcome.items() if not ok] == [name]


def test_tracker_output_passes(validate: Any) -> None:
    """The tracker's own output on the gold-built records of the tracking corpus meets the suite."""
    import test_tracking_gold as g

    if not (g.CORPUS / "pairs.gold.jsonl").exists():
        pytest.skip("shared corpus not found")
    docs = {d["id"]: d for d in g._load("documents.jsonl")}
    records = g._gold_records(docs, g._load("pairs.gold.jsonl"), with_ids=True) + g._distractors(
        docs, with_ids=True
    )
    tracking = g.build_tracking(g._frame(records), documents=g._documents(docs))
    assert tracking.height == 41
    outcome = validate(tracking)
    assert [name for name, ok in outcome.items() if not ok] == []
