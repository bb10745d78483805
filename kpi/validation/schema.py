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
            problems.append(f"missing column `{field.name}` ({field.type})")
    for name in actual.names:
        if name not in schema.names:
            problems.append(f"unexpected column `{name}`")
    dupes = sorted({n for n in actual.names if actual.names.count(n) > 1})
    problems += [f"duplicate column `{n}`" for n in dupes]
    for field in schema:
        if field.name in have and not dupes:
            got = actual.field(field.name).type
            if _normalise(got) != _normalise(field.type):
                problems.append(f"column `{field.name}` is {got}, expected {field.type}")
    if not problems and list(actual.names) != list(schema.names):
        problems.append(f"columns out of order: expected {', '.join(schema.names)}")
    return problems
