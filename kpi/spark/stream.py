"""`kpi spark stream SOURCE --out DIR`: Structured Streaming over a folder, exactly once for any Parquet reader.

Spark's file source watches SOURCE (recursively) for the input files of `kpi extract`: `.txt`/`.html`,
`.jsonl` and `.parquet`. It is read as `binaryFile` rows of which only the path is used, so each new
file is read by kpi.io.readers on the driver, with the same decoding, ids and dead letters as in batch
mode, whatever its format. Spark's checkpoint (`DIR/_checkpoint/`: offsets, the file list of every
micro-batch, commits) decides which files make up micro-batch k, and gives the same files again when
batch k is replayed after a crash.

`foreachBatch` does for batch k what `kpi spark extract` does (kpi.spark.batch: stage, extract and
validate on the executors), then writes `DIR/records/part-<k>.parquet`, `DIR/quarantine/part-<k>.parquet`
and `DIR/dead_letter/part-<k>.parquet` on the driver, each through a hidden temporary file and an
atomic rename. The names depend on k only and the extraction is deterministic, so a replay of batch k
overwrites the same three files with the same rows: a reader that globs `DIR/records/*.parquet` sees
every record exactly once, with or without crashes. (Spark's own file sink is exactly-once only for
readers of its `_spark_metadata` log; its folders hold duplicates and empty files after a crash.)

Counts of batch k go to `DIR/_checkpoint/kpi/batches/<k>.json` (replays overwrite them too), after the
doc_ids the batch took (`DIR/_checkpoint/kpi/ids/`, kpi.stream.seen): an id an earlier batch took is a
`duplicate_id` dead letter, as in batch mode. Spark runs batch k only once k - 1 is committed, so the
ids of the batches before k are the ones that count; files of k itself are a failed try's, rewritten.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from kpi.io.datapackage import write_datapackage
from kpi.io.documents import Document, SeenIds, check_text
from kpi.io.readers import (
    DEFAULT_MAX_DOC_CHARS,
    JSONL_SUFFIXES,
    PARQUET_SUFFIXES,
    TEXT_SUFFIXES,
    DeadLetter,
    InputError,
    Item,
    iter_inputs,
)
from kpi.io.writers import ParquetSink, write_json_atomic
from kpi.pipeline import Summary
from kpi.record import OUTPUT_SCHEMAS
from kpi.spark.batch import extract_staged, stage_documents
from kpi.spark.session import DEFAULT_MASTER, spark_session
from kpi.spark.validate import warm_up
from kpi.stream.seen import StreamIds

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["StreamResult", "run_spark_stream"]

log = logging.getLogger("kpi.spark")

TABLES = OUTPUT_SCHEMAS  # name -> Arrow schema of each output table
SOURCE_SCHEMA = "path STRING, modificationTime TIMESTAMP, length BIGINT, content BINARY"  # binaryFile's
INPUT_GLOB = (
    "*.{" + ",".join(s.lstrip(".") for s in (*TEXT_SUFFIXES, *JSONL_SUFFIXES, *PARQUET_SUFFIXES)) + "}"
)
STOP_WAIT_SECONDS = 600  # on SIGINT/SIGTERM, wait this long at most for the batch in flight


def part_name(batch_id: int) -> str:
    """The file name of micro-batch `batch_id` in each table folder."""
    return f"part-{batch_id:010d}.parquet"


@dataclass
class StreamResult:
    """What a run did (`batches`) and what all runs on DIR did together (`totals`)."""

    batches: list[int] = field(default_factory=list)
    totals: Summary = field(default_factory=Summary)
    stopped_by: str | None = None

    @property
    def exit_code(self) -> int:
        return self.totals.exit_code


def run_spark_stream(
    source: str | Path,
    out_dir: str | Path,
    *,
    spark: SparkSession | None = None,
    master: str | None = DEFAULT_MASTER,
    conf: Mapping[str, str] | None = None,
    available_now: bool = False,
    max_files_per_trigger: int = 64,
    trigger_interval: float = 2.0,
    max_doc_chars: int = DEFAULT_MAX_DOC_CHARS,
    validate: bool = True,
    stop: threading.Event | None = None,
) -> StreamResult:
    """Process the files in the folder `source` into `out_dir` in micro-batches (see the module).

    With `available_now` the files present at the start are processed and the run ends; otherwise it
    runs until `stop` is set (the command line sets it on SIGINT/SIGTERM), then lets the batch in
    flight finish. Raises InputError for an unusable invocation and StreamFailed when the query dies.
    """
    src, out = _check_folders(Path(source), Path(out_dir))
    result = StreamResult()
    with _locked(out / "_checkpoint" / "kpi"):
        _clean(out)
        write_datapackage(out, {name: f"{name}/" for name in TABLES})
        if validate:
            warm_up()
        spark = spark or spark_session(master, conf=conf)
        writer = BatchWriter(spark, out, max_doc_chars=max_doc_chars, validate=validate, done=result.batches)
        query = _start(spark, src, out, writer, available_now, max_files_per_trigger, trigger_interval)
        result.stopped_by = _await(query, writer, stop or threading.Event())
    result.totals = totals(out)
    return result


class StreamFailed(Exception):
    """The streaming query stopped with an error (the batch in flight is replayed on restart)."""


def _check_folders(source: Path, out: Path) -> tuple[Path, Path]:
    if not source.is_dir():
        raise InputError(f"{source}: not a folder (kpi spark stream watches a folder)")
    src, dst = source.resolve(), out.resolve()
    if dst == src or src in dst.parents or dst in src.parents:
        raise InputError(
            f"{out}: the output folder must lie outside the source folder {source} and not hold it"
        )
    try:
        (dst / "_checkpoint" / "kpi" / "batches").mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            (dst / name).mkdir(exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out}: cannot create the output folder: {exc.strerror or exc}") from None
    return src, dst


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold `folder/lock` (flock) for the run: one stream per output folder; a crash releases it."""
    with open(folder / "lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"{folder.parents[1]}: a kpi spark stream is already running on it") from None
        yield


def _clean(out: Path) -> None:
    """Drop what a killed run left: temporary part files and staged documents."""
    for name in TABLES:
        for temp in (out / name).glob(".*.tmp"):
            temp.unlink(missing_ok=True)
    shutil.rmtree(out / "_checkpoint" / "kpi" / "staging", ignore_errors=True)


def _start(
    spark: SparkSession,
    source: Path,
    out: Path,
    writer: BatchWriter,
    available_now: bool,
    max_files: int,
    interval: float,
) -> Any:
    files = (
        spark.readStream.format("binaryFile")
        .schema(SOURCE_SCHEMA)
        .option("pathGlobFilter", INPUT_GLOB)
        .option("recursiveFileLookup", "true")
        .option("maxFilesPerTrigger", max_files)
        .option("ignoreMissingFiles", "true")
        .load(source.as_uri())
        .select("path")
    )
    stream = (
        files.writeStream.foreachBatch(writer)
        .option("checkpointLocation", (out / "_checkpoint").as_uri())
        .queryName(f"kpi-{out.name}")
    )
    if available_now:
        stream = stream.trigger(availableNow=True)
    else:
        stream = stream.trigger(processingTime=f"{max(0.1, interval)} seconds")
    return stream.start()


def _await(query: Any, writer: BatchWriter, stop: threading.Event) -> str | None:
    """Wait for the query to end (available-now) or for `stop`, then for the batch in flight to be
    written (a batch stopped halfway is replayed on restart, so this only saves work); StreamFailed
    when the query dies."""
    from pyspark.errors import StreamingQueryException

    try:
        while not query.awaitTermination(0.5):
            if stop.is_set():
                writer.idle.wait(STOP_WAIT_SECONDS)
                query.stop()
                return "signal"
    except StreamingQueryException as exc:
        raise StreamFailed(_first_line(exc)) from exc
    return None


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "desc", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class BatchWriter:
    """The foreachBatch function: micro-batch k of file paths -> the three part-<k> files."""

    def __init__(
        self, spark: SparkSession, out: Path, *, max_doc_chars: int, validate: bool, done: list[int]
    ) -> None:
        self.spark = spark
        self.out = out
        self.max_doc_chars = max_doc_chars
        self.validate = validate
        self.done = done
        self.staging = out / "_checkpoint" / "kpi" / "staging"
        self.ids_dir = out / "_checkpoint" / "kpi" / "ids"
        self.ids: StreamIds | None = None  # loaded at the first batch of the run
        self.idle = threading.Event()  # set while no batch is being written
        self.idle.set()

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        self.idle.clear()
        try:
            self._write(batch, batch_id)
        finally:
            self.idle.set()

    def _write(self, batch: DataFrame, batch_id: int) -> None:
        paths = sorted(_local_path(row.path) for row in batch.collect())
        log.info("batch %d: started, %d files", batch_id, len(paths))
        summary = Summary()
        started = time.perf_counter()
        self.staging.mkdir(parents=True, exist_ok=True)
        staged = self.staging / f"{batch_id}.parquet"
        name = part_name(batch_id)
        with ExitStack() as stack:
            sinks = {t: stack.enter_context(ParquetSink(self.out / t / name, s)) for t, s in TABLES.items()}
            ids = self._ids_before(batch_id)
            items = _claimed(_items(paths, self.max_doc_chars), ids, self.max_doc_chars)
            documents = stage_documents(items, staged, sinks["dead_letter"], summary)
            result = extract_staged(
                self.spark, staged, documents=documents, chars=summary.chars, validate=self.validate
            )
            try:
                sinks["records"].write(result.passed.toArrow())
                sinks["quarantine"].write(result.quarantine.toArrow())
            finally:
                result.release()
            for table in TABLES:  # publish: each an atomic rename over the same name as any earlier try
                sinks[table].close()
                log.info("batch %d: %s written", batch_id, table)
        staged.unlink(missing_ok=True)
        ids.write(batch_id)
        summary.records, summary.quarantined = sinks["records"].rows, sinks["quarantine"].rows
        summary.table_failures, summary.validation_errors = result.table_failures, result.validation_errors
        summary.seconds = time.perf_counter() - started
        state = {
            "batch": batch_id,
            "files": [str(p) for p in paths],
            "chars": summary.chars,
            **summary.to_json(),
        }
        write_json_atomic(self.out / "_checkpoint" / "kpi" / "batches" / f"{batch_id:010d}.json", state)
        ids.fold(batch_id)
        self.done.append(batch_id)
        log.info(
            "batch %d: done, %d documents in, %d records, %d quarantined, %d dead letters (%.1f s)",
            batch_id,
            summary.documents_in,
            summary.records,
            summary.quarantined,
            summary.dead_letters,
            summary.seconds,
        )


    def _ids_before(self, batch_id: int) -> StreamIds:
        """The ids the batches before `batch_id` took; none yet of this one."""
        if self.ids is None:
            self.ids_dir.mkdir(parents=True, exist_ok=True)
            self.ids = StreamIds.load(self.ids_dir, range(batch_id))
        self.ids.begin()
        return self.ids


def _claimed(items: Iterator[Item], ids: SeenIds, max_doc_chars: int) -> Iterator[Item]:
    """A document whose id another file of the batch or an earlier batch took -> duplicate_id."""
    for item in items:
        if isinstance(item, Document):
            item = check_text(item, partial(_raw, item), max_doc_chars, ids)
        yield item


def _raw(doc: Document) -> bytes:
    """A duplicate's bytes: its text file, else its fields as JSON (as a Parquet row's are kept)."""
    path = Path(doc.source)
    if path.suffix.lower() in TEXT_SUFFIXES and path.is_file():
        return path.read_bytes()
    fields = {"id": doc.doc_id, "text": doc.text, "published": doc.published, "region": doc.region}
    return json.dumps(fields, ensure_ascii=False, default=str).encode()


def _local_path(uri: str) -> Path:
    """`file:/a/b%20c.txt` -> /a/b c.txt (Spark lists paths as Hadoop URIs)."""
    parsed = urlparse(uri)
    if parsed.scheme not in ("", "file"):
        raise StreamFailed(f"{uri}: kpi spark stream reads local (or mounted) folders only")
    return Path(unquote(parsed.path))


def _items(paths: list[Path], max_doc_chars: int) -> Iterator[Item]:
    """The documents and dead letters of each file, as `kpi extract` reads it; a file the batch job
    would refuse outright (a Parquet file without a text column, a file gone) is one dead letter."""
    for path in paths:
        try:
            items = iter_inputs([path], max_doc_chars=max_doc_chars)
        except InputError as exc:
            reason = "missing_text" if path.exists() else "unreadable"  # no usable `text` column, or gone
            yield DeadLetter(str(path), None, reason, str(exc).removeprefix(f"{path}: "), None)
            continue
        yield from items


def totals(out: Path) -> Summary:
    """The counts of every batch committed to `out` so far (all runs)."""
    total = Summary()
    for path in sorted((out / "_checkpoint" / "kpi" / "batches").glob("*.json")):
        state = json.loads(path.read_text(encoding="utf-8"))
        for key in Summary.COUNTS:
            setattr(total, key, getattr(total, key) + int(state.get(key, 0)))
        total.seconds += float(state.get("seconds", 0.0))
        for reason, n in state.get("dead_letters_by_reason", {}).items():
            total.dead_letters_by_reason[reason] = total.dead_letters_by_reason.get(reason, 0) + n
        for key in ("table_failures", "validation_errors"):
            known = getattr(total, key)
            known.extend(m for m in state.get(key, []) if m not in known)
    return total


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set `stop` on SIGINT or SIGTERM (a second one ends the process as usual)."""

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
        log.info("stopping after the batch in flight (%s)", signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
