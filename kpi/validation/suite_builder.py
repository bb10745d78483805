"""Build the records expectation suite from the contract (kpi.record) and the vocabulary (units.toml).

The suite JSON is generated, never edited by hand, so the vocabulary and the suite cannot drift:

    python -m kpi.validation.suite_builder          # writes expectations/records.json and its packaged copy
    python -m kpi.validation.suite_builder --check  # exit 1 when either file differs from the build

Every expectation carries `meta.name` (short, stable: it is what a quarantined row's
`failed_expectations` lists) and `meta.why` (the rule it enforces). All of them are engine-neutral:
GX built-ins, and the custom map expectations of `kpi.validation.custom`, which have pandas and
Spark metrics. Conditional rules ("where dimension is count or person") use the custom
`…_where_b_in_set` expectations rather than a `row_condition` (see that module for why).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpi.record import COLUMNS, COMPARATORS, DIMENSIONS, KINDS, REQUIRED
from kpi.vocabulary import dimensions

SUITE_NAME = "records"
REPO_SUITE = Path("expectations") / "records.json"  # relative to the repository root
PACKAGE_SUITE = Path("expectations") / "records.json"  # relative to the kpi package

# Bounds of the rule book / issue; kept here as named data so the suite states them once.
PERCENT_RANGE = (-100.0, 1000.0)
PP_RANGE = (-100.0, 100.0)
TARGET_YEAR_OFFSETS = (-1, 30)  # a target's period_year within [published - 1, published + 30]
PERIOD_YEAR_RANGE = (1900, 2100)
COUNTED_DIMENSIONS = ("count", "person")
UNCOUNTED_DIMENSIONS = ("money", "percent", "pp")  # rule book: counter is null for money and percentages


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The closed unit sets of units.toml: dimension -> units, and unit -> dimension."""

    units_by_dimension: dict[str, tuple[str, ...]]

    @property
    def dimension_of(self) -> dict[str, str]:
        return {u: d for d, units in self.units_by_dimension.items() for u in units}

    @property
    def units(self) -> tuple[str, ...]:
        return tuple(u for units in self.units_by_dimension.values() for u in units)


def load_vocabulary() -> Vocabulary:
    """`[dimensions]` of units.toml as the vocabulary loads it (each code in one dimension, checked
    there), checked against kpi.record.DIMENSIONS."""
    dims = dimensions()
    if tuple(dims) != DIMENSIONS:
        raise ValueError(f"units.toml [dimensions] {tuple(dims)} != kpi.record.DIMENSIONS {DIMENSIONS}")
    return Vocabulary(dims)


def _doc(name: str, why: str) -> dict[str, Any]:
    """meta.name / meta.why, and a description for the Data Docs pages (GX renders it verbatim)."""
    return {"meta": {"name": name, "why": why}, "description": f"{name}: {why}"}


def _expectations(vocab: Vocabulary) -> list[Any]:
    """The suite's expectations, in report order: table, presence, sets, numbers, years."""
    from kpi.validation import custom
    from kpi.validation.gx import gxe

    return [
        *_table_expectations(gxe),
        *_set_expectations(gxe, custom, vocab),
        *_number_expectations(gxe, custom, _doc),
        *_span_and_year_expectations(gxe, custom, _doc),
    ]


def _table_expectations(gxe: Any) -> list[Any]:
    """The columns, the required ones, and the record id."""
    return [
        gxe.ExpectTableColumnsToMatchOrderedList(
            column_list=list(COLUMNS),
            **_doc("columns_match_schema", "SCHEMA.md §1: the record columns, in this order"),
        ),
        *(
            gxe.ExpectColumnValuesToNotBeNull(
                column=col, **_doc(f"{col}_not_null", f"SCHEMA.md §1: `{col}` is required (null: no)")
            )
            for col in COLUMNS
            if col in REQUIRED
        ),
        gxe.ExpectColumnValuesToBeUnique(
            column="record_id",
            **_doc("record_id_unique", "a record_id names one record; duplicates make joins ambiguous"),
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="record_id",
            regex=r"^[0-9a-f]{16}$",
            **_doc("record_id_format", "record_id is the first 16 hex digits of a sha256"),
        ),
    ]


def _set_expectations(gxe: Any, custom: Any, vocab: Vocabulary) -> list[Any]:
    """The closed sets: unit, dimension (and the one a unit fixes), comparator, kind, counter."""

    def in_set(column: str, values: Any, name: str, why: str) -> Any:
        return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values), **_doc(name, why))

    return [
        in_set(
            "unit", vocab.units, "unit_in_set", "unit is one of the closed set of units.toml [dimensions]"
        ),
        in_set(
            "dimension", DIMENSIONS, "dimension_in_set", "dimension is one of the closed set of SCHEMA.md"
        ),
        custom.ExpectColumnPairValuesToFollowMapping(
            column_A="unit",
            column_B="dimension",
            mapping=vocab.dimension_of,
            **_doc("unit_matches_dimension", "the dimension is fixed by the unit (units.toml [dimensions])"),
        ),
        in_set(
            "comparator",
            COMPARATORS,
            "comparator_in_set",
            "comparator is one of the closed set of SCHEMA.md §1 (kpi.record.COMPARATORS)",
        ),
        in_set("kind", KINDS, "kind_in_set", "kind is target or actual"),
        custom.ExpectColumnPairValuesAToBeNullWhereBInSet(
            column_A="counter",
            column_B="dimension",
            value_set=list(UNCOUNTED_DIMENSIONS),
            **_doc("counter_null_for_money_and_rates", "rule book §2: counter is null for money and rates"),
        ),
    ]


def _number_expectations(gxe: Any, custom: Any, doc: Any) -> list[Any]:
    counted = {"column_B": "dimension", "value_set": list(COUNTED_DIMENSIONS)}
    out = [
        custom.ExpectColumnPairValuesAToBeBetweenWhereBInSet(
            column_A="value",
            min_value=0,
            **counted,
            **doc("count_value_non_negative", "counts and persons cannot be negative"),
        ),
        custom.ExpectColumnPairValuesAToBeWholeWhereBInSet(
            column_A="value",
            **counted,
            **doc("count_value_whole", "counts and persons are whole numbers (magnitudes folded in)"),
        ),
        custom.ExpectColumnPairValuesAToBeWholeWhereBInSet(
            column_A="value_max",
            **counted,
            **doc("count_value_max_whole", "the high end of a range of counts is a whole number"),
        ),
    ]
    for unit, (low, high) in (("percent", PERCENT_RANGE), ("pp", PP_RANGE)):
        for col in ("value", "value_max"):
            out.append(
                custom.ExpectColumnPairValuesAToBeBetweenWhereBInSet(
                    column_A=col,
                    column_B="unit",
                    value_set=[unit],
                    min_value=low,
                    max_value=high,
                    **doc(f"{unit}_{col}_in_range", f"a `{unit}` {col} lies in [{low:g}, {high:g}]"),
                )
            )
    out += [
        custom.ExpectColumnPairValuesAToNotBeNullWhereBInSet(
            column_A="value_max",
            column_B="comparator",
            value_set=["between"],
            **doc("value_max_set_for_between", "a range (comparator between) has its high end in value_max"),
        ),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="value_max",
            column_B="value",
            or_equal=False,
            ignore_row_if="either_value_is_missing",
            **doc(
                "value_max_above_value", "the high end of a range lies above its low end: value_max > value"
            ),
        ),
        custom.ExpectColumnPairValuesAToBeNullWhereBInSet(
            column_A="value_max",
            column_B="comparator",
            value_set=[c for c in COMPARATORS if c != "between"],
            **doc("value_max_null_unless_between", "value_max is null unless the comparator is between"),
        ),
    ]
    return out


def _span_and_year_expectations(gxe: Any, custom: Any, doc: Any) -> list[Any]:
    low, high = TARGET_YEAR_OFFSETS
    return [
        gxe.ExpectColumnValuesToBeBetween(
            column="span_start",
            min_value=0,
            **doc("span_start_non_negative", "span_start is an offset into the normalised text"),
        ),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="span_end",
            column_B="span_start",
            or_equal=False,
            ignore_row_if="either_value_is_missing",
            **doc("span_end_after_start", "a mention is a non-empty span: span_end > span_start"),
        ),
        custom.ExpectSpanToMatchTextLength(
            column_list=["mention", "span_start", "span_end"],
            **doc("span_matches_mention", "normalised[span_start:span_end] == mention, so the lengths agree"),
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="period_year",
            min_value=PERIOD_YEAR_RANGE[0],
            max_value=PERIOD_YEAR_RANGE[1],
            **doc("period_year_plausible", f"period_year lies in {list(PERIOD_YEAR_RANGE)}"),
        ),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="period_year",
            column_B="period_start",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            **doc(
                "period_start_not_after_year",
                "a period starts no later than it ends: period_start <= period_year",
            ),
        ),
        custom.ExpectYearOffsetToBeBetweenWhere(
            column_list=["period_year", "published", "kind"],
            value_set=["target"],
            min_offset=low,
            max_offset=high,
            **doc(
                "target_year_in_horizon",
                f"a target's period_year lies in [published year {low:+d}, published year {high:+d}]; "
                "a target for a year long past is a misread year (rows without published skip)",
            ),
        ),
        custom.ExpectYearOffsetToBeBetweenWhere(
            column_list=["period_year", "published", "kind"],
            value_set=["actual"],
            max_offset=0,
            **doc(
                "actual_year_not_after_published",
                "a result cannot belong to a year after its publication (rows without published skip)",
            ),
        ),
    ]


def build_suite_dict() -> dict[str, Any]:
    """The suite as the JSON-able dict GX writes (`ExpectationSuite.to_json_dict()`)."""
    from kpi.validation.gx import ExpectationSuite

    vocab = load_vocabulary()
    expectations = _expectations(vocab)
    names = [e.meta["name"] for e in expectations]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate expectation names: {sorted(n for n in names if names.count(n) > 1)}")
    suite = ExpectationSuite(
        name=SUITE_NAME,
        expectations=expectations,
        meta={
            "kpi": "The record contract of SCHEMA.md §1 and ANNOTATION.md §2. Generated by "
            "`python -m kpi.validation.suite_builder` from kpi.record and kpi/vocab/units.toml; do not edit.",
        },
    )
    return suite.to_json_dict()


def render_suite() -> str:
    """The exact text of records.json (stable key order, final newline)."""
    return json.dumps(build_suite_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def suite_targets(repo_root: Path | None = None) -> list[Path]:
    """The two copies: the repository's `expectations/records.json` and the packaged one."""
    package_dir = Path(__file__).resolve().parents[1]
    root = repo_root or package_dir.parent
    return [root / REPO_SUITE, package_dir / PACKAGE_SUITE]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    from kpi.validation.gx import import_gx

    if not (suite_targets()[0].parents[1] / "pyproject.toml").is_file():
        print("run the suite builder from a source checkout of kpi (editable install)", file=sys.stderr)
        return 2
    import_gx()
    text = render_suite()
    stale = [p for p in suite_targets() if not p.exists() or p.read_text(encoding="utf-8") != text]
    if "--check" in args:
        for path in stale:
            print(f"stale: {path} (run python -m kpi.validation.suite_builder)", file=sys.stderr)
        return 1 if stale else 0
    for path in suite_targets():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
