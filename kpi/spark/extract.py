"""Records of a Spark DataFrame of documents: `kpi.extract` on the executors, Arrow batches in and out.

`extract_records(docs)` maps a DataFrame with `doc_id` (or `id`), `text` and optionally `published`
(date, timestamp or ISO string) and `region` to the records DataFrame of SCHEMA.md §1 through
`mapInArrow`: each Python worker gets Arrow batches of documents and returns Arrow batches of records,
so there is no per-row UDF call and no pandas in between. The worker imports kpi on its first batch;
the vocabulary and its regular expressions are built once per worker process (`kpi.vocabulary.load` is
cached and Spark reuses its Python workers), not once per batch or task.

The executors must be able to import kpi: installed in their Python, or shipped (docs/spark.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache
from typing import TYPE_CHECKING

import pyarrow as pa

from kpi.record import QUARANTINE_SCHEMA, RECORD_SCHEMA

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

__all__ = ["DOCUMENT_SCHEMA", "extract_batches", "extract_records", "quarantine_struct", "record_struct"]

# The documents extract_records reads (kpi.io.readers.Document less `source`), as Arrow.
DOCUMENT_SCHEMA = pa.schema(
    [("doc_id", pa.string()), ("text", pa.string()), ("published", pa.date32()), ("region", pa.string())]
)


def _nullable(schema: pa.Schema) -> pa.Schema:
    """Every field nullable. Spark trusts a non-nullable flag (it folds `isNull` on such a column to
    false), so a faulty record with a null would slip past the not-null expectations."""
    return pa.schema([f.with_nullable(True) for f in schema])


@cache
def _arrow_out() -> pa.Schema:
    return _nullable(RECORD_SCHEMA)


def _struct(schema: pa.Schema) -> StructType:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(_nullable(schema))


def record_struct() -> StructType:
    """The Spark schema of records: kpi.record.RECORD_SCHEMA, every field nullable."""
    return _struct(RECORD_SCHEMA)


def quarantine_struct() -> StructType:
    """The Spark schema of quarantined records (RECORD_SCHEMA + failed_expectations)."""
    return _struct(QUARANTINE_SCHEMA)


def extract_records(docs: DataFrame, *, partitions: int | None = None) -> DataFrame:
    """The records of every document in `docs` (lazy; rows with a null text give none).

    `partitions` spreads the documents over that many tasks first (by a hash of doc_id), for inputs
    that come in fewer, larger partitions than there are cores. Raises ValueError when `docs` has no
    `text` or no `doc_id`/`id` column. A `published` value that is not a date fails the Spark job with
    the ValueError of kpi.io.readers.parse_published.
    """
    selected = _documents(docs)
    if partitions is not None:
        selected = selected.repartition(partitions, "doc_id")
    return selected.mapInArrow(extract_batches, record_struct())


def _documents(docs: DataFrame) -> DataFrame:
    """doc_id, text, published, region: renamed, doc_id and region as strings, absent ones null."""
    from pyspark.sql import functions as F

    names = docs.columns
    if "text" not in names:
        raise ValueError(f"extract_records needs a `text` column; the DataFrame has {names}")
    id_column = "doc_id" if "doc_id" in names else "id" if "id" in names else None
    if id_column is None:
        raise ValueError(f"extract_records needs a `doc_id` (or `id`) column; the DataFrame has {names}")
    return docs.select(
        F.col(id_column).cast("string").alias("doc_id"),
        F.col("text").cast("string").alias("text"),
        F.col("published") if "published" in names else F.lit(None).cast("date").alias("published"),
        F.col("region").cast("string").alias("region") if "region" in names else F.lit(None).cast("string"),
    ).toDF("doc_id", "text", "published", "region")


def extract_batches(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The worker function of mapInArrow: document batches in, record batches out (RECORD_SCHEMA)."""
    from kpi import extract
    from kpi.io.readers import parse_published
    from kpi.record import records_to_arrow

    for batch in batches:
        columns = batch.to_pydict()
        records = []
        for doc_id, text, published, region in zip(
            columns["doc_id"], columns["text"], columns["published"], columns["region"], strict=True
        ):
            if text is None:
                continue
            try:
                records.extend(
                    extract(text, doc_id=doc_id, published=parse_published(published), region=region)
                )
            except Exception as exc:  # name the document, as the batch job does
                exc.add_note(f"while extracting doc_id {doc_id!r}")
                raise
        if records:
            yield from records_to_arrow(records).cast(_arrow_out()).to_batches()
