"""Every status rule of corpus/tracking/README.md, on hand-built records."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest
from record_builders import percent_record

from kpi.record import Record, make_record_id, polars_schema, records_to_arrow
from kpi.tracking import build_tracking, tracking_polars_schema
from kpi.tracking.prepare import MissingColumnsError, mention_offsets
from kpi.tracking.rules import Quantity, compare, judge

# --- the rules as functions ----------------------------------------------------------------------------


def q(value: float, comparator: str = "=", unit: str = "percent", value_max: float | None = None) -> Quantity:
    return Quantity(f"r{value}", "doc", f"{value}", value, value_max, unit, comparator)


# (target value, comparator, value_max, direction, result, status): the README's worked examples first
RULES = [
    (5.5, "~", None, "higher", 3, "missed"),  # 2022 GDP: |3 - 5.5| = 2.5 > 0.275
    (-2.5, "~", None, "lower", -3, "met"),  # 2024 energy intensity: -3 <= -2.5
    (3, "~", None, "lower", 0.2, "met"),  # 2023 CPI: undershooting a price target is no miss
    (-3, ">=", None, "lower", -3.2, "met"),  # 下降3%以上: >= swapped to <=
    (-3, ">=", None, "lower", -2.9, "missed"),
    (5.5, "~", None, "higher", 5.3, "met"),  # within 5 %
    (5.5, "~", None, "higher", 5.2, "missed"),
    (5.5, "~", None, "higher", 5.225, "met"),  # exactly 5 % below: decimal arithmetic, not float
    (5.5, "~", None, "lower", 5.775, "met"),
    (5.5, "~", None, "lower", 5.8, "missed"),
    (5, ">=", None, "higher", 5, "met"),
    (5, ">=", None, "higher", 4.99, "missed"),
    (5, ">", None, "higher", 5, "missed"),
    (5, ">", None, "higher", 5.01, "met"),
    (5.5, "<=", None, "lower", 5.5, "met"),
    (5.5, "<=", None, "lower", 5.6, "missed"),
    (5.5, "<", None, "lower", 5.5, "missed"),
    (5.5, "<", None, "lower", 5.4, "met"),
    (5, "=", None, "higher", 5, "met"),  # plain: on the good side
    (5, "=", None, "higher", 4.9, "missed"),
    (5, "=", None, "higher", 7, "met"),
    (2.8, "=", None, "lower", 2.8, "met"),
    (2.8, "=", None, "lower", 2.9, "missed"),
    (6, "between", 6.5, "higher", 6.1, "met"),
    (6, "between", 6.5, "higher", 7, "met"),
    (6, "between", 6.5, "higher", 5.9, "missed"),
    (2, "between", 3, "lower", 2.9, "met"),
    (2, "between", 3, "lower", 3.1, "missed"),
    (-3, ">", None, "lower", -3.5, "met"),  # 降幅超过3%: > swapped to <
    (-3, ">", None, "lower", -3, "missed"),
    (-3, "<=", None, "lower", -2, "met"),  # 下降不超过3%: <= swapped to >=
    (0.3, ">=", None, "higher", 0.1 + 0.2, "met"),  # a relative slack of 1e-9
    (0.3, "<=", None, "lower", 0.1 + 0.2, "met"),
    (11000000, ">=", None, "higher", 12060000, "met"),
    (616e8, "~", None, "higher", 620e8, "met"),
]


@pytest.mark.parametrize(
    ("v", "comparator", "vmax", "direction", "a", "status"),
    RULES,
    ids=[f"{c[1]}{c[0]}-{c[3]}-{c[4]}" for c in RULES],
)
def test_rule(v: float, comparator: str, vmax: float | None, direction: str, a: float, status: str) -> None:
    outcome = judge(q(v, comparator, value_max=vmax), direction, [q(a)], next_report=True)
    assert (outcome.status, outcome.actual_value, outcome.conflicts) == (status, a, ())


def test_compare_is_exact_with_relative_slack() -> None:
    assert compare(0.1 + 0.2, 0.3) == 0
    assert compare(5.225, 5.22501) == -1
    assert compare(1e12, 1e12 + 1e-3) == 0


def test_pending_when_no_next_report() -> None:
    outcome = judge(q(5.5, "~"), "higher", [q(5.2)], next_report=False)
    assert (outcome.status, outcome.actual, outcome.actual_value) == ("pending", None, None)


def test_unclear_when_no_numeric_result() -> None:
    outcome = judge(q(4.5), "higher", [], next_report=True)
    assert (outcome.status, outcome.actual, outcome.actual_value, outcome.conflicts) == (
        "unclear",
        None,
        None,
        (),
    )


def test_conflicting_results_are_unclear_and_all_kept_in_text_order() -> None:
    results = [q(1.7), q(2.5, ">="), q(1.7)]  # 增长1.7%（同口径增长2.5%以上）, then 1.7 again
    outcome = judge(q(2.5), "higher", results, next_report=True)
    assert (outcome.status, outcome.actual_value, outcome.conflicts) == ("unclear", 1.7, (1.7, 2.5))


def test_agreeing_duplicates_collapse_keeping_the_first_source() -> None:
    first, second = q(3.0), Quantity("other", "doc2", "3%", 3.0, None, "percent", "=")
    outcome = judge(q(2.5), "higher", [first, second], next_report=True)
    assert (outcome.status, outcome.actual, outcome.conflicts) == ("met", first, ())


@pytest.mark.parametrize(("target_unit", "result_unit"), [("percent", "pp"), ("jin", "t"), ("pp", "percent")])
def test_unconvertible_unit_is_unclear(target_unit: str, result_unit: str) -> None:
    result = q(0.9, unit=result_unit)
    outcome = judge(q(1, unit=target_unit), "higher", [result], next_report=True)
    assert (outcome.status, outcome.actual, outcome.actual_value) == ("unclear", result, None)


def test_result_in_the_target_unit_wins_over_one_in_another() -> None:
    outcome = judge(q(62.0), "higher", [q(0.9, unit="pp"), q(62.1)], next_report=True)
    assert (outcome.status, outcome.actual_value, outcome.conflicts) == ("met", 62.1, ())


# --- the rules on records ---------------------------------------------------------------------------------


def rec(
    kind: str,
    value: float,
    *,
    doc: str,
    published: str,
    year: int | None,
    at: int = 0,
    iid: str | None = "gdp_growth",
    sentence: str | None = None,
    mention: str | None = None,
    **fields: Any,
) -> Record:
    """A percent record whose mention stands in `sentence` (the mention alone unless given) at `at`."""
    mention = mention or f"{value:g}%"
    sentence = sentence or mention
    start = at + sentence.index(mention)
    return percent_record(
        kind,
        float(value),
        doc=doc,
        published=published,
        year=year,
        at=start,
        **{"indicator_id": iid, "sentence": sentence, "mention": mention, **fields},
    )


def frame(*records: Record) -> pl.DataFrame:
    return pl.from_arrow(records_to_arrow(list(records)))  # type: ignore[return-value]


def track(*records: Record, documents: list[tuple[str, str]] | None = None) -> list[dict[str, Any]]:
    docs = None
    if documents is not None:
        docs = pl.DataFrame(
            {"published": [date.fromisoformat(p) for p, _ in documents], "region": [r for _, r in documents]}
        )
    return build_tracking(frame(*records), documents=docs).to_dicts()


T22 = {"doc": "n2022", "published": "2022-03-05", "year": 2022}
R23 = {"doc": "n2023", "published": "2023-03-05", "year": 2022}


def test_met_and_source_of_both_sides() -> None:
    (row,) = track(rec("target", 5.5, comparator="~", **T22), rec("actual", 5.3, at=100, **R23))
    assert row["status"] == "met"
    assert (row["target_doc_id"], row["target_mention"], row["actual_doc_id"], row["actual_mention"]) == (
        "n2022",
        "5.5%",
        "n2023",
        "5.3%",
    )
    assert row["direction"] == "higher" and row["actual_conflicts"] == []


def test_result_may_arrive_before_its_target() -> None:
    rows = track(rec("actual", 5.3, at=100, **R23), rec("target", 5.5, comparator="~", **T22))
    assert [r["status"] for r in rows] == ["met"]


def test_pending_without_next_years_report_and_never_dropped() -> None:
    (row,) = track(rec("target", 5.5, comparator="~", **T22))
    assert (row["status"], row["actual_value"], row["actual_record_id"]) == ("pending", None, None)


def test_next_report_known_from_documents_is_unclear_without_a_result() -> None:
    (row,) = track(rec("target", 5.5, comparator="~", **T22), documents=[("2023-03-05", "全国")])
    assert (row["status"], row["actual_value"]) == ("unclear", None)


def test_next_report_known_from_any_of_its_records() -> None:
    other = rec("actual", 1206e4, at=50, iid="urban_new_jobs", unit="person", mention="1206万人", **R23)
    (gdp,) = track(rec("target", 5.5, comparator="~", **T22), other)
    assert (gdp["indicator_id"], gdp["status"]) == ("gdp_growth", "unclear")


def test_results_only_from_the_following_years_report_of_the_same_region() -> None:
    rows = track(
        rec("target", 5.5, comparator="~", **T22),
        rec("actual", 9.9, doc="n2024", published="2024-03-05", year=2022),  # two years later
        rec("actual", 9.9, doc="h2023", published="2023-01-14", year=2022, region="湖南省"),  # another region
        rec("actual", 9.9, at=300, doc="n2023", published="2023-03-05", year=2021),  # another year
        rec("actual", 3.0, at=100, **R23),
    )
    assert [(r["status"], r["actual_value"]) for r in rows] == [("missed", 3.0)]


def test_region_names_are_normalised() -> None:
    (row,) = track(
        rec("target", 5.5, comparator="~", region="湖南", doc="h2025", published="2025-01-14", year=2025),
        rec("actual", 4.8, region="湖南省", doc="h2026", published="2026-02-03", year=2025),
    )
    assert (row["region"], row["status"], row["actual_value"]) == ("湖南省", "missed", 4.8)


def test_conflicting_results_are_unclear_with_every_value_in_text_order() -> None:
    sentence = "地方一般公共预算收入达3507.6亿元、增长1.7%（同口径增长2.5%以上）"
    common = {
        "doc": "h2026",
        "published": "2026-02-03",
        "year": 2025,
        "region": "湖南省",
        "iid": "public_budget_revenue_growth",
    }
    rows = track(
        rec(
            "target",
            2.5,
            doc="h2025",
            published="2025-01-14",
            year=2025,
            region="湖南省",
            iid="public_budget_revenue_growth",
        ),
        rec("actual", 2.5, comparator=">=", sentence=sentence, mention="2.5%以上", at=1000, **common),
        rec("actual", 1.7, sentence=sentence, mention="1.7%", at=1000, **common),
    )
    assert [(r["status"], r["actual_value"], r["actual_conflicts"]) for r in rows] == [
        ("unclear", 1.7, [1.7, 2.5])
    ]


def test_agreeing_duplicate_results_collapse() -> None:
    rows = track(
        rec("target", 5.5, comparator="~", **T22),
        rec("actual", 5.3, at=900, **R23),
        rec("actual", 5.3, at=100, **R23),
    )
    assert [(r["status"], r["actual_conflicts"]) for r in rows] == [("met", [])]
    assert rows[0]["actual_record_id"] == make_record_id("n2023", 100, 104)  # the first in text order


def test_span_figures_are_not_results() -> None:
    rows = track(
        rec("target", 5.5, comparator="~", **T22),
        rec(
            "actual",
            5.2,
            sentence="国内生产总值增加到121万亿元，五年年均增长5.2%",
            mention="5.2%",
            at=10,
            **R23,
        ),
        rec(
            "actual",
            1270e4,
            sentence="城镇新增就业年均1270多万人",
            mention="1270多万人",
            unit="person",
            iid="urban_new_jobs",
            at=90,
            **R23,
        ),
        rec(
            "actual",
            3.0,
            sentence="全年国内生产总值增长3%，城镇新增就业1206万人",
            mention="3%",
            at=200,
            **R23,
        ),
    )
    assert [(r["indicator_id"], r["status"], r["actual_value"]) for r in rows] == [
        ("gdp_growth", "missed", 3.0)
    ]


def test_span_targets_are_not_targets() -> None:
    rows = track(
        rec(
            "target",
            5,
            comparator="between",
            value_max=5.5,
            sentence="地区生产总值年均增长5%—5.5%",
            mention="5%—5.5%",
            doc="h2026",
            published="2026-02-03",
            year=2030,
            region="湖南省",
        )
    )
    assert rows == []


def test_first_target_of_the_years_own_report_is_taken() -> None:
    rows = track(
        rec("target", 6.0, doc="n2021", published="2021-03-05", year=2022),  # an earlier report's plan
        rec("target", 5.0, at=900, **T22),  # restated later in the report
        rec("target", 5.5, comparator="~", at=100, **T22),
        rec("actual", 5.3, at=100, **R23),
    )
    assert [(r["target_value"], r["status"]) for r in rows] == [(5.5, "met")]


def test_indicator_id_filled_from_the_sentence() -> None:
    sentence = "全年国内生产总值增长3%，城镇新增就业1206万人，年末城镇调查失业率降到5.5%"
    rows = track(
        rec(
            "target",
            5.5,
            comparator="~",
            iid=None,
            sentence="国内生产总值增长5.5%左右",
            mention="5.5%左右",
            **T22,
        ),
        rec(
            "target",
            5.5,
            comparator="<=",
            iid=None,
            sentence="城镇调查失业率全年控制在5.5%以内",
            mention="5.5%以内",
            at=50,
            **T22,
        ),
        rec("actual", 3.0, iid=None, sentence=sentence, mention="3%", at=100, **R23),
        rec("actual", 5.5, iid=None, sentence=sentence, mention="5.5%", at=100, **R23),
    )
    got = [(r["indicator_id"], r["status"], r["actual_value"]) for r in rows]
    assert got == [("gdp_growth", "missed", 3.0), ("urban_surveyed_unemployment_rate", "met", 5.5)]


def test_unknown_indicator_ids_and_missing_years_are_skipped() -> None:
    rows = track(
        rec("target", 5.5, iid="no_such_indicator", **T22),
        rec("target", 5.5, doc="x", published="2022-03-05", year=None),
    )
    assert rows == []


def test_empty_records_give_an_empty_table_with_the_schema() -> None:
    out = build_tracking(pl.DataFrame(schema=polars_schema()))
    assert out.height == 0 and out.schema == tracking_polars_schema()


def test_output_schema_and_order() -> None:
    out = build_tracking(
        frame(
            rec("target", 5.0, comparator="~", doc="n2023", published="2023-03-05", year=2023),
            rec("target", 5.5, comparator="~", **T22),
            rec(
                "target",
                1100e4,
                comparator=">=",
                iid="urban_new_jobs",
                unit="person",
                mention="1100万人",
                at=40,
                **T22,
            ),
        )
    )
    assert out.schema == tracking_polars_schema()
    assert out.select("period_year", "indicator_id").rows() == [
        (2022, "gdp_growth"),
        (2022, "urban_new_jobs"),
        (2023, "gdp_growth"),
    ]


def test_quarantine_rows_are_read_too() -> None:
    quarantined = frame(rec("actual", 5.3, at=100, **R23)).with_columns(
        pl.lit(["period_year_plausible"]).alias("failed_expectations")
    )
    both = pl.concat(
        [
            frame(rec("target", 5.5, comparator="~", **T22)).with_columns(
                pl.lit([], dtype=pl.List(pl.String)).alias("failed_expectations")
            ),
            quarantined,
        ]
    )
    assert build_tracking(both)["status"].to_list() == ["met"]


def test_missing_columns_are_named() -> None:
    with pytest.raises(MissingColumnsError, match="kind, period_year"):
        build_tracking(frame(rec("target", 5.5, **T22)).drop("kind", "period_year"))


def test_mention_offsets_place_repeated_mentions_by_the_sentence_s_other_records() -> None:
    sentence = "增长5%，其中工业增长5%"
    rows = [("d", sentence, "5%", 102), ("d", sentence, "5%", 111), ("d", sentence, "工业", 107)]
    assert mention_offsets(rows) == [2, 11, 7]


def test_an_estimate_in_the_next_review_labelled_target_is_a_result() -> None:
    """预计全年地区生产总值增长5.5%左右 in a January review: the rule book accepts `target` for it."""
    sentence = "预计全年地区生产总值增长5.5%左右"
    common = {"region": "湖南省", "mention": "5.5%左右", "comparator": "~"}
    rows = track(
        rec("target", 5.5, doc="h2024", published="2024-01-20", year=2024, **common),
        rec("target", 5.5, doc="h2025", published="2025-01-14", year=2024, sentence=sentence, **common),
        rec("target", 5.5, doc="h2025", published="2025-01-14", year=2025, at=900, **common),
    )
    assert [(r["period_year"], r["status"], r["actual_doc_id"]) for r in rows] == [
        (2024, "met", "h2025"),
        (2025, "pending", None),
    ]
