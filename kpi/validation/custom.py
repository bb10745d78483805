"""Custom Great Expectations for the record contract, where no built-in fits or fits fast enough.

All are row-wise map expectations (GX reports `unexpected_index_list`, honours `mostly`), with one
metric function per engine: pandas and Spark. Defining a class registers it with GX (through its
metaclass), so this module must be imported before a suite that uses these types is loaded;
otherwise GX silently drops those expectations (kpi.validation.gx does both and counts).

Why the `…_where_b_in_set` family instead of built-ins with a `row_condition`: on pandas GX applies a
row condition with `DataFrame.query`, which copies every column of the frame for each metric of the
expectation — about 0.2 s per conditional expectation at a million records. These evaluate the
condition inside the metric, in one vectorised pass, and behave the same on Spark.

Null handling follows GX: a null value (column A) is skipped by the range and whole-number checks; a
row whose condition column (B) is null or outside `value_set` passes.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kpi.validation.gx import (
    ColumnPairMapExpectation,
    ColumnPairMapMetricProvider,
    MulticolumnMapExpectation,
    MulticolumnMapMetricProvider,
    PandasExecutionEngine,
    SparkDFExecutionEngine,
    column_pair_condition_partial,
    multicolumn_condition_partial,
    spark_functions,
)

PairIgnore = Literal["both_values_are_missing", "either_value_is_missing", "neither"]


def _pandas_where(column_B: pd.Series, value_set: list[Any]) -> pd.Series:
    return pd.Series(column_B.isin(value_set), index=column_B.index).fillna(False).astype(bool)


def _position_in(column: pd.Series, values: list[str]) -> np.ndarray:
    """Index of each element in `values`, -1 where absent or null (Arrow's hash kernel when it can)."""
    try:
        arr = pa.array(column)  # zero-copy for pandas' Arrow-backed strings
        found = pc.index_in(arr, value_set=pa.array(values).cast(arr.type))
        return found.fill_null(-1).to_numpy(zero_copy_only=False)
    except (pa.ArrowException, TypeError):  # object or categorical columns
        return pd.Index(values).get_indexer(column)


def _spark_where(column_B: Any, value_set: list[Any]) -> Any:
    F = spark_functions()
    return F.coalesce(column_B.isin(list(value_set)), F.lit(False))


def _spark_only_where(where: Any, check: Any) -> Any:
    """True where the condition does not hold, else the check (null counts as a failed check)."""
    F = spark_functions()
    return F.when(where, F.coalesce(check, F.lit(False))).otherwise(F.lit(True))


class _PairWhere(ColumnPairMapExpectation):
    """Base: a check on column A that applies only to rows whose column B is in `value_set`."""

    value_set: list[Any]
    ignore_row_if: PairIgnore = "neither"  # nulls are handled by the metric; no frame copy

    success_keys: ClassVar[tuple[str, ...]] = ("column_A", "column_B", "value_set", "ignore_row_if", "mostly")
    args_keys: ClassVar[tuple[str, ...]] = ("column_A", "column_B", "value_set")


# ------------------------------------------------------------------------------------------------
# A between bounds where B in set


class ColumnPairABetweenWhereBInSet(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.kpi_a_between_where_b_in_set"
    condition_value_keys = ("value_set", "min_value", "max_value")

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A, column_B, **kwargs):
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        ok = pd.Series(True, index=column_A.index)
        if low is not None:
            ok &= column_A >= low
        if high is not None:
            ok &= column_A <= high
        return ~_pandas_where(column_B, kwargs["value_set"]) | column_A.isna() | ok

    @column_pair_condition_partial(engine=SparkDFExecutionEngine)
    def _spark(cls, column_A, column_B, **kwargs):
        F = spark_functions()
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        ok = F.lit(True)
        if low is not None:
            ok = ok & (column_A >= F.lit(low))
        if high is not None:
            ok = ok & (column_A <= F.lit(high))
        return _spark_only_where(_spark_where(column_B, kwargs["value_set"]), column_A.isNull() | ok)


class ExpectColumnPairValuesAToBeBetweenWhereBInSet(_PairWhere):
    """Expect A within [min_value, max_value] (either may be None) in rows whose B is in value_set."""

    min_value: float | None = None
    max_value: float | None = None

    map_metric = "column_pair_values.kpi_a_between_where_b_in_set"
    success_keys: ClassVar[tuple[str, ...]] = (*_PairWhere.success_keys, "min_value", "max_value")
    args_keys: ClassVar[tuple[str, ...]] = ("column_A", "column_B", "value_set", "min_value", "max_value")


# ------------------------------------------------------------------------------------------------
# A a whole number where B in set


class ColumnPairAWholeWhereBInSet(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.kpi_a_whole_where_b_in_set"
    condition_value_keys = ("value_set",)

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A, column_B, **kwargs):
        whole = (column_A % 1) == 0  # inf % 1 is NaN, so infinities fail
        return ~_pandas_where(column_B, kwargs["value_set"]) | column_A.isna() | whole

    @column_pair_condition_partial(engine=SparkDFExecutionEngine)
    def _spark(cls, column_A, column_B, **kwargs):
        F = spark_functions()
        whole = (F.floor(column_A) == column_A) & ~F.isnan(column_A)
        return _spark_only_where(_spark_where(column_B, kwargs["value_set"]), column_A.isNull() | whole)


class ExpectColumnPairValuesAToBeWholeWhereBInSet(_PairWhere):
    """Expect A to be a whole number in rows whose B is in value_set."""

    map_metric = "column_pair_values.kpi_a_whole_where_b_in_set"


# ------------------------------------------------------------------------------------------------
# A null / not null where B in set


class ColumnPairANullWhereBInSet(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.kpi_a_null_where_b_in_set"
    condition_value_keys = ("value_set", "null")

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A, column_B, **kwargs):
        state = column_A.isna() if kwargs["null"] else column_A.notna()
        return ~_pandas_where(column_B, kwargs["value_set"]) | state

    @column_pair_condition_partial(engine=SparkDFExecutionEngine)
    def _spark(cls, column_A, column_B, **kwargs):
        state = column_A.isNull() if kwargs["null"] else column_A.isNotNull()
        return _spark_only_where(_spark_where(column_B, kwargs["value_set"]), state)


class ExpectColumnPairValuesAToBeNullWhereBInSet(_PairWhere):
    """Expect A to be null in rows whose B is in value_set."""

    null: Literal[True] = True
    map_metric = "column_pair_values.kpi_a_null_where_b_in_set"
    success_keys: ClassVar[tuple[str, ...]] = (*_PairWhere.success_keys, "null")


class ExpectColumnPairValuesAToNotBeNullWhereBInSet(_PairWhere):
    """Expect A to have a value in rows whose B is in value_set."""

    null: Literal[False] = False
    map_metric = "column_pair_values.kpi_a_null_where_b_in_set"
    success_keys: ClassVar[tuple[str, ...]] = (*_PairWhere.success_keys, "null")


# ------------------------------------------------------------------------------------------------
# B == mapping[A]: a code and the class it belongs to (unit -> dimension). The built-in
# ExpectColumnPairValuesToBeInSet loops over rows in Python on pandas (seconds per million rows).


class ColumnPairValuesFollowMapping(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.kpi_follow_mapping"
    condition_value_keys = ("mapping",)

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A, column_B, **kwargs):
        # compare codes, not strings: no Python object per row
        mapping: dict[str, str] = kwargs["mapping"]
        targets = sorted(set(mapping.values()))
        target_of_key = np.array([targets.index(v) for v in mapping.values()] + [-2])  # -2: unknown key
        key_code = _position_in(column_A, list(mapping))  # -1 (-> -2 above) when unknown or null
        got = _position_in(column_B, targets)  # -1 when unknown or null
        return pd.Series(target_of_key[key_code] == got, index=column_A.index)

    @column_pair_condition_partial(engine=SparkDFExecutionEngine)
    def _spark(cls, column_A, column_B, **kwargs):
        F = spark_functions()
        pairs = [F.lit(x) for kv in sorted(kwargs["mapping"].items()) for x in kv]
        return F.coalesce(F.create_map(*pairs)[column_A] == column_B, F.lit(False))


class ExpectColumnPairValuesToFollowMapping(ColumnPairMapExpectation):
    """Expect B to equal `mapping[A]` in every row; a value of A outside the mapping fails."""

    mapping: dict[str, str]
    ignore_row_if: PairIgnore = "both_values_are_missing"

    map_metric = "column_pair_values.kpi_follow_mapping"
    success_keys: ClassVar[tuple[str, ...]] = ("column_A", "column_B", "mapping", "ignore_row_if", "mostly")
    args_keys = ("column_A", "column_B", "mapping")


# ------------------------------------------------------------------------------------------------
# column_list = [year, date, key]: min_offset <= year - year(date) <= max_offset where key in value_set.
# Rows missing the year or the date pass (nothing to compare).


class MulticolumnYearOffsetBetweenWhere(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.kpi_year_offset_between_where"
    condition_value_keys = ("value_set", "min_offset", "max_offset")

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list, **kwargs):
        year, date, key = (column_list[c] for c in column_list.columns)
        date = date if pd.api.types.is_datetime64_any_dtype(date) else pd.to_datetime(date)
        offset = year - date.dt.year
        ok = pd.Series(True, index=year.index)
        if kwargs.get("min_offset") is not None:
            ok &= offset >= kwargs["min_offset"]
        if kwargs.get("max_offset") is not None:
            ok &= offset <= kwargs["max_offset"]
        return ~_pandas_where(key, kwargs["value_set"]) | offset.isna() | ok

    @multicolumn_condition_partial(engine=SparkDFExecutionEngine)
    def _spark(cls, column_list, **kwargs):
        F = spark_functions()
        year, date, key = (F.col(c) for c in column_list.columns)
        offset = year - F.year(date)
        ok = F.lit(True)
        if kwargs.get("min_offset") is not None:
            ok = ok & (offset >= F.lit(kwargs["min_offset"]))
        if kwargs.get("max_offset") is not None:
            ok = ok & (offset <= F.lit(kwargs["max_offset"]))
        return _spark_only_where(_spark_where(key, kwargs["value_set"]), offset.isNull() | ok)


class ExpectYearOffsetToBeBetweenWhere(MulticolumnMapExpectation):
    """Expect `year - year(date)` within [min_offset, max_offset] where key in value_set.

    column_list is [year, date, key]; either bound may be None; rows without a year or a date pass.
    """

    value_set: list[Any]
    min_offset: int | None = None
    max_offset: int | None = None
    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"

    map_metric = "multicolumn_values.kpi_year_offset_between_where"
    success_keys: ClassVar[tuple[str, ...]] = (
        "column_list",
        "value_set",
        "min_offset",
        "max_offset",
        "ignore_row_if",
        "mostly",
    )
    args_keys = ("column_list", "value_set", "min_offset", "max_offset")


# ------------------------------------------------------------------------------------------------
# column_list = [text, start, end]: end - start == length(text), in code points on both engines.


class MulticolumnSpanMatchesText(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.kpi_span_matches_text"

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list, **kwargs):
        text, start, end = (column_list[c] for c in column_list.columns)
        return pd.Series(text.str.len() == (end - start), index=text.index).fillna(False).astype(bool)

    @multicolumn_condition_partial(engine=SparkDFExecutionEngine)
    def _spark(cls, column_list, **kwargs):
        F = spark_functions()
        text, start, end = (F.col(c) for c in column_list.columns)
        return F.coalesce(F.length(text) == (end - start), F.lit(False))


class ExpectSpanToMatchTextLength(MulticolumnMapExpectation):
    """Expect `end - start == len(text)` for column_list = [text, start, end]; rows missing one skip."""

    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "any_value_is_missing"

    map_metric = "multicolumn_values.kpi_span_matches_text"
    success_keys: ClassVar[tuple[str, ...]] = ("column_list", "ignore_row_if", "mostly")
    args_keys = ("column_list",)
