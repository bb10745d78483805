"""The micro-batch loop behind `kpi stream`, usable without the command line.

Each batch k goes through the commit protocol of the write-ahead log:

1. plan: `offsets/<k>.json` records exactly which slices of which files (path, size, mtime, sha256;
   byte/line or row ranges) the batch reads — durably, before any of it is read;
2. read, extract and validate them in chunks, as `kpi extract` does (same readers, extractor,
   validation, writers), into the batch's three tables; publish records, quarantine, dead letters.
   With `workers` > 1 the batch's documents are extracted by worker processes that live as long as
   the run (kpi.parallel), and come back in input order, so a batch's tables are the same;
3. `state/<k>.json`: the counts over all batches so far; then the `BatchHook`, if any;
4. `commits/<k>`: the batch is committed. Then inputs are moved (--move-done) and spooled standard
   input is deleted, which a restart redoes if it was cut short.

A restart replays the one uncommitted batch from its plan, then plans new ones from the committed
progress of every file, so no input is lost or read twice. The first SIGINT/SIGTERM lets the
current batch commit and stops; a second abandons it (it is replayed on restart).
"""

from __future__ import annotations

import copy
import logging
import os
import shutil
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import IO, Any, Literal

from kpi.io.readers import DEFAULT_MAX_DOC_CHARS, STDIN, InputError, check_parquet, load_manifest
from kpi.parallel import DEFAULT_DOC_TIMEOUT, Extraction, WorkerPool, make_extraction
from kpi.pipeline import Summary, _chunks, _write_chunk, load_validator, warm_up_in_background
from kpi.stream.checkpoint import Checkpoint, batch_name, maybe_crash
from kpi.stream.hook import BatchHook, takes_quarantine
from kpi.stream.plan import Slice
from kpi.stream.seen import StreamIds
from kpi.stream.sinks import make_sink
from kpi.stream.sources import Budget, Scanner, read_slice
from kpi.stream.spool import StdinSpool, recover_spool

__all__ = ["BatchAbandoned", "StreamOptions", "StreamResult", "run_stream"]

log = logging.getLogger("kpi.stream")
CHUNK_DOCS = 500  # documents validated per call, as in batch mode
PROGRESS_EVERY = 1.0  # seconds between progress lines while batches run back to back


class BatchAbandoned(BaseException):
    """A second SIGINT/SIGTERM: the current batch is dropped and will be replayed on restart.

    Raised by the signal handler wherever the main thread is, the extractor included: a
    BaseException, like KeyboardInterrupt, so no `except Exception` takes it for a failure."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamOptions:
    """Options of a stream run (the command line's, with the same defaults)."""

    follow: bool = False
    sink: Literal["parquet", "delta"] = "parquet"
    max_batch_docs: int = 500
    max_batch_bytes: int = 4 << 20
    trigger_interval: float = 1.0
    move_done: Path | None = None
    manifest: Path | None = None
    max_doc_chars: int = DEFAULT_MAX_DOC_CHARS
    validate: bool = True
    handle_signals: bool = False
    workers: int = 1  # extraction processes; 1: in this process
    doc_timeout: float | None = DEFAULT_DOC_TIMEOUT  # seconds per 100,000 characters; None: no limit


@dataclass(slots=True)
class StreamResult:
    """What a run did (`run`), and where the whole stream stands (`totals`, over all runs)."""

    run: Summary
    totals: Summary
    batches: int  # committed by this run, the replayed one included
    last_batch: int | None
    replayed: int | None
    stopped_by: str | None  # the signal that stopped a --follow run

    @property
    def exit_code(self) -> int:
        return self.run.exit_code


def run_stream(
    sources: Sequence[str | Path],
    out_dir: str | Path,
    options: StreamOptions | None = None,
    *,
    hook: BatchHook | None = None,
    stdin: IO[bytes] | None = None,
) -> StreamResult:
    """Process `sources` into `out_dir` in committed micro-batches until done (or, with follow, until
    a signal); raises InputError (exit code 2) for an unusable invocation, BatchAbandoned on a second
    signal."""
    return _Runner([str(s) for s in sources], Path(out_dir), options or StreamOptions(), hook, stdin).run()


def merge(into: Summary, batch: Summary) -> None:
    """Add a batch's counts to a running total."""
    for name in Summary.COUNTS:
        setattr(into, name, getattr(into, name) + getattr(batch, name))
    into.seconds += batch.seconds
    for reason, n in batch.dead_letters_by_reason.items():
        into.dead_letters_by_reason[reason] = into.dead_letters_by_reason.get(reason, 0) + n
    for name in ("table_failures", "validation_errors"):
        seen = getattr(into, name)
        seen.extend(m for m in getattr(batch, name) if m not in seen)


def summary_from_state(state: dict[str, Any]) -> Summary:
    """The Summary a `state/<k>.json` holds (counts over all batches up to k)."""
    names = {f.name for f in fields(Summary)}
    summary = Summary(**{k: v for k, v in state.items() if k in names})
    summary.dead_letters_by_reason = {**Summary().dead_letters_by_reason, **summary.dead_letters_by_reason}
    return summary


def state_of(totals: Summary, k: int, ids: int) -> dict[str, Any]:
    """`state/<k>.json`: the counts over batches up to k, and the doc_ids they took."""
    return {"batch": k, **totals.to_json(), "chars": totals.chars, "ids": ids}


class _Runner:
    def __init__(
        self,
        sources: list[str],
        out: Path,
        options: StreamOptions,
        hook: BatchHook | None,
        stdin: IO[bytes] | None,
    ) -> None:
        self.sources, self.out, self.options, self.hook, self.stdin = sources, out, options, hook, stdin
        self.hook_takes_quarantine = hook is not None and takes_quarantine(hook)
        self.engine: Extraction | None = None  # made at run time, so a patched extractor is seen
        self.warming: threading.Thread | None = None  # one-off set-up running beside the first batch
        self.metadata = load_manifest(options.manifest)
        self.validator = load_validator() if options.validate else None
        self.run_summary = Summary()
        self.batches = 0
        self.replayed: int | None = None
        self.last_batch: int | None = None
        self.stop_requested: str | None = None
        self.wake = threading.Event()
        self.started = time.monotonic()
        self.last_progress = 0.0

    # --- the loop --------------------------------------------------------------------------------

    def run(self) -> StreamResult:
        Scanner.check_sources(self.sources)  # before anything is written
        self.cp = Checkpoint.open(self.out, sink=self.options.sink)
        restore = self._install_signals() if self.options.handle_signals else {}
        self.engine = make_extraction(workers=self.options.workers, doc_timeout=self.options.doc_timeout)
        try:
            with self.engine:
                self._start()
                self._loop()
            self.sink.write_datapackage()
            self.run_summary.seconds = time.monotonic() - self.started
        finally:
            for sig, handler in restore.items():
                signal.signal(sig, handler)
            self.cp.close()
        totals = self.totals
        return StreamResult(
            self.run_summary, totals, self.batches, self.last_batch, self.replayed, self.stop_requested
        )

    def _start(self) -> None:
        recovered = self.cp.recover()
        self.ledger, self.last_batch = recovered.ledger, recovered.last_committed
        self.totals = summary_from_state(recovered.state)
        self.ids = StreamIds.load(self.cp.ids_dir, self.cp.committed_batches())
        meta = self.cp.metadata()
        self.sink = make_sink(self.options.sink, self.out, app_id=meta["app_id"], staging=self.cp.staging)
        exclude = [p for p in (self.out, self.options.move_done, self.options.manifest) if p is not None]
        self.scanner = Scanner(self.sources, spool=self.cp.spool, exclude=exclude, ledger=self.ledger)
        self.cp.update_metadata(
            sources=[s if s == STDIN else os.path.abspath(s) for s in self.sources],
            exclude=[os.path.abspath(p) for p in exclude],
            follow=self.options.follow,
        )
        self.sink.prepare()
        next_line = recover_spool(self.cp.spool, self.ledger.stdin_next_line)
        self.spool = None
        if STDIN in self.sources:
            stream = self.stdin if self.stdin is not None else _stdin_bytes()
            seal = self.options.max_batch_docs
            self.spool = StdinSpool(self.cp.spool, stream, first_line=next_line, seal_lines=seal).start()
        self._first_scan(fresh=recovered.last_committed is None and recovered.pending is None)
        if isinstance(self.engine, WorkerPool):  # while the workers extract the first batch
            self.warming = warm_up_in_background(self.validator)
        else:
            self._warm_validator()
        self.started = time.monotonic()  # rates count from here, after the one-off loading
        if recovered.pending is not None:
            k, slices = recovered.pending
            log.info("replaying batch %s, which a stopped run left uncommitted", batch_name(k))
            self.replayed = k
            self._run_batch(k, slices, replay=True)

    def _first_scan(self, *, fresh: bool) -> None:
        """Queue what the sources hold; InputError (as in batch mode) when a new stream has no inputs
        or a Parquet file has no text column."""
        self.scanner.refresh()
        self.last_scan = time.monotonic()
        found = self.spool or self.scanner.queue or self.scanner.done
        if fresh and not (self.options.follow or found):
            listed = ", ".join(self.sources) or "(nothing)"
            raise InputError(
                f"no inputs found in {listed} (looked for .txt, .html, .jsonl and .parquet files)"
            )
        for pending in self.scanner.queue.values():
            if pending.kind == "parquet":
                check_parquet(Path(pending.abspath))
        self._tidy(self.scanner.take_done())

    def _warm_validator(self) -> None:
        """Load the expectation suite now, so the first batch's latency does not include it."""
        if self.validator is None:
            return
        from kpi.frame import empty_records

        try:
            self.validator(empty_records())
        except Exception as exc:  # noqa: BLE001  the first batch reports it properly
            log.debug("validator warm-up failed: %s", exc)

    def _loop(self) -> None:
        idle_logged = False
        while not self.stop_requested:
            drained = self.spool is None or self.spool.drained  # before the scan that may see its last part
            if self._step():
                idle_logged = False
                continue
            if not self.options.follow and drained:
                return
            if not idle_logged:
                log.info("up to date after batch %s; waiting for new input", _name(self.last_batch))
                idle_logged = True
            self.wake.wait(self.options.trigger_interval)
            self.wake.clear()

    def _step(self) -> bool:
        """Plan and run the next batch; False when nothing is pending."""
        scan = not self.scanner.queue or time.monotonic() - self.last_scan >= self.options.trigger_interval
        slices = self._plan(scan=scan)
        if not slices and not scan:  # what was queued turned out to be done already
            slices = self._plan(scan=True)
        if not slices:
            return False
        k = 0 if self.last_batch is None else self.last_batch + 1
        self.cp.write_plan(k, slices)
        maybe_crash("after_plan", k)
        self._run_batch(k, slices, replay=False)
        return True

    def _plan(self, *, scan: bool) -> list[Slice]:
        if scan:
            if self.spool is not None:
                self.spool.seal()
            self.scanner.refresh()
            self.last_scan = time.monotonic()
        slices = self.scanner.plan(Budget(self.options.max_batch_docs, self.options.max_batch_bytes))
        self._tidy(self.scanner.take_done())
        return slices

    # --- one batch -------------------------------------------------------------------------------

    def _run_batch(self, k: int, slices: list[Slice], *, replay: bool) -> None:
        started = time.perf_counter()
        batch = Summary()
        self.ids.begin()  # a replay starts afresh: its own ids do not count as taken before
        limit = self.options.max_doc_chars
        items = (item for piece in slices for item in read_slice(piece, self.metadata, limit, self.ids))
        with self.sink.open_batch(k, replay=replay) as out:
            assert self.engine is not None
            for records, dead in _chunks(items, self.engine, CHUNK_DOCS, batch, None):
                if self.warming is not None:
                    self.warming.join()
                    self.warming = None
                _write_chunk(records, dead, out.sinks, self.validator, batch)
            maybe_crash("after_extract", k)
            for name in ("records", "quarantine", "dead_letter"):
                out.publish(name)
                maybe_crash(f"after_{name}", k)
        self.ids.write(k)
        maybe_crash("after_ids", k)
        batch.seconds = time.perf_counter() - started
        totals = copy.deepcopy(self.totals)
        merge(totals, batch)
        self.cp.write_state(k, state_of(totals, k, len(self.ids)))
        maybe_crash("after_state", k)
        if self.hook is not None:
            import polars as pl

            passed = pl.read_parquet(out.paths["records"])
            if self.hook_takes_quarantine:  # see kpi.stream.hook
                quarantine = pl.read_parquet(out.paths["quarantine"])
                hook: Any = self.hook
                hook.on_batch(k, passed, self.cp.state_dir, quarantine=quarantine)
            else:
                self.hook.on_batch(k, passed, self.cp.state_dir)
        maybe_crash("before_commit", k)
        self.cp.commit(k, {"documents_in": batch.documents_in, "records": batch.records})
        maybe_crash("after_commit", k)
        self.totals, self.last_batch = totals, k
        self.ids.fold(k)
        self.batches += 1
        merge(self.run_summary, batch)
        self.ledger.apply(slices)
        self.scanner.advance(slices)
        self.sink.after_commit(k)
        self._tidy([s.file.abspath for s in slices if s.last])
        self.sink.write_datapackage()
        self._progress(k, batch)

    def _tidy(self, done: list[str]) -> None:
        """Delete consumed spool parts; move committed inputs when --move-done is given."""
        spool = os.path.realpath(self.cp.spool)
        for path in done:
            if os.path.dirname(os.path.realpath(path)) == spool:
                Path(path).unlink(missing_ok=True)
            elif self.options.move_done is not None and os.path.exists(path):
                _move(Path(path), self.options.move_done)

    def _progress(self, k: int, batch: Summary) -> None:
        now = time.monotonic()
        if now - self.last_progress < PROGRESS_EVERY and self.scanner.queue:
            return
        self.last_progress = now
        elapsed = max(now - self.started, 1e-9)
        run = self.run_summary
        log.info(
            "batch %s: %d docs, %d records in %.2f s | %.0f docs/s, %.0f records/s | lag %.1f s, %d files queued",
            batch_name(k),
            batch.documents_in,
            batch.records + batch.quarantined,
            batch.seconds,
            run.documents_in / elapsed,
            (run.records + run.quarantined) / elapsed,
            self.scanner.oldest_age(time.time()),
            len(self.scanner.queue),
        )

    # --- signals ---------------------------------------------------------------------------------

    def _install_signals(self) -> dict[int, Any]:
        def handler(signum: int, frame: Any) -> None:
            name = signal.Signals(signum).name
            if self.stop_requested:
                raise BatchAbandoned(name)
            self.stop_requested = name
            self.wake.set()
            log.warning("%s: finishing the current batch, then stopping (again to abandon it)", name)

        return {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}


def _name(k: int | None) -> str:
    return "-" if k is None else batch_name(k)


def _stdin_bytes() -> IO[bytes]:
    import sys

    return sys.stdin.buffer


def _move(path: Path, folder: Path) -> None:
    """Move a committed input into `folder`, keeping its name unless that is taken."""
    folder.mkdir(parents=True, exist_ok=True)
    target, n = folder / path.name, 1
    while target.exists():
        target, n = folder / f"{path.stem}-{n}{path.suffix}", n + 1
    try:
        shutil.move(str(path), str(target))
    except OSError as exc:
        log.warning("cannot move %s to %s: %s", path, folder, exc)
