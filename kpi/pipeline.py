"""The batch job behind `kpi extract` (SCHEMA.md §3), usable without the command line.

inputs -> documents (kpi.io.readers) -> records (kpi.extractor) -> validation (kpi.validation)
-> records.parquet / quarantine.parquet / dead_letter.parquet, then summary.json and datapackage.json.

Documents are read one at a time, extracted in this process or in worker processes (kpi.parallel:
`workers`, and the per-document budget `doc_timeout`), and their records are validated and written,
in input order, every `chunk_docs` inputs, so memory stays bounded whatever the corpus size. Every
file is written on every run, through a temporary file and an atomic rename; other files in the
output folder are left alone.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "a.txt").write_text("今年力争认定高新技术企业130家。", encoding="utf-8")
>>> summary = run_extract([folder / "a.txt"], folder / "out", validate=False)
>>> summary.documents_in, summary.documents_processed, summary.dead_letters
(1, 1, 0)
>>> sorted(p.name for p in (folder / "out").iterdir())
['datapackage.json', 'dead_letter.parquet', 'quarantine.parquet', 'records.parquet', 'summary.json']
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any, ClassVar

import polars as pl
import pyarrow as pa

from kpi.frame import empty_quarantine, empty_records
from kpi.io.datapackage import write_datapackage
from kpi.io.readers import DEFAULT_MAX_DOC_CHARS, DeadLetter, Document, InputError, Item, iter_inputs
from kpi.io.writers import ParquetSink, write_json_atomic
from kpi.parallel import DEFAULT_DOC_TIMEOUT, Extraction, Rows, WorkerPool, make_extraction
from kpi.record import (
    COLUMNS,
    DEAD_LETTER_REASONS,
    DEAD_LETTER_SCHEMA,
    OUTPUT_SCHEMAS,
    RECORD_SCHEMA,
)

__all__ = ["Summary", "finish_run", "load_validator", "run_extract", "warm_up_in_background"]

log = logging.getLogger("kpi.pipeline")

Progress = Callable[[Item], None]
Validator = Callable[[pl.DataFrame], Any]
CHUNK_RAW_BYTES = 64 << 20  # also write a chunk once its dead letters hold this many raw bytes
VALIDATION_ERROR = "validation_error"  # failed_expectations entry when the validator itself failed


@dataclass(slots=True)
class Summary:
    """Counts of one run; `to_json` is summary.json. documents_in = documents_processed + dead_letters."""

    COUNTS: ClassVar[tuple[str, ...]] = (  # the counters a stream adds up over its batches
        "documents_in",
        "documents_processed",
        "dead_letters",
        "records",
        "quarantined",
        "chars",
        "decoded_with_replacement",
        "replaced_bytes",
        "documents_without_region",
        "documents_without_date",
        "records_not_keyed",
    )

    documents_in: int = 0
    documents_processed: int = 0
    dead_letters: int = 0
    records: int = 0
    quarantined: int = 0
    seconds: float = 0.0
    chars: int = 0
    decoded_with_replacement: int = 0  # documents with U+FFFD for undecodable bytes
    replaced_bytes: int = 0
    # why a tracking table may come out thin: documents whose records have no region / no publication
    # date, records without region, period_year or indicator_id (kpi track cannot key them)
    documents_without_region: int = 0
    documents_without_date: int = 0
    records_not_keyed: int = 0
    dead_letters_by_reason: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(DEAD_LETTER_REASONS, 0)
    )
    table_failures: list[str] = field(default_factory=list)
    validation_errors: list[str] = field(default_factory=list)

    @property
    def chars_per_second(self) -> float:
        """Characters of processed documents per second of the run."""
        return round(self.chars / self.seconds, 1) if self.seconds > 0 else 0.0

    @property
    def exit_code(self) -> int:
        """SCHEMA.md §6: 2 when an expectation raised, 1 when a table-level one failed, else 0."""
        return 2 if self.validation_errors else 1 if self.table_failures else 0

    def count(self, item: Item) -> None:
        """Tally one input."""
        self.documents_in += 1
        if isinstance(item, Document):
            self.documents_processed += 1
            self.chars += len(item.text)
            if item.replaced_bytes:
                self.decoded_with_replacement += 1
                self.replaced_bytes += item.replaced_bytes
        else:
            self.dead_letters += 1
            self.dead_letters_by_reason[item.reason_code] = (
                self.dead_letters_by_reason.get(item.reason_code, 0) + 1
            )

    def tally_context(self, frame: pl.DataFrame) -> None:
        """Count documents without region or date and records tracking cannot key, in a records frame."""
        docs = frame.group_by("doc_id").agg(
            pl.col("region").is_null().all().alias("no_region"),
            pl.col("published").is_null().all().alias("no_date"),
        )
        self.documents_without_region += int(docs["no_region"].sum())
        self.documents_without_date += int(docs["no_date"].sum())
        unkeyed = pl.any_horizontal(pl.col("region", "period_year", "indicator_id").is_null())
        self.records_not_keyed += int(frame.select(unkeyed.sum()).item())

    def to_json(self) -> dict[str, Any]:
        return {
            "documents_in": self.documents_in,
            "documents_processed": self.documents_processed,
            "dead_letters": self.dead_letters,
            "records": self.records,
            "quarantined": self.quarantined,
            "seconds": round(self.seconds, 3),
            "chars_per_second": self.chars_per_second,
            "dead_letters_by_reason": dict(self.dead_letters_by_reason),
            "decoded_with_replacement": self.decoded_with_replacement,
            "replaced_bytes": self.replaced_bytes,
            "documents_without_region": self.documents_without_region,
            "documents_without_date": self.documents_without_date,
            "records_not_keyed": self.records_not_keyed,
            "table_failures": list(self.table_failures),
            "validation_errors": list(self.validation_errors),
        }


def load_validator() -> Validator:
    """`kpi.validation.validate_records`, imported when a run validates (Great Expectations is slow to
    import); a broken kpi.validation fails the run rather than skipping validation."""
    from kpi.validation import validate_records

    return validate_records


def run_extract(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    manifest: Path | None = None,
    max_doc_chars: int = DEFAULT_MAX_DOC_CHARS,
    chunk_docs: int = 500,
    validate: bool = True,
    progress: Progress | None = None,
    stdin: IO[Any] | None = None,
    workers: int = 1,
    doc_timeout: float | None = DEFAULT_DOC_TIMEOUT,
) -> Summary:
    """Extract records from `inputs` into the files of `out_dir`; return the run's Summary.

    `workers` > 1 extracts in that many worker processes (kpi.parallel), with the same records in
    the same order. A document whose extraction takes longer than `doc_timeout` seconds per 100,000
    characters (at least `doc_timeout`; None or 0: no limit) is dead-lettered as `timeout`, one on
    which the extractor fails as `extract_error`; the run goes on.

    Raises InputError (exit code 2) before writing anything when the inputs cannot be used.
    """
    items = iter_inputs(
        inputs, manifest=manifest, max_doc_chars=max_doc_chars, stdin=stdin, exclude=[Path(out_dir)]
    )
    out = _output_folder(out_dir)
    validator = load_validator() if validate else None
    summary = Summary()
    started = time.perf_counter()
    with ExitStack() as stack:
        engine = stack.enter_context(make_extraction(workers=workers, doc_timeout=doc_timeout))
        warming = warm_up_in_background(validator) if isinstance(engine, WorkerPool) else None
        sinks = {
            name: stack.enter_context(ParquetSink(out / f"{name}.parquet", s)) for name, s in OUTPUT_SCHEMAS.items()
        }
        for records, dead in _chunks(items, engine, max(1, chunk_docs), summary, progress):
            if warming is not None:
                warming.join()
                warming = None
            _write_chunk(records, dead, sinks, validator, summary)
    return finish_run(out, summary, started)


def finish_run(out: Path, summary: Summary, started: float, paths: Any = None) -> Summary:
    """Close a run: time it, write summary.json and datapackage.json (`paths`: the tables' files)."""
    summary.seconds = time.perf_counter() - started
    write_json_atomic(out / "summary.json", summary.to_json())
    if paths is None:
        write_datapackage(out)
    else:
        write_datapackage(out, paths)
    log.info(
        "%d documents in, %d records, %d quarantined",
        summary.documents_in,
        summary.records,
        summary.quarantined,
    )
    return summary


def _output_folder(out_dir: str | Path) -> Path:
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out}: cannot create the output folder: {exc.strerror or exc}") from None
    return out


def _chunks(
    items: Iterable[Item], engine: Extraction, chunk_docs: int, summary: Summary, progress: Progress | None
) -> Iterator[tuple[Rows, list[DeadLetter]]]:
    """(records as rows, dead letters) of every `chunk_docs` inputs (sooner when dead letters get
    big), in input order, extracted by `engine` (kpi.parallel)."""
    records: Rows = []
    dead: list[DeadLetter] = []
    inputs = raw_bytes = 0
    for item, outcome in engine.map(items):
        inputs += 1
        if isinstance(outcome, DeadLetter):  # the reader's, or a timeout / extract_error
            summary.count(outcome)
            log.debug("dead letter %s: %s (%s)", outcome.source, outcome.reason_code, outcome.detail)
            dead.append(outcome)
            raw_bytes += len(outcome.raw or b"")
            item = outcome
        else:
            summary.count(item)
            records.extend(outcome)
        if progress is not None:
            progress(item)
        if inputs >= chunk_docs or raw_bytes >= CHUNK_RAW_BYTES:
            yield records, dead
            records, dead, inputs, raw_bytes = [], [], 0, 0
    if records or dead:
        yield records, dead


def _write_chunk(
    records: Rows,
    dead: list[DeadLetter],
    sinks: dict[str, ParquetSink],
    validator: Validator | None,
    summary: Summary,
) -> None:
    if dead:
        sinks["dead_letter"].write(
            pa.Table.from_pylist([d.to_dict() for d in dead], schema=DEAD_LETTER_SCHEMA)
        )
    if not records:
        return
    frame = _rows_frame(records)
    summary.tally_context(frame)
    passed, quarantine = _validate(frame, validator, summary)
    sinks["records"].write(passed)
    sinks["quarantine"].write(quarantine)
    summary.records += passed.height
    summary.quarantined += quarantine.height


def warm_frames() -> None:
    """Build a one-row records frame, so polars' one-off set-up for these types is done now."""
    sample = {pa.string(): "", pa.date32(): date(2000, 1, 1), pa.float64(): 0.0}
    _rows_frame([tuple(sample.get(f.type, 0) for f in RECORD_SCHEMA)])


def warm_up_in_background(validator: Validator | None) -> threading.Thread:
    """Start polars' and the validator's one-off set-up (a fraction of a second; some 2 s for the
    expectation suite) in a thread, so that it runs while worker processes extract instead of
    before or after them; join the thread before the first chunk is validated."""

    def warm() -> None:
        try:
            warm_frames()
            if validator is not None:
                validator(empty_records())
        except Exception as exc:  # noqa: BLE001  the first real chunk reports it properly
            log.debug("warm-up failed: %s", exc)

    thread = threading.Thread(target=warm, name="kpi-warm-up", daemon=True)
    thread.start()
    return thread


def _rows_frame(rows: Rows) -> pl.DataFrame:
    """Rows (tuples in COLUMNS order) -> a records frame with RECORD_SCHEMA, column by column."""
    columns = dict(zip(COLUMNS, map(list, zip(*rows, strict=True)), strict=True))
    return pl.DataFrame(columns, schema=empty_records().schema)


def _validate(
    frame: pl.DataFrame, validator: Validator | None, summary: Summary
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(passed, quarantine); a validator that fails outright quarantines the whole chunk (exit 2)."""
    if validator is None:
        return frame, empty_quarantine()
    try:
        outcome = validator(frame)
    except ValueError as exc:  # SchemaError / SuiteError: the suite could not judge these rows
        _note(summary.validation_errors, f"{type(exc).__name__}: {exc}")
        failed = pl.Series(
            "failed_expectations", [[VALIDATION_ERROR]] * frame.height, dtype=pl.List(pl.String)
        )
        return frame.clear(), frame.with_columns(failed)
    for name in outcome.table_failures:
        _note(summary.table_failures, name)
    for error in outcome.errors:
        _note(summary.validation_errors, error)
    return outcome.passed, outcome.quarantine


def _note(messages: list[str], message: str) -> None:
    """Append `message` once (every chunk reports the same failures again)."""
    if message not in messages:
        messages.append(message)
        log.error("validation: %s", message)
