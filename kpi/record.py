"""The record contract of SCHEMA.md: the `Record` type, its column order, Arrow/polars schemas and field
descriptions. Everything that writes or checks records (Parquet, datapackage.json, the expectation
suites) derives from the definitions here, so there is one place to change."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Literal

import pyarrow as pa

Comparator = Literal["=", ">=", ">", "<=", "<", "~", "between"]
Kind = Literal["target", "actual"]
Dimension = Literal["money", "percent", "pp", "count", "person", "rank", "times", "time", "physical"]

COMPARATORS: tuple[str, ...] = ("=", ">=", ">", "<=", "<", "~", "between")
KINDS: tuple[str, ...] = ("target", "actual")
DIMENSIONS: tuple[str, ...] = (
    "money",
    "percent",
    "pp",
    "count",
    "person",
    "rank",
    "times",
    "time",
    "physical",
)


@dataclass(frozen=True, slots=True)
class Record:
    """One quantitative commitment or reported result (field names are the rule book's)."""

    record_id: str
    doc_id: str
    published: date | None
    region: str | None
    sentence: str
    mention: str
    span_start: int
    span_end: int
    indicator: str | None
    indicator_id: str | None
    value: float
    value_max: float | None
    unit: str
    counter: str | None
    dimension: str
    comparator: str
    kind: str
    period_year: int | None
    period_start: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def make_record_id(doc_id: str, span_start: int, span_end: int) -> str:
    """First 16 hex digits of sha256(doc_id + US + start + US + end): stable across runs and engines."""
    key = f"{doc_id}\x1f{span_start}\x1f{span_end}".encode()
    return hashlib.sha256(key).hexdigest()[:16]


Field = tuple[str, pa.DataType, bool, str]  # name, arrow type, nullable, description


def table_contract(
    table: tuple[Field, ...],
) -> tuple[tuple[str, ...], dict[str, str], frozenset[str], pa.Schema]:
    """The columns, their descriptions, the required ones and the Arrow schema of a field table (one
    table per output: the records here, tracking in kpi.tracking.schema)."""
    columns = tuple(f[0] for f in table)
    descriptions = {f[0]: f[3] for f in table}
    required = frozenset(f[0] for f in table if not f[2])
    schema = pa.schema([pa.field(n, t, nullable=nb, metadata={"description": d}) for n, t, nb, d in table])
    return columns, descriptions, required, schema


# (name, arrow type, nullable, description) in SCHEMA.md order.
_FIELDS: tuple[Field, ...] = (
    ("record_id", pa.string(), False, "sha256(doc_id, span_start, span_end)[:16]; stable across runs"),
    ("doc_id", pa.string(), False, "the input's id"),
    ("published", pa.date32(), True, "publication date: from the input, else detected in the page"),
    ("region", pa.string(), True, "region from the input, else detected in the document"),
    ("sentence", pa.string(), False, "the whole normalised sentence that holds the mention"),
    ("mention", pa.string(), False, "surface text of the quantity with its comparator words"),
    ("span_start", pa.int64(), False, "code-point offset of the mention in the normalised text"),
    ("span_end", pa.int64(), False, "code-point end offset of the mention in the normalised text"),
    ("indicator", pa.string(), True, "the words naming what is measured, as they stand"),
    ("indicator_id", pa.string(), True, "canonical indicator id from the taxonomy, null when none fits"),
    ("value", pa.float64(), False, "the number with magnitudes folded in; signed for decreases"),
    ("value_max", pa.float64(), True, "high end of a range, else null"),
    ("unit", pa.string(), False, "canonical unit (closed set, see the vocabulary)"),
    ("counter", pa.string(), True, "the measure word as written, for count/person/person_time"),
    ("dimension", pa.string(), False, "dimension of the unit (closed set)"),
    ("comparator", pa.string(), False, "one of = >= > <= < ~ between"),
    ("kind", pa.string(), False, "target or actual"),
    ("period_year", pa.int32(), True, "the year the quantity belongs to (the last, for a span of years)"),
    (
        "period_start",
        pa.int32(),
        True,
        "first year of the period the figure covers (= period_year for one year)",
    ),
)

COLUMNS, DESCRIPTIONS, REQUIRED, RECORD_SCHEMA = table_contract(_FIELDS)
# Quarantine holds the rows that failed, including a null where the contract wants a value: its record
# columns are nullable so such a row can be written rather than lost.
QUARANTINE_SCHEMA = pa.schema([f.with_nullable(True) for f in RECORD_SCHEMA]).append(
    pa.field(
        "failed_expectations",
        pa.list_(pa.string()),
        nullable=False,
        metadata={"description": "names of the expectations the row failed; never empty"},
    )
)
DEAD_LETTER_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False, metadata={"description": "file path, :LINE or #ROW"}),
        pa.field(
            "doc_id", pa.string(), nullable=True, metadata={"description": "the id, when it could be read"}
        ),
        pa.field("reason_code", pa.string(), nullable=False, metadata={"description": "why it was rejected"}),
        pa.field("detail", pa.string(), nullable=False, metadata={"description": "a readable explanation"}),
        pa.field("raw", pa.binary(), nullable=True, metadata={"description": "the input bytes when <= 1 MB"}),
    ]
)
# The tables of a run's output, by name (the file or folder name a sink gives them).
OUTPUT_SCHEMAS: dict[str, pa.Schema] = {
    "records": RECORD_SCHEMA,
    "quarantine": QUARANTINE_SCHEMA,
    "dead_letter": DEAD_LETTER_SCHEMA,
}
DEAD_LETTER_REASONS: tuple[str, ...] = (
    "decode_error",
    "empty",
    "too_large",
    "bad_json",
    "missing_text",
    "bad_published",
    "unreadable",
    "duplicate_id",  # an id seen before in the run: the detail names the first source
    "timeout",  # extraction ran past the per-document budget (--doc-timeout)
    "extract_error",  # the extractor raised on the document, or the worker process extracting it died
)


def polars_schema(schema: pa.Schema = RECORD_SCHEMA) -> Any:
    """The polars schema equivalent of an Arrow schema (import of polars kept local)."""
    import polars as pl

    # from_batches, not schema.empty_table(): building a table from Python lists makes pyarrow import
    # pandas (0.2 s of every run's start)
    return pl.from_arrow(pa.Table.from_batches([], schema=schema)).schema  # type: ignore[union-attr]


def records_to_arrow(records: list[Record]) -> pa.Table:
    """Records -> Arrow table with exactly RECORD_SCHEMA (empty list gives an empty table)."""
    cols = {name: [getattr(r, name) for r in records] for name in COLUMNS}
    return pa.Table.from_pydict(cols, schema=RECORD_SCHEMA)
