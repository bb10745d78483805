"""The record contract of SCHEMA.md: the `Record` type, its column order, Arrow/polars schemas and field
descriptions. Everything that writes or checks records (Parquet, datapackage.json, the expectation
suites) derives from the definitions here, so there is one place to change."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
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
    return hashlib.sha256(key).digest()[:8].hex()  # the first 16 hex digits


# name, Arrow type (or the name of a pyarrow type factory: "string" is pa.string()), nullable, description
Field = tuple[str, Any, bool, str]


def columns_of(table: tuple[Field, ...]) -> tuple[tuple[str, ...], dict[str, str], frozenset[str]]:
    """The columns, their descriptions and the required ones of a field table."""
    columns = tuple(f[0] for f in table)
    descriptions = {f[0]: f[3] for f in table}
    required = frozenset(f[0] for f in table if not f[2])
    return columns, descriptions, required


def arrow_schema(table: tuple[Field, ...]) -> pa.Schema:
    """The Arrow schema of a field table. pyarrow is imported here, not with this module: the
    extraction workers build records but never an Arrow table."""
    import pyarrow as pa

    def kind(t: Any) -> pa.DataType:
        return getattr(pa, t)() if isinstance(t, str) else t

    return pa.schema(
        [pa.field(n, kind(t), nullable=nb, metadata={"description": d}) for n, t, nb, d in table]
    )


def table_contract(
    table: tuple[Field, ...],
) -> tuple[tuple[str, ...], dict[str, str], frozenset[str], pa.Schema]:
    """The columns, their descriptions, the required ones and the Arrow schema of a field table (one
    table per output: the records here, tracking in kpi.tracking.schema)."""
    return (*columns_of(table), arrow_schema(table))


# (name, arrow type, nullable, description) in SCHEMA.md order.
_FIELDS: tuple[Field, ...] = (
    ("record_id", "string", False, "sha256(doc_id, span_start, span_end)[:16]; stable across runs"),
    ("doc_id", "string", False, "the input's id"),
    ("published", "date32", True, "publication date: from the input, else detected in the page"),
    ("region", "string", True, "region from the input, else detected in the document"),
    ("sentence", "string", False, "the whole normalised sentence that holds the mention"),
    ("mention", "string", False, "surface text of the quantity with its comparator words"),
    ("span_start", "int64", False, "code-point offset of the mention in the normalised text"),
    ("span_end", "int64", False, "code-point end offset of the mention in the normalised text"),
    ("indicator", "string", True, "the words naming what is measured, as they stand"),
    ("indicator_id", "string", True, "canonical indicator id from the taxonomy, null when none fits"),
    ("value", "float64", False, "the number with magnitudes folded in; signed for decreases"),
    ("value_max", "float64", True, "high end of a range, else null"),
    ("unit", "string", False, "canonical unit (closed set, see the vocabulary)"),
    ("counter", "string", True, "the measure word as written, for count/person/person_time"),
    ("dimension", "string", False, "dimension of the unit (closed set)"),
    ("comparator", "string", False, "one of = >= > <= < ~ between"),
    ("kind", "string", False, "target or actual"),
    ("period_year", "int32", True, "the year the quantity belongs to (the last, for a span of years)"),
    (
        "period_start",
        "int32",
        True,
        "first year of the period the figure covers (= period_year for one year)",
    ),
)

COLUMNS, DESCRIPTIONS, REQUIRED = columns_of(_FIELDS)
_SCHEMAS = ("RECORD_SCHEMA", "QUARANTINE_SCHEMA", "DEAD_LETTER_SCHEMA", "OUTPUT_SCHEMAS")


@cache
def _schemas() -> dict[str, Any]:
    """The Arrow schemas of the outputs (built on first use: see `arrow_schema`)."""
    import pyarrow as pa

    record = arrow_schema(_FIELDS)
    # Quarantine holds the rows that failed, including a null where the contract wants a value: its
    # record columns are nullable so such a row can be written rather than lost.
    quarantine = pa.schema([f.with_nullable(True) for f in record]).append(
        pa.field(
            "failed_expectations",
            pa.list_(pa.string()),
            nullable=False,
            metadata={"description": "names of the expectations the row failed; never empty"},
        )
    )
    dead_letter = pa.schema(
        [
            pa.field(
                "source", pa.string(), nullable=False, metadata={"description": "file path, :LINE or #ROW"}
            ),
            pa.field("doc_id", pa.string(), metadata={"description": "the id, when it could be read"}),
            pa.field(
                "reason_code", pa.string(), nullable=False, metadata={"description": "why it was rejected"}
            ),
            pa.field(
                "detail", pa.string(), nullable=False, metadata={"description": "a readable explanation"}
            ),
            pa.field("raw", pa.binary(), metadata={"description": "the input bytes when <= 1 MB"}),
        ]
    )
    # The tables of a run's output, by name (the file or folder name a sink gives them).
    outputs = {"records": record, "quarantine": quarantine, "dead_letter": dead_letter}
    return dict(zip(_SCHEMAS, (record, quarantine, dead_letter, outputs), strict=True))


def __getattr__(name: str) -> Any:  # RECORD_SCHEMA and the other schemas, built on first use
    if name in _SCHEMAS:
        return _schemas()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def polars_schema(schema: pa.Schema | None = None) -> Any:
    """The polars schema equivalent of an Arrow schema (the records' by default; polars imported here)."""
    import polars as pl
    import pyarrow as pa

    schema = _schemas()["RECORD_SCHEMA"] if schema is None else schema

    # from_batches, not schema.empty_table(): building a table from Python lists makes pyarrow import
    # pandas (0.2 s of every run's start)
    return pl.from_arrow(pa.Table.from_batches([], schema=schema)).schema  # type: ignore[union-attr]


def records_to_arrow(records: list[Record]) -> pa.Table:
    """Records -> Arrow table with exactly RECORD_SCHEMA (empty list gives an empty table)."""
    import pyarrow as pa

    cols = {name: [getattr(r, name) for r in records] for name in COLUMNS}
    return pa.Table.from_pydict(cols, schema=_schemas()["RECORD_SCHEMA"])
