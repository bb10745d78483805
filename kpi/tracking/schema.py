"""The tracking table of SCHEMA.md §5: columns, Arrow and polars schemas, field descriptions."""

from __future__ import annotations

from typing import Any, Literal

import pyarrow as pa

from kpi.record import RECORD_SCHEMA, Field, polars_schema, table_contract

Status = Literal["met", "missed", "pending", "unclear"]
STATUSES: tuple[str, ...] = ("met", "missed", "pending", "unclear")


def _like(column: str) -> pa.DataType:
    """The Arrow type of a record column: a tracking column copying it from a record keeps it."""
    return RECORD_SCHEMA.field(column).type


# (name, arrow type, nullable, description) in SCHEMA.md order.
_FIELDS: tuple[Field, ...] = (
    (
        "region",
        _like("region"),
        False,
        "the region of both reports (the country or a canonical division name)",
    ),
    ("indicator_id", _like("indicator_id"), False, "canonical indicator id from the taxonomy"),
    ("period_year", _like("period_year"), False, "the year the target is set for"),
    ("direction", pa.string(), False, "higher or lower: which side of the target is good"),
    ("target_value", _like("value"), False, "the target, magnitudes folded in; signed for decreases"),
    ("target_value_max", _like("value_max"), True, "high end of a target range, else null"),
    ("target_unit", _like("unit"), False, "canonical unit of the target"),
    ("target_comparator", _like("comparator"), False, "one of = >= > <= < ~ between"),
    ("target_record_id", _like("record_id"), False, "record_id of the target record"),
    ("target_doc_id", _like("doc_id"), False, "the document that set the target"),
    ("target_mention", _like("mention"), False, "the target as written"),
    ("actual_value", _like("value"), True, "the result for period_year; null when pending or none usable"),
    ("actual_record_id", _like("record_id"), True, "record_id of the result record"),
    ("actual_doc_id", _like("doc_id"), True, "the document that reported the result"),
    ("actual_mention", _like("mention"), True, "the result as written"),
    (
        "actual_conflicts",
        pa.list_(_like("value")),
        False,
        "every different result value when several, else empty",
    ),
    ("status", pa.string(), False, "met, missed, pending or unclear"),
)

COLUMNS, DESCRIPTIONS, REQUIRED, TRACKING_SCHEMA = table_contract(_FIELDS)


def tracking_polars_schema() -> Any:
    """The polars schema equivalent of TRACKING_SCHEMA."""
    return polars_schema(TRACKING_SCHEMA)
