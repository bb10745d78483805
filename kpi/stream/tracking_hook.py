"""The tracking table kept by `kpi stream`: keyed state inside the commit protocol (SCHEMA.md §5).

`TrackingHook` is the `BatchHook` `kpi stream` runs by default. For batch k, before `commits/<k>`:

1. it loads the state of batch k − 1, the newest committed one (none for batch 0):
   `_checkpoint/state/tracking-records-<k-1>.parquet` and `tracking-documents-<k-1>.parquet`;
2. adds what batch k can contribute to tracking, from its passed *and* quarantined records (the
   rows `kpi track` reads from a stream folder or a `kpi extract` output):
   * records: every record of a sentence that holds a record the tracker can key (an indicator id,
     as the tracker reads it from the sentence, a region and a year), in the columns `kpi track`
     reads, with `_part` saying which table it came from;
   * documents: (doc_id, region, published) of every record, so a report whose records are all
     dropped from the state above still counts as the next year's report (`pending` or not);
3. writes that as the state of batch k (temporary file, fsync, atomic rename, fsync of the folder;
   crash point `after_tracking_state`), deletes the states older than k − 1, and
4. recomputes `build_tracking` over the state and replaces `DIR/tracking.parquet` (same steps).

A replay of batch k after a crash starts again from the state of k − 1, so it writes the same files
and cannot count batch k twice. The state holds indicator records and one row per document only, so
it stays small next to the records themselves; it is read and rewritten once per batch.

`DIR/report.html` is drawn by `finish` at the end of a run (the command calls it), and during a long
run at most every `report_every` seconds, after a batch that changed the table: drawing the charts
takes about a second.

If batch k − 1 has no state (the stream ran without tracking, or before it existed), the state is
rebuilt once from the committed tables of batches 0 … k − 1 (Parquet parts, or the Delta tables as
of the version before batch k's append).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from kpi.io.atomic import atomic_path
from kpi.record import polars_schema
from kpi.stream.checkpoint import batch_name, maybe_crash
from kpi.tracking import build_tracking
from kpi.tracking.inputs import write_tracking
from kpi.tracking.prepare import NEEDED, OPTIONAL, prepare
from kpi.tracking.schema import STATUSES

__all__ = [
    "TrackingHook",
    "TrackingState",
    "format_tracking",
    "load_state",
    "tracking_status",
]

log = logging.getLogger("kpi.stream")

PART = "_part"  # 0: quarantine, 1: records — the order `kpi track DIR` reads a stream folder in
QUARANTINE, RECORDS = 0, 1
COLUMNS: tuple[str, ...] = (*NEEDED, *OPTIONAL)
DOCUMENT_COLUMNS: tuple[str, ...] = ("doc_id", "region", "published")
TRACKING_FILE = "tracking.parquet"
REPORT_FILE = "report.html"


def records_path(state_dir: Path, k: int) -> Path:
    return state_dir / f"tracking-records-{batch_name(k)}.parquet"


def documents_path(state_dir: Path, k: int) -> Path:
    return state_dir / f"tracking-documents-{batch_name(k)}.parquet"


def _records_schema() -> dict[str, pl.DataType]:
    schema = polars_schema()
    return {**{c: schema[c] for c in COLUMNS}, PART: pl.Int8()}


def _documents_schema() -> dict[str, pl.DataType]:
    schema = polars_schema()
    return {c: schema[c] for c in DOCUMENT_COLUMNS}


class TrackingState:
    """The tracking state after one batch: the records that can matter, and the documents seen."""

    __slots__ = ("documents", "records")

    def __init__(self, records: pl.DataFrame | None = None, documents: pl.DataFrame | None = None) -> None:
        self.records = records if records is not None else pl.DataFrame(schema=_records_schema())
        self.documents = documents if documents is not None else pl.DataFrame(schema=_documents_schema())

    def add(self, records: pl.DataFrame | None, quarantine: pl.DataFrame | None) -> TrackingState:
        """The state with a batch's passed records and quarantined records added (a new object)."""
        rows = pl.concat(
            [
                _tracker_rows(frame, part)
                for frame, part in ((quarantine, QUARANTINE), (records, RECORDS))
                if frame is not None and frame.height
            ]
            or [pl.DataFrame(schema=_records_schema())],
            how="vertical",
        )
        documents = pl.concat([self.documents, rows.select(DOCUMENT_COLUMNS)], how="vertical")
        return TrackingState(
            pl.concat([self.records, _keyed(rows)], how="vertical"),
            documents.unique(maintain_order=True),
        )

    def tracking(self) -> pl.DataFrame:
        """`build_tracking` over the state, the rows in the order `kpi track` reads them."""
        records = self.records.sort(PART, maintain_order=True).drop(PART)
        return build_tracking(records, documents=self.documents)

    def write(self, state_dir: Path, k: int) -> None:
        """The state of batch k: two files, each written atomically and durably."""
        _write_parquet(self.records, records_path(state_dir, k))
        _write_parquet(self.documents, documents_path(state_dir, k))


def _tracker_rows(frame: pl.DataFrame, part: int) -> pl.DataFrame:
    """A records or quarantine frame in the columns the tracker reads (as `kpi track` casts them)."""
    schema = _records_schema()
    return frame.select(
        *(
            pl.col(c).cast(schema[c]) if c in frame.columns else pl.lit(None, schema[c]).alias(c)
            for c in COLUMNS
        ),
        pl.lit(part, pl.Int8).alias(PART),
    )


def _keyed(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows of every sentence that holds a record the tracker can key.

    Whole sentences are kept because the tracker places a mention written twice in its sentence by
    the other records of that sentence; every other record can never reach the tracking table."""
    if rows.is_empty():
        return rows
    prepared = prepare(rows.drop(PART))
    keys = (
        prepared.filter(
            pl.col("indicator_id").is_not_null()
            & pl.col("region").is_not_null()
            & pl.col("period_year").is_not_null()
        )
        .select("doc_id", "sentence")
        .unique()
    )
    return rows.join(keys, on=["doc_id", "sentence"], how="semi", nulls_equal=True, maintain_order="left")


def _write_parquet(frame: pl.DataFrame, path: Path) -> None:
    with atomic_path(path) as temp:
        frame.write_parquet(temp)


def load_state(state_dir: Path, k: int) -> TrackingState | None:
    """The state after batch k, or None when batch k has none."""
    records, documents = records_path(state_dir, k), documents_path(state_dir, k)
    if not (records.exists() and documents.exists()):
        return None
    return TrackingState(pl.read_parquet(records), pl.read_parquet(documents))


def _prune(state_dir: Path, keep: set[int]) -> None:
    """Delete the states of batches not in `keep`."""
    for path in state_dir.glob("tracking-*.parquet"):
        number = path.stem.rpartition("-")[2]
        if number.isdigit() and int(number) not in keep:
            path.unlink(missing_ok=True)


def _remove_temporaries(out_dir: Path) -> None:
    """Temporary files of tracking.parquet and report.html a killed process left in DIR."""
    for pattern in (".tracking*.tmp", ".report*.tmp"):
        for temp in out_dir.glob(pattern):
            temp.unlink(missing_ok=True)


def replace_tracking(tracking: pl.DataFrame, out_dir: Path, name: str = TRACKING_FILE) -> Path:
    """`DIR/tracking.parquet` (TRACKING_SCHEMA, lineage), atomically and durably (kpi.io.atomic)."""
    return write_tracking(tracking, out_dir / name)


# --- rebuilding the state from the committed tables --------------------------------------------


def rebuild_state(out_dir: Path, upto: int) -> TrackingState:
    """The state after batches 0 … upto − 1, from the tables the stream committed (no hook ran)."""
    meta_path = out_dir / "_checkpoint" / "metadata.json"
    sink = json.loads(meta_path.read_text(encoding="utf-8")).get("sink", "parquet")
    tables = _committed_tables_delta(out_dir, upto) if sink == "delta" else _committed_tables(out_dir, upto)
    return TrackingState().add(tables["records"], tables["quarantine"])


def _committed_tables(out_dir: Path, upto: int) -> dict[str, pl.DataFrame | None]:
    found: dict[str, pl.DataFrame | None] = {}
    for table in ("records", "quarantine"):
        parts = [out_dir / table / f"part-{batch_name(j)}.parquet" for j in range(upto)]
        parts = [p for p in parts if p.exists()]
        found[table] = _read_columns(parts) if parts else None
    return found


def _read_columns(parts: list[Path]) -> pl.DataFrame:
    names = pq.read_schema(parts[0]).names
    return pl.read_parquet(parts, columns=[c for c in COLUMNS if c in names])


def _committed_tables_delta(out_dir: Path, upto: int) -> dict[str, pl.DataFrame | None]:
    """The Delta tables as of the version before batch `upto`'s append, their data files read in the
    order they were added (batch order, as the Parquet parts are)."""
    import pyarrow as pa
    from deltalake import DeltaTable

    found: dict[str, pl.DataFrame | None] = {}
    for table in ("records", "quarantine"):
        root = out_dir / table
        dt = DeltaTable(str(root))
        later = [h["version"] for h in dt.history() if int(h.get("kpi_batch", -1)) >= upto]
        if later:
            dt.load_as_version(min(later) - 1)
        actions = pa.table(dt.get_add_actions(flatten=True)).select(["path", "modification_time"])
        files = sorted(zip(*actions.to_pydict().values(), strict=True), key=lambda f: (f[1], f[0]))
        parts = [root / path for path, _ in files]
        found[table] = _read_columns(parts) if parts else None
    return found


# --- the hook ------------------------------------------------------------------------------------


class TrackingHook:
    """Keeps `DIR/tracking.parquet` equal to `kpi track DIR` after every batch (see the module)."""

    def __init__(self, *, report_every: float | None = 60.0) -> None:
        self.report_every = report_every
        self.last_report = time.monotonic()
        self.drawn: pl.DataFrame | None = None  # the table report.html was last drawn from
        self.tidied = False

    def on_batch(
        self,
        batch: int,
        records: pl.DataFrame,
        state_dir: Path,
        *,
        quarantine: pl.DataFrame | None = None,
    ) -> None:
        out_dir = state_dir.parent.parent
        if not self.tidied:
            _remove_temporaries(out_dir)
            self.tidied = True
        previous = self._state_before(batch, state_dir, out_dir)
        _prune(state_dir, {batch - 1, batch})  # batch − 1 is committed: no replay needs older ones
        state = previous.add(records, quarantine)
        state.write(state_dir, batch)
        maybe_crash("after_tracking_state", batch)
        tracking = state.tracking()
        replace_tracking(tracking, out_dir)
        if self.report_every is not None and time.monotonic() - self.last_report >= self.report_every:
            self._draw(tracking, out_dir)

    def _state_before(self, batch: int, state_dir: Path, out_dir: Path) -> TrackingState:
        if batch == 0:
            return TrackingState()
        state = load_state(state_dir, batch - 1)
        if state is None:
            log.info("tracking: no state for batch %s; rebuilding it from the committed tables", batch - 1)
            state = rebuild_state(out_dir, batch)
        return state

    def _draw(self, tracking: pl.DataFrame, out_dir: Path) -> None:
        """Draw report.html unless it shows this table already; a failure is logged, never raised
        (the report is a view: it must not stop a batch from committing)."""
        from kpi.tracking import write_report

        if self.drawn is None or not self.drawn.equals(tracking):
            try:
                write_report(tracking, out_dir / REPORT_FILE)
            except Exception as exc:  # noqa: BLE001
                log.warning("tracking: cannot draw %s: %s", out_dir / REPORT_FILE, exc)
            else:
                self.drawn = tracking
        self.last_report = time.monotonic()

    def finish(self, out_dir: Path) -> None:
        """At the end of a run: catch the state up if the last committed batch has none (a stream
        that ran without tracking), then draw `report.html` if it is older than `tracking.parquet`.
        Skipped when another process holds the checkpoint."""
        from kpi.io.readers import InputError
        from kpi.stream.checkpoint import Checkpoint

        out_dir = Path(out_dir)
        meta = Checkpoint(out_dir).metadata()
        if not meta:
            return
        try:
            cp = Checkpoint.open(out_dir, sink=meta.get("sink", "parquet"))
        except InputError:
            return
        try:
            _remove_temporaries(out_dir)
            committed = cp.committed_batches()
            if not committed:
                return
            last = committed[-1]
            if load_state(cp.state_dir, last) is None:
                log.info("tracking: building the state of batch %s from the committed tables", last)
                state = rebuild_state(out_dir, last + 1)
                state.write(cp.state_dir, last)
                _prune(cp.state_dir, {last})
                replace_tracking(state.tracking(), out_dir)
            tracking_file, report = out_dir / TRACKING_FILE, out_dir / REPORT_FILE
            if tracking_file.exists() and (
                not report.exists() or report.stat().st_mtime_ns < tracking_file.stat().st_mtime_ns
            ):
                self._draw(pl.read_parquet(tracking_file), out_dir)
        finally:
            cp.close()


# --- `kpi status` --------------------------------------------------------------------------------


def tracking_status(out_dir: Path, last_committed: int | None) -> dict[str, Any] | None:
    """The tracking table and state of a stream folder, or None when it has none."""
    path = Path(out_dir) / TRACKING_FILE
    if not path.exists():
        return None
    statuses = pl.read_parquet(path, columns=["status"])["status"].value_counts()
    counts = dict.fromkeys(STATUSES, 0) | {str(s): int(n) for s, n in statuses.iter_rows()}
    status: dict[str, Any] = {"targets": sum(counts.values()), "by_status": counts, "state_batch": None}
    state_dir = Path(out_dir) / "_checkpoint" / "state"
    if last_committed is not None:
        records, documents = (
            records_path(state_dir, last_committed),
            documents_path(state_dir, last_committed),
        )
        try:  # a running stream may prune it meanwhile
            sizes = {
                "state_records": pq.ParquetFile(records).metadata.num_rows,
                "state_documents": pq.ParquetFile(documents).metadata.num_rows,
                "state_bytes": records.stat().st_size + documents.stat().st_size,
            }
        except OSError:
            sizes = {}
        if sizes:
            status.update(state_batch=last_committed, **sizes)
    return status


def format_tracking(status: dict[str, Any]) -> str:
    """`54 targets: met 18, missed 4, pending 21, unclear 11`."""
    counts = ", ".join(f"{s} {n:,}" for s, n in status["by_status"].items())
    return f"{status['targets']:,} targets: {counts}"
