"""Column set, order and Arrow types against SCHEMA.md, checked in pyarrow.

GX names types per engine and backend (`int64`, `Int64`, `LongType`, `int64[pyarrow]` …), so the
suite checks values and this module checks types. String and list layouts that differ only in
offsets or views (`large_string`, `string_view`, `large_list`) count as the same type: polars writes
them, and every reader reads them as the contract's type.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from kpi.record import RECORD_SCHEMA


def _normalise(t: pa.DataType) -> pa.DataType:
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_large_list(t) or pa.types.is_list_view(t) or pa.types.is_large_list_view(t):
        return pa.list_(_normalise(t.value_type))
    if pa.types.is_list(t):
        return pa.list_(_normalise(t.value_type))
    return t


def arrow_schema_of(table_or_df: Any) -> pa.Schema:
    """The Arrow schema of a pyarrow Table/Schema/RecordBatch or a polars DataFrame/LazyFrame."""
    if isinstance(table_or_df, pa.Schema):
        return table_or_df
    if isinstance(table_or_df, (pa.Table, pa.RecordBatch)):
        return table_or_df.schema
    import polars as pl

    if isinstance(table_or_df, pl.LazyFrame):
        table_or_df = table_or_df.head(0).collect()
    if isinstance(table_or_df, pl.DataFrame):
        return table_or_df.head(0).to_arrow().schema
    raise TypeError(f"check_schema: expected a pyarrow Table/Schema or polars frame, got {type(table_or_df)}")


def missing_columns(table_or_df: Any, *, schema: pa.Schema = RECORD_SCHEMA) -> list[str]:
    """Names of the contract's columns the input lacks, in contract order."""
    have = set(arrow_schema_of(table_or_df).names)
    return [name for name in schema.names if name not in have]


def type_mismatches(table_or_df: Any, *, schema: pa.Schema = RECORD_SCHEMA) -> list[str]:
    """One sentence per contract column whose type differs from `schema`'s, in kpi's words: the
    column, the type it has and the type expected, each with a plain description.

    >>> for problem in type_mismatches(pa.schema([("value", pa.string()), ("published", pa.int64())])):
    ...     print(problem)
    column `published` holds whole numbers (int64) where SCHEMA.md §1 wants dates (date32)
    column `value` holds text (string) where SCHEMA.md §1 wants numbers with a fraction (float64)
    """
    actual = arrow_schema_of(table_or_df)
    problems = []
    for field in schema:
        index = actual.get_field_index(field.name)
        if index < 0:
            continue  # missing (or duplicated) columns are check_schema's and missing_columns' business
        got = actual.field(index).type
        if _normalise(got) != _normalise(field.type):
            problems.append(
                f"column `{field.name}` holds {_describe(got)} ({type_name(got)}) "
                f"where SCHEMA.md §1 wants {_describe(field.type)} ({type_name(field.type)})"
            )
    return problems


_NAMES = {"double": "float64", "float": "float32", "halffloat": "float16", "date32[day]": "date32"}


def type_name(t: pa.DataType) -> str:
    """The type as SCHEMA.md writes it (`float64`, `date32`, `list<string>`)."""
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return f"list<{type_name(t.value_type)}>"
    return _NAMES.get(str(t), str(t))


def _describe(t: pa.DataType) -> str:
    """What values of an Arrow type are, in words."""
    checks = (
        (pa.types.is_null, "only nulls"),
        (pa.types.is_boolean, "true/false values"),
        (pa.types.is_integer, "whole numbers"),
        (pa.types.is_floating, "numbers with a fraction"),
        (pa.types.is_decimal, "decimal numbers"),
        (pa.types.is_date, "dates"),
        (pa.types.is_timestamp, "date-times"),
        (lambda x: _normalise(x) == pa.string(), "text"),
        (lambda x: pa.types.is_binary(x) or pa.types.is_large_binary(x), "bytes"),
        (pa.types.is_dictionary, "categories"),
    )
    for check, words in checks:
        if check(t):
            return words
    normal = _normalise(t)
    if pa.types.is_list(normal):
        return f"lists of {_describe(normal.value_type)}"
    return "values of another kind"


def check_schema(table_or_df: Any, *, schema: pa.Schema = RECORD_SCHEMA) -> list[str]:
    """Problems of the input's columns against `schema` (default: the record schema); [] when fine.

    Checks the column set, the column order and each column's Arrow type. Nullability is left to
    the expectations (Parquet writers mark every field nullable).

    >>> from kpi.record import RECORD_SCHEMA
    >>> check_schema(RECORD_SCHEMA)
    []
    >>> check_schema(RECORD_SCHEMA.remove(RECORD_SCHEMA.get_field_index("unit")))
    ['missing column `unit` (string)']
    """
    actual = arrow_schema_of(table_or_df)
    problems: list[str] = []
    have = set(actual.names)
    for field in schema:
        if field.name not in have:
            problems.append(f"missing column `{field.name}` ({type_name(field.type)})")
    for name in actual.names:
        if name not in schema.names:
            problems.append(f"unexpected column `{name}`")
    dupes = sorted({n for n in actual.names if actual.names.count(n) > 1})
    problems += [f"duplicate column `{n}`" for n in dupes]
    for field in schema:
        if field.name in have and not dupes:
            got = actual.field(field.name).type
            if _normalise(got) != _normalise(field.type):
                problems.append(
                    f"column `{field.name}` is {type_name(got)}, expected {type_name(field.type)}"
                )
    if not problems and list(actual.names) != list(schema.names):
        problems.append(f"columns out of order: expected {', '.join(schema.names)}")
    return problems
