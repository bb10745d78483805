"""The tracking table of SCHEMA.md §5: columns, Arrow and polars schemas, field descriptions."""

from __future__ import annotations

from typing import Any, Literal

import pyarrow as pa

from kpi.record import Field, table_contract

Status = Literal["met", "missed", "pending", "unclear"]
STATUSES: tuple[str, ...] = ("met", "missed", "pending", "unclear")

# (name, arrow type, nullable, description) in SCHEMA.md order.
_FIELDS: tuple[Field, ...] = (
    ("region", pa.string(), False, "the region of both reports (the country or a canonical division name)"),
    ("indicator_id", pa.string(), False, "canonical indicator id from the taxonomy"),
    ("period_year", pa.int32(), False, "the year the target is set for"),
    ("direction", pa.string(), False, "higher or lower: which side of the target is good"),
    ("target_value", pa.float64(), False, "the target, magnitudes folded in; signed for decreases"),
    ("target_value_max", pa.float64(), True, "high end of a target range, else null"),
    ("target_unit", pa.string(), False, "canonical unit of the target"),
    ("target_comparator", pa.string(), False, "one of = >= > <= < ~ between"),
    ("target_record_id", pa.string(), False, "record_id of the target record"),
    ("target_doc_id", pa.string(), False, "the document that set the target"),
    ("target_mention", pa.string(), False, "the target as written"),
    ("actual_value", pa.float64(), True, "the result for period_year; null when pending or none usable"),
    ("actual_record_id", pa.string(), True, "record_id of the result record"),
    ("actual_doc_id", pa.string(), True, "the document that reported the result"),
    ("actual_mention", pa.string(), True, "the result as written"),
    (
        "actual_conflicts",
        pa.list_(pa.float64()),
        False,
        "every different result value when several, else empty",
    ),
    ("status", pa.string(), False, "met, missed, pending or unclear"),
)

COLUMNS, DESCRIPTIONS, REQUIRED, TRACKING_SCHEMA = table_contract(_FIELDS)


def tracking_polars_schema() -> Any:
    """The polars schema equivalent of TRACKING_SCHEMA."""
    import polars as pl

    return pl.from_arrow(TRACKING_SCHEMA.empty_table()).schema  # type: ignore[union-attr]
