"""`kpi spark extract`: the batch job of kpi.pipeline with the extraction and validation on Spark.

1. The driver reads the inputs with kpi.io.readers.iter_inputs, exactly as `kpi extract` does, and
   spools the documents into a staging Parquet file (bounded memory; dead letters go straight to
   their table).
2. The executors read the staged documents, spread them over the cores (hash of doc_id) and extract
   records with mapInArrow (kpi.spark.extract). The records are cached.
3. The records suite runs on the cached records through GX's Spark engine (kpi.spark.validate).
4. Spark writes `DIR/records/` and `DIR/quarantine/`, a folder of Parquet files each; the driver
   writes `DIR/dead_letter/`, `DIR/summary.json` and `DIR/datapackage.json`.

Every table is written into a hidden work folder inside DIR and renamed into place when complete,
so a rerun replaces the three folders and leaves other files in DIR alone. Executors read the staged
documents from DIR and write there: with a cluster master, DIR must be a folder every node sees at
the same path (docs/spark.md).
"""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from kpi.io.atomic import replace_folder
from kpi.io.readers import DEFAULT_MAX_DOC_CHARS, DeadLetter, Document, InputError, Item, iter_inputs
from kpi.io.writers import ParquetSink
from kpi.pipeline import VALIDATION_ERROR, Summary, finish_run
from kpi.record import DEAD_LETTER_SCHEMA, OUTPUT_SCHEMAS
from kpi.spark.extract import DOCUMENT_SCHEMA, extract_records, quarantine_struct
from kpi.spark.session import DEFAULT_MASTER, spark_session
from kpi.spark.validate import warm_up

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["Extracted", "extract_staged", "run_spark_extract", "stage_documents"]

log = logging.getLogger("kpi.spark")

Progress = Callable[[Item], None]
TABLES = tuple(OUTPUT_SCHEMAS)  # the output tables, by name
STAGE_ROW_GROUP_DOCS = 1_000  # documents (dead letters) per row group of the staging (dead letter) file
STAGE_ROW_GROUP_CHARS = 32 << 20  # ... or fewer when they hold more characters (raw bytes) than this
PARTITION_CHARS = 32 << 20  # at most about this much text per extraction task
RECORDS_PER_VALIDATION_TASK = 500_000  # GX runs dozens of small jobs: few tasks each


@dataclass
class Extracted:
    """The records of a set of staged documents, split by the suite; `release` frees the cache."""

    records: DataFrame  # cached
    passed: DataFrame
    quarantine: DataFrame
    table_failures: list[str] = field(default_factory=list)
    validation_errors: list[str] = field(default_factory=list)

    def release(self) -> None:
        self.records.unpersist()


def stage_documents(
    items: Iterable[Item],
    staging: Path,
    dead_letters: ParquetSink,
    summary: Summary,
    progress: Progress | None = None,
) -> int:
    """Write the documents of `items` to the Parquet file `staging` (DOCUMENT_SCHEMA) and the dead
    letters to `dead_letters`, counting both in `summary`; returns the number of documents."""
    docs: list[Document] = []
    dead: list[DeadLetter] = []
    documents = chars = raw = 0
    with pq.ParquetWriter(staging, DOCUMENT_SCHEMA) as writer:
        for item in items:
            summary.count(item)
            if isinstance(item, Document):
                docs.append(item)
                documents += 1
                chars += len(item.text)
                if len(docs) >= STAGE_ROW_GROUP_DOCS or chars >= STAGE_ROW_GROUP_CHARS:
                    writer.write_table(_documents_table(docs))
                    docs, chars = [], 0
            else:
                log.debug("dead letter %s: %s (%s)", item.source, item.reason_code, item.detail)
                dead.append(item)
                raw += len(item.raw or b"")
                if len(dead) >= STAGE_ROW_GROUP_DOCS or raw >= STAGE_ROW_GROUP_CHARS:
                    dead_letters.write(_dead_letters_table(dead))
                    dead, raw = [], 0
            if progress is not None:
                progress(item)
        writer.write_table(_documents_table(docs))
        dead_letters.write(_dead_letters_table(dead))
    return documents


def _dead_letters_table(dead: list[DeadLetter]) -> pa.Table:
    return pa.Table.from_pylist([d.to_dict() for d in dead], schema=DEAD_LETTER_SCHEMA)


def _documents_table(docs: list[Document]) -> pa.Table:
    return pa.table(
        [
            [d.doc_id for d in docs],
            [d.text for d in docs],
            [d.published for d in docs],
            [d.region for d in docs],
        ],
        schema=DOCUMENT_SCHEMA,
    )


def extract_staged(
    spark: SparkSession, staging: Path, *, documents: int, chars: int, validate: bool = True
) -> Extracted:
    """Extract (on the executors) and validate the records of a Parquet file of `documents` (the
    columns extract_records takes) holding `chars` characters of text."""
    from pyspark import StorageLevel

    docs = spark.read.parquet(staging.resolve().as_uri())
    parallelism = spark.sparkContext.defaultParallelism
    partitions = max(1, min(documents, max(2 * parallelism, math.ceil(chars / PARTITION_CHARS))))
    records = extract_records(docs, partitions=partitions).persist(StorageLevel.MEMORY_AND_DISK)
    started = time.perf_counter()
    count = records.count()  # runs the extraction, once
    log.debug("%d documents, %d records extracted in %.1f s", documents, count, time.perf_counter() - started)
    frame = records.coalesce(max(1, math.ceil(count / RECORDS_PER_VALIDATION_TASK)))
    if not validate or count == 0:  # as kpi extract: nothing to judge in an empty chunk
        return Extracted(records, frame, spark.createDataFrame([], quarantine_struct()))
    started = time.perf_counter()
    extracted = _validated(records, frame)
    log.debug("%d records validated in %.1f s", count, time.perf_counter() - started)
    return extracted


def _validated(records: DataFrame, frame: DataFrame) -> Extracted:
    """The split by the suite; when the suite cannot judge the records (SchemaError, SuiteError) every
    record is quarantined as `validation_error`, as `kpi extract` does."""
    from pyspark.sql import functions as F

    from kpi.spark.validate import validate_records_spark

    try:
        outcome = validate_records_spark(frame)
    except ValueError as exc:
        log.error("validation: %s: %s", type(exc).__name__, exc)
        quarantine = frame.withColumn("failed_expectations", F.array(F.lit(VALIDATION_ERROR)))
        return Extracted(records, frame.limit(0), quarantine, [], [f"{type(exc).__name__}: {exc}"])
    for message in outcome.errors:
        log.error("validation: %s", message)
    for name in outcome.table_failures:
        log.error("validation: table-level expectation failed: %s", name)
    return Extracted(records, outcome.passed, outcome.quarantine, outcome.table_failures, outcome.errors)


def run_spark_extract(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    spark: SparkSession | None = None,
    master: str | None = DEFAULT_MASTER,
    conf: Mapping[str, str] | None = None,
    manifest: Path | None = None,
    max_doc_chars: int = DEFAULT_MAX_DOC_CHARS,
    validate: bool = True,
    progress: Progress | None = None,
) -> Summary:
    """`kpi extract` on Spark: the same inputs, records, quarantine, dead letters and summary, with
    the three tables written as folders `out_dir/records/` etc. (see the module). Returns the Summary.

    Raises InputError (exit code 2) before starting Spark when the inputs cannot be used.
    """
    out = Path(out_dir)
    items = iter_inputs(inputs, manifest=manifest, max_doc_chars=max_doc_chars, exclude=[out])
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out}: cannot create the output folder: {exc.strerror or exc}") from None
    if validate:
        warm_up()
    spark = spark or spark_session(master, conf=conf)
    summary = Summary()
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix=".kpi-spark-", dir=out))
    try:
        (work / "dead_letter").mkdir()
        with ParquetSink(work / "dead_letter" / "part-00000.parquet", DEAD_LETTER_SCHEMA) as dead:
            documents = stage_documents(items, work / "documents.parquet", dead, summary, progress)
        result = extract_staged(
            spark, work / "documents.parquet", documents=documents, chars=summary.chars, validate=validate
        )
        try:
            result.passed.write.parquet((work / "records").as_uri())
            result.quarantine.write.parquet((work / "quarantine").as_uri())
        finally:
            result.release()
        summary.table_failures = result.table_failures
        summary.validation_errors = result.validation_errors
        for name in TABLES:
            _replace_folder(work / name, out / name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary.records = _rows(out / "records")
    summary.quarantined = _rows(out / "quarantine")
    return finish_run(out, summary, started, {name: _parts(out, name) for name in TABLES})


def _replace_folder(new: Path, target: Path) -> None:
    """Put the finished folder `new` at `target` (renames; Hadoop's .crc checksum files dropped)."""
    for crc in new.glob(".*.crc"):
        crc.unlink()
    replace_folder(new, target)


def _parts(out: Path, name: str) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in (out / name).glob("*.parquet"))


def _rows(folder: Path) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for p in folder.glob("*.parquet"))
