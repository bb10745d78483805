"""kpi on polars frames: documents in, records out, with the schema of kpi.record.

>>> import polars as pl
>>> docs = pl.DataFrame({"doc_id": ["d1"], "text": ["今年力争认定高新技术企业130家。"], "published": ["2024-01-05"]})
>>> records = extract_frame(docs)
>>> records.columns[:3]
['record_id', 'doc_id', 'published']
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import Any

import polars as pl

from kpi.io.readers import parse_published
from kpi.record import COLUMNS, QUARANTINE_SCHEMA, RECORD_SCHEMA, Record, polars_schema

__all__ = ["empty_quarantine", "empty_records", "extract_frame", "records_frame"]

_DOC_COLUMNS = ("doc_id", "text", "published", "region")


@functools.cache
def _record_schema() -> pl.Schema:
    return pl.Schema(polars_schema(RECORD_SCHEMA))


@functools.cache
def _quarantine_schema() -> pl.Schema:
    return pl.Schema(polars_schema(QUARANTINE_SCHEMA))


def empty_records() -> pl.DataFrame:
    """A records frame without rows."""
    return pl.DataFrame(schema=_record_schema())


def empty_quarantine() -> pl.DataFrame:
    """A quarantine frame without rows."""
    return pl.DataFrame(schema=_quarantine_schema())


def records_frame(records: Iterable[Record]) -> pl.DataFrame:
    """Records -> a polars frame with the columns and types of RECORD_SCHEMA.

    Polars does not enforce non-null columns, so a faulty record still gets here and validation
    can quarantine it instead of the run failing.
    """
    records = list(records)
    if not records:
        return empty_records()
    columns = {name: [getattr(r, name) for r in records] for name in COLUMNS}  # columnar: no asdict per row
    return pl.DataFrame(columns, schema=_record_schema())


def extract_frame(docs: pl.DataFrame | pl.LazyFrame, *, batch_rows: int = 1_000) -> pl.DataFrame:
    """Records of every document in `docs`, as one frame with RECORD_SCHEMA.

    `docs` has `doc_id` (or `id`) and `text` columns, and optionally `published` (Date, Datetime or
    ISO string) and `region`. A LazyFrame is collected `batch_rows` rows at a time. Rows whose text
    is null give no records; a `published` value that is not a date raises ValueError.
    """
    from kpi.extractor.extract import extract

    parts: list[pl.DataFrame] = []
    for part in _slices(_select_documents(docs), batch_rows):
        records: list[Record] = []
        for row in part.iter_rows(named=True):
            if row["text"] is not None:
                records.extend(extract(row["text"], **_metadata(row)))
        if records:
            parts.append(records_frame(records))
    return pl.concat(parts, rechunk=True) if parts else empty_records()


def _select_documents(docs: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """The document columns, renamed and typed; ValueError naming what is missing."""
    lazy = docs.lazy()
    names = lazy.collect_schema().names()
    if "text" not in names:
        raise ValueError(f"extract_frame needs a `text` column; the frame has {names}")
    if "doc_id" not in names and "id" not in names:
        raise ValueError(f"extract_frame needs a `doc_id` (or `id`) column; the frame has {names}")
    if "doc_id" not in names:
        lazy = lazy.rename({"id": "doc_id"})
    present = [c for c in _DOC_COLUMNS if c in names or c == "doc_id"]
    return lazy.select(present).with_columns(pl.col("doc_id").cast(pl.String))


def _metadata(row: dict[str, Any]) -> dict[str, Any]:
    region = row.get("region")
    return {
        "doc_id": row["doc_id"],
        "published": parse_published(row.get("published")),
        "region": str(region) if region is not None else None,
    }


def _slices(lazy: pl.LazyFrame, batch_rows: int) -> Iterator[pl.DataFrame]:
    """The frame `batch_rows` rows at a time (streamed where polars can, else by slicing)."""
    if hasattr(lazy, "collect_batches"):
        yield from lazy.collect_batches(chunk_size=batch_rows)
        return
    offset = 0
    while (part := lazy.slice(offset, batch_rows).collect()).height:
        yield part
        offset += part.height
