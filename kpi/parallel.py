"""Extraction of documents on every core, in input order, with a time budget per document.

An `Extraction` engine turns the items of kpi.io.readers (documents and dead letters) into outcomes,
in input order: a document's records (as `Rows`, tuples in kpi.record.COLUMNS order, which cross a
process boundary ten times cheaper than Record objects and make a frame by zipping), or a dead letter
when the document ran past its budget (`timeout`) or its extraction failed (`extract_error`: the
extractor raised, or the worker process extracting it died). A reader's own dead letter passes
through unchanged. The run goes on either way.

* `InProcess` (`--workers 1`): the extractor runs in this process, as before. The budget is a
  SIGALRM timer (`signal.setitimer`) whose handler raises `DocTimeout` inside the extractor.
  CPython's `re` engine checks for signals while it matches, so a runaway regular expression is
  interrupted where it stands; C code that does not check (a long call into an extension) is
  interrupted only when it returns. Signals need the main thread: elsewhere, a document with a
  budget goes to one worker process instead.
* `WorkerPool` (`--workers N`): N processes forked from a `forkserver` (a clean single-threaded
  process, started once per process by `prestart()` as early as the command knows it wants workers,
  which imports the extractor and warms it up — vocabulary, regular expressions, date parser —
  through `kpi._worker_preload`), so every worker starts warm, in milliseconds, sharing those pages;
  `spawn` where there is no forkserver (each worker then builds the vocabulary once). No worker
  inherits the parent's threads, locks or files. Documents go to the workers in tasks of at most 64
  documents or ~64,000 characters, at most two tasks per worker and four per worker read ahead, so
  memory is bounded by the tasks in flight, never the corpus. Results are yielded in input order, so
  the records (rows, order, record ids) are those of one worker. Each worker stamps the document it
  is on and when it began it in a small shared array; the parent (whenever it waits for results)
  kills a worker whose document is past its budget, dead-letters that document as `timeout`, and
  hands the worker's unfinished tasks to the others or to a replacement. A worker that dies is
  handled the same way (`extract_error`). Workers ignore SIGINT and SIGTERM (Ctrl-C reaches the
  whole process group): the parent decides when they stop, and kills them when it stops early; on
  Linux a worker is also killed when its forkserver goes, which goes with the parent.

The budget is `doc_timeout` seconds per 100,000 characters, and at least `doc_timeout` for any
document (`DEFAULT_DOC_TIMEOUT` = 5 s, some 50 times the time a real document takes on a slow core);
None or 0 turns it off. It is wall-clock time, so a heavily loaded machine spends more of it.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing as mp
import operator
import os
import pickle
import queue
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from types import TracebackType
from typing import Any, Protocol, Self

from kpi.io.readers import DeadLetter, Document, Item, dead_letter
from kpi.record import COLUMNS, Record

__all__ = [
    "DEFAULT_DOC_TIMEOUT",
    "EXTRACTOR_ENV",
    "DocTimeout",
    "Extraction",
    "InProcess",
    "Outcome",
    "Rows",
    "WorkerPool",
    "default_workers",
    "doc_budget",
    "make_extraction",
    "prestart",
    "resolve_extractor",
]

log = logging.getLogger("kpi.parallel")

Extractor = Callable[..., list[Record]]
Rows = list[tuple[Any, ...]]  # records as tuples, fields in kpi.record.COLUMNS order
Outcome = Rows | DeadLetter  # a document's records, or the dead letter the input became
_as_row = operator.attrgetter(*COLUMNS)

DEFAULT_DOC_TIMEOUT = 5.0  # seconds per 100,000 characters, and at least this for any document
BUDGET_CHARS = 100_000
EXTRACTOR_ENV = "KPI_EXTRACTOR"  # "module:function" to extract with instead of kpi.extract (tests)
DEFAULT_EXTRACTOR = "kpi.extractor.extract:extract"
PRELOAD = "kpi._worker_preload"  # imported by the forkserver: warm_up()
TASK_DOCS = 64  # documents (items) per task at most
TASK_CHARS = 64_000  # characters per task, some 50 ms of extraction (a longer document is one task)
TASKS_PER_WORKER = 2  # handed to a worker at once: one it works on, one waiting in its pipe
WAITING_PER_WORKER = 4  # tasks read ahead but not yet yielded, per worker (bounds memory)
STARTUP_FAILURES = 3  # workers dying before they are ready, in a row, before the run gives up
# A small page that takes the extractor through its lazy set-up: the vocabulary and its regular
# expressions, and the date parser (an RFC 822 dateline).
WARM_UP_TEXT = (
    "政府工作报告\n    Tue, 12 Apr 2022 02:27:27 +0800\n各位代表：\n"
    "2024年，全市地区生产总值增长5.2%。今年力争新增高新技术企业130家，城镇新增就业1.2万人。"
)


class DocTimeout(BaseException):
    """Raised in the extractor by the SIGALRM budget (a BaseException, so `except Exception` in
    extraction code does not swallow it)."""


def default_workers() -> int:
    """The cores this process may use: os.process_cpu_count() (3.13+), else the CPU affinity, else
    os.cpu_count()."""
    count = getattr(os, "process_cpu_count", None)
    n = count() if count is not None else None
    if n is None and hasattr(os, "sched_getaffinity"):
        n = len(os.sched_getaffinity(0))
    return max(1, n or os.cpu_count() or 1)


def doc_budget(chars: int, doc_timeout: float | None) -> float | None:
    """Seconds a document of `chars` characters may take: `doc_timeout` per 100,000 characters, at
    least `doc_timeout`; None without a budget.

    >>> doc_budget(2_000, 5.0), doc_budget(250_000, 5.0), doc_budget(10, None)
    (5.0, 12.5, None)
    """
    if not doc_timeout:
        return None
    return doc_timeout * max(1.0, chars / BUDGET_CHARS)


def resolve_extractor() -> Extractor:
    """`kpi.extractor.extract.extract` as it stands now (so a patched one is used), or the function
    named by $KPI_EXTRACTOR ("module:function", for tests and experiments)."""
    return _load(os.environ.get(EXTRACTOR_ENV) or DEFAULT_EXTRACTOR)


def _for_workers() -> Extractor | str:
    """What workers should extract with, without importing the extractor here when nothing patched
    it: $KPI_EXTRACTOR, else kpi's extractor as it stands if imported (maybe patched), else its name."""
    spec = os.environ.get(EXTRACTOR_ENV)
    if spec:
        return spec
    module = sys.modules.get(DEFAULT_EXTRACTOR.partition(":")[0])
    return module.extract if module is not None else DEFAULT_EXTRACTOR  # type: ignore[no-any-return]


def _load(extract: Extractor | str) -> Extractor:
    """A function, or the function a "module:name" string names."""
    if callable(extract):
        return extract
    module, _, name = extract.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def warm_up(extract: Extractor | str = DEFAULT_EXTRACTOR) -> None:
    """Run kpi's extractor once on a small page, so its one-off set-up is done; never raises. Any
    other extractor (a test's, a patched one) is left alone: calling it is not ours to do."""
    module, _, name = DEFAULT_EXTRACTOR.partition(":")
    if isinstance(extract, str):
        if extract != DEFAULT_EXTRACTOR:
            return
    elif (getattr(extract, "__module__", None), getattr(extract, "__qualname__", None)) != (module, name):
        return
    with suppress(Exception):
        _load(extract)(WARM_UP_TEXT, doc_id="warm-up", published=None, region=None)


def timeout_letter(doc: Document, budget: float, doc_timeout: float) -> DeadLetter:
    detail = (
        f"extraction ran past its budget of {budget:.1f} s for {len(doc.text):,} characters "
        f"(--doc-timeout {doc_timeout:g} s per 100,000 characters) and was stopped"
    )
    return dead_letter(doc.source, doc.doc_id, "timeout", detail, doc.text.encode("utf-8"))


def error_letter(doc: Document, detail: str) -> DeadLetter:
    return dead_letter(doc.source, doc.doc_id, "extract_error", detail, doc.text.encode("utf-8"))


def _rows(extract: Extractor, text: str, doc_id: str, published: Any, region: str | None) -> Rows:
    return list(map(_as_row, extract(text, doc_id=doc_id, published=published, region=region)))


def _call(extract: Extractor, doc: Document) -> Rows:
    return _rows(extract, doc.text, doc.doc_id, doc.published, doc.region)


def _log_error(doc: Document, detail: str, trace: str | None = None) -> None:
    log.error("extraction failed on %s (doc_id %r): %s; dead-lettered", doc.source, doc.doc_id, detail)
    if trace:
        log.debug("%s", trace)


class Extraction(Protocol):
    """Documents in, outcomes out, in input order; a context manager that owns its resources."""

    def map(self, items: Iterable[Item]) -> Iterator[tuple[Item, Outcome]]:
        """(item, outcome) for every item in order: a Document and its records, or the item and the
        dead letter it became (a reader's dead letter is its own outcome)."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


def make_extraction(
    extract: Extractor | None = None, *, workers: int = 1, doc_timeout: float | None = DEFAULT_DOC_TIMEOUT
) -> Extraction:
    """The engine for `workers` and `doc_timeout`: in process for one worker (in one worker process
    when a budget is wanted off the main thread), else a pool; in process, with a warning, when the
    extractor cannot be sent to another process (a lambda or a local function)."""
    pool_wanted = workers > 1 or (bool(doc_timeout) and not _can_alarm())
    if pool_wanted:
        target = extract if extract is not None else _for_workers()
        try:
            pickle.dumps(target)
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            log.warning("the extractor cannot be sent to worker processes (%s): extracting in process", exc)
        else:
            return WorkerPool(target, workers=max(1, workers), doc_timeout=doc_timeout)
    return InProcess(extract if extract is not None else resolve_extractor(), doc_timeout=doc_timeout)


class _Engine:
    def close(self) -> None:
        pass

    def __enter__(self) -> Any:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


# --- in process ------------------------------------------------------------------------------------


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Raise DocTimeout in this (main) thread after `seconds` of wall time, unless the block ends first."""
    armed = True

    def on_alarm(signum: int, frame: Any) -> None:
        if armed:
            raise DocTimeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        try:  # the one-shot timer may fire right here: the cleanup below still runs
            armed = False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


class InProcess(_Engine):
    """The extractor in this process, one document after the other (`--workers 1`)."""

    def __init__(self, extract: Extractor, *, doc_timeout: float | None = DEFAULT_DOC_TIMEOUT) -> None:
        self.extract, self.doc_timeout = extract, doc_timeout
        self.alarm = bool(doc_timeout) and _can_alarm()
        self.warm = not self.alarm  # with a budget, the one-off set-up is done before any clock runs

    def map(self, items: Iterable[Item]) -> Iterator[tuple[Item, Outcome]]:
        for item in items:
            yield item, (self.one(item) if isinstance(item, Document) else item)

    def one(self, doc: Document) -> Outcome:
        if not self.warm:
            warm_up(self.extract)
            self.warm = True
        budget = doc_budget(len(doc.text), self.doc_timeout) if self.alarm else None
        try:
            if budget is None:
                return _call(self.extract, doc)
            with _alarm(budget):
                return _call(self.extract, doc)
        except DocTimeout:
            assert budget is not None and self.doc_timeout
            log.warning(
                "%s (doc_id %r): past its %.1f s budget; dead-lettered", doc.source, doc.doc_id, budget
            )
            return timeout_letter(doc, budget, self.doc_timeout)
        except Exception as exc:  # noqa: BLE001  a bug in the extractor: the document becomes a dead letter
            detail = f"the extractor raised {type(exc).__name__}: {exc}"
            _log_error(doc, detail, traceback.format_exc())
            return error_letter(doc, detail)


# --- worker processes ------------------------------------------------------------------------------


def prestart() -> Any:
    """The multiprocessing context workers start in: forkserver (its server started now, in the
    background, so that its warm-up overlaps what this process does meanwhile), else spawn."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    context = mp.get_context("forkserver")
    context.set_forkserver_preload([PRELOAD])  # no effect once the server runs
    from multiprocessing import forkserver

    forkserver.ensure_running()  # returns at once; the first fork waits for the preload
    return context


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when the parent dies (a worker must not outlive a killed run)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the worker stops at its next read or write
        pass


def _worker_main(target: Extractor | str, tasks: Connection, results: Connection, stamp: Any) -> None:
    """A worker: warm up, then extract tasks until the parent closes the pipe or sends None.

    `stamp[0]` is the sequence number of the document in hand (-1 between documents) and `stamp[1]`
    the time.monotonic() at which it began; stamp[1] is written first, so a reader that sees a
    sequence number reads a start time at least as new as that document's.
    """
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    _die_with_parent()
    parent = os.getppid()
    extract = _load(target)  # an import error ends the worker: the parent gives up after a few
    warm_up(extract)  # before any document's clock starts (done already when forked warm)
    try:
        results.send(("ready", os.getpid()))
        while True:
            message = tasks.recv()
            if message is None or os.getppid() != parent:
                return
            task_id, docs = message
            out = []
            for seq, pos, text, doc_id, published, region in docs:
                stamp[1] = time.monotonic()
                stamp[0] = seq
                try:
                    out.append((pos, True, _rows(extract, text, doc_id, published, region)))
                except Exception as exc:  # noqa: BLE001  reported to the parent, which dead-letters it
                    out.append(
                        (
                            pos,
                            False,
                            f"the extractor raised {type(exc).__name__}: {exc}",
                            traceback.format_exc(),
                        )
                    )
                stamp[0] = -1
            results.send((task_id, out))
    except (EOFError, BrokenPipeError, ConnectionResetError, KeyboardInterrupt):
        return


@dataclass(eq=False)
class _Task:
    """A run of consecutive items; `outcomes[i]` is None while item i (a document) is pending."""

    id: int
    items: list[Item]
    outcomes: list[Outcome | None]
    worker: _Worker | None = None

    @property
    def done(self) -> bool:
        return all(o is not None for o in self.outcomes)

    def payload(self) -> list[tuple[Any, ...]]:
        out = []
        for pos, (item, outcome) in enumerate(zip(self.items, self.outcomes, strict=True)):
            if outcome is None:
                assert isinstance(item, Document)
                out.append(
                    (self.id * TASK_SLOTS + pos, pos, item.text, item.doc_id, item.published, item.region)
                )
        return out


TASK_SLOTS = 1 << 16  # a document's sequence number is task id * TASK_SLOTS + its position in the task


@dataclass(eq=False)
class _Worker:
    process: Any
    tasks: Connection  # parent's end: written by the feeder thread only
    results: Connection  # parent's end: read by the main thread only
    stamp: Any
    feed: queue.SimpleQueue[Any] = field(default_factory=queue.SimpleQueue)
    assigned: deque[_Task] = field(default_factory=deque)
    ready: bool = False
    feeder: threading.Thread | None = None

    def in_hand(self) -> int:
        """Sequence number of the document the worker is extracting, -1 when none."""
        return int(self.stamp[0])


def _feed(worker: _Worker) -> None:
    """Feeder thread: send the worker its tasks. A send blocks while the worker is busy on a long
    document (its pipe full); this thread waits then, never the parent's main loop."""
    while True:
        message = worker.feed.get()
        try:
            worker.tasks.send(message)
        except Exception:  # noqa: BLE001  the worker died or was retired: its tasks go to another one
            return
        if message is None:
            return


class WorkerPool(_Engine):
    """Documents extracted by `workers` processes, outcomes yielded in input order (`--workers N`)."""

    def __init__(
        self,
        extract: Extractor | str,
        *,
        workers: int,
        doc_timeout: float | None = DEFAULT_DOC_TIMEOUT,
        task_docs: int | None = None,
        task_chars: int | None = None,
    ) -> None:
        self.extract, self.size, self.doc_timeout = extract, max(1, workers), doc_timeout
        self.task_docs = max(1, min(task_docs or TASK_DOCS, TASK_SLOTS))
        self.task_chars = task_chars or TASK_CHARS
        self.context = prestart()
        self.workers: list[_Worker] = []
        self.tasks: dict[int, _Task] = {}  # handed out or waiting, not yet yielded
        self.next_id = 0
        self.startup_failures = 0
        self.started = 0  # workers started over the pool's life (replacements included)

    # --- the ordered map ---------------------------------------------------------------------------

    def map(self, items: Iterable[Item]) -> Iterator[tuple[Item, Outcome]]:
        source = iter(items)
        pending: deque[_Task] = deque()
        exhausted = False
        try:
            while True:
                while not exhausted and len(pending) < self.size * WAITING_PER_WORKER:
                    task = self._read_task(source)
                    if task is None:
                        exhausted = True
                    else:
                        pending.append(task)
                self._dispatch(pending)
                while pending and pending[0].done:
                    task = pending.popleft()
                    del self.tasks[task.id]
                    yield from zip(task.items, task.outcomes, strict=True)  # type: ignore[misc]
                    if not exhausted:
                        break  # read more first, so the workers stay busy
                if exhausted and not pending:
                    return
                if pending and pending[0].done:
                    continue
                self._wait()
        finally:
            if pending:  # stopped early (an exception, or the consumer gave up): drop the work in flight
                self._kill_all()
                for task in pending:
                    self.tasks.pop(task.id, None)

    def _read_task(self, source: Iterator[Item]) -> _Task | None:
        items: list[Item] = []
        chars = 0
        for item in source:
            items.append(item)
            if isinstance(item, Document):
                chars += len(item.text)
            if len(items) >= self.task_docs or chars >= self.task_chars:
                break
        if not items:
            return None
        outcomes: list[Outcome | None] = [None if isinstance(i, Document) else i for i in items]
        task = _Task(self.next_id, items, outcomes)
        self.next_id += 1
        self.tasks[task.id] = task
        return task

    def _dispatch(self, pending: deque[_Task]) -> None:
        """Hand waiting tasks, in order, to workers with room (starting workers up to the pool size)."""
        for task in pending:
            if task.worker is not None or task.done:
                continue
            worker = self._free_worker()
            if worker is None:
                return
            task.worker = worker
            worker.assigned.append(task)
            worker.feed.put((task.id, task.payload()))

    def _free_worker(self) -> _Worker | None:
        free = [w for w in self.workers if len(w.assigned) < TASKS_PER_WORKER]
        idle = [w for w in free if not w.assigned]
        if idle:
            return idle[0]
        if len(self.workers) < self.size:
            return self._start_worker()
        return min(free, key=lambda w: len(w.assigned)) if free else None

    def _start_worker(self) -> _Worker:
        task_r, task_w = self.context.Pipe(duplex=False)
        result_r, result_w = self.context.Pipe(duplex=False)
        stamp = self.context.RawArray("d", [-1.0, 0.0])
        process = self.context.Process(
            target=_worker_main,
            args=(self.extract, task_r, result_w, stamp),
            name=f"kpi-extract-{self.started}",
            daemon=True,
        )
        process.start()
        task_r.close()  # the worker's ends: only the worker holds them now (EOF when it dies)
        result_w.close()
        worker = _Worker(process, task_w, result_r, stamp)
        worker.feeder = threading.Thread(
            target=_feed, args=(worker,), name=f"{process.name}-feed", daemon=True
        )
        worker.feeder.start()
        self.workers.append(worker)
        self.started += 1
        return worker

    # --- results, deaths and budgets --------------------------------------------------------------

    def _wait(self) -> None:
        """Wait for results (or a death, or the next budget to run out) and handle what happened."""
        handles: list[Any] = [w.results for w in self.workers] + [w.process.sentinel for w in self.workers]
        ready = set(wait(handles, timeout=self._next_deadline()))
        closed = {w for w in self.workers if w.results in ready and not self._receive(w)}
        for worker in list(self.workers):
            if worker in closed or worker.process.sentinel in ready or not worker.process.is_alive():
                self._on_death(worker)
        self._check_budgets()

    def _receive(self, worker: _Worker) -> bool:
        """Take every complete message the worker has sent; False when its pipe is closed."""
        try:
            while worker.results.poll():
                message = worker.results.recv()
                if message[0] == "ready":
                    worker.ready = True
                    self.startup_failures = 0
                    continue
                task_id, results = message
                task = self.tasks.get(task_id)
                if task is None or task.worker is not worker:
                    continue  # a task that was taken away from this worker
                for pos, ok, *rest in results:
                    if task.outcomes[pos] is not None:
                        continue
                    doc = task.items[pos]
                    assert isinstance(doc, Document)
                    if ok:
                        task.outcomes[pos] = rest[0]
                    else:
                        _log_error(doc, rest[0], rest[1])
                        task.outcomes[pos] = error_letter(doc, rest[0])
                worker.assigned.remove(task)
                task.worker = None
        except (EOFError, OSError):
            return False
        return True

    def _next_deadline(self) -> float | None:
        if not self.doc_timeout:
            return None
        soonest = None
        now = time.monotonic()
        for worker in self.workers:
            found = self._in_hand(worker)
            if found is not None:
                doc, started, _ = found
                left = started + (doc_budget(len(doc.text), self.doc_timeout) or 0.0) - now
                soonest = left if soonest is None else min(soonest, left)
        return 0.5 if soonest is None else min(0.5, max(0.005, soonest))

    def _in_hand(self, worker: _Worker) -> tuple[Document, float, int] | None:
        """(document, started, sequence number) of the worker's document in hand, if any."""
        seq = worker.in_hand()
        if seq < 0:
            return None
        started = float(worker.stamp[1])  # read after seq: at least as new as that document's start
        task = self.tasks.get(seq // TASK_SLOTS)
        if task is None or task.worker is not worker:
            return None
        doc = task.items[seq % TASK_SLOTS]
        assert isinstance(doc, Document)
        return doc, started, seq

    def _check_budgets(self) -> None:
        if not self.doc_timeout:
            return
        now = time.monotonic()
        for worker in list(self.workers):
            found = self._in_hand(worker)
            if found is None:
                continue
            doc, started, seq = found
            budget = doc_budget(len(doc.text), self.doc_timeout) or 0.0
            if now - started <= budget:
                continue
            worker.process.kill()
            worker.process.join()
            self._receive(worker)  # results sent before the kill still count
            task = self.tasks.get(seq // TASK_SLOTS)
            pos = seq % TASK_SLOTS
            if task is not None and task.outcomes[pos] is None:
                log.warning(
                    "%s (doc_id %r): past its %.1f s budget; dead-lettered", doc.source, doc.doc_id, budget
                )
                task.outcomes[pos] = timeout_letter(doc, budget, self.doc_timeout)
            self._retire(worker)

    def _on_death(self, worker: _Worker) -> None:
        """A worker died on its own: its document in hand is dead-lettered, its other work redone."""
        self._receive(worker)
        found = self._in_hand(worker)
        worker.process.join(timeout=2.0)  # its pipe closed: it is exiting
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        code = worker.process.exitcode
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        if found is not None:
            doc, _, seq = found
            detail = f"the worker process extracting it died ({how})"
            _log_error(doc, detail)
            self.tasks[seq // TASK_SLOTS].outcomes[seq % TASK_SLOTS] = error_letter(doc, detail)
        elif not worker.ready:
            self.startup_failures += 1
            log.error("an extraction worker died while starting (%s)", how)
            if self.startup_failures >= STARTUP_FAILURES:
                self._retire(worker)
                raise RuntimeError(
                    f"{STARTUP_FAILURES} extraction worker processes in a row died while starting ({how})"
                )
        else:
            log.warning("an extraction worker died between documents (%s); its tasks are redone", how)
        self._retire(worker)

    def _retire(self, worker: _Worker) -> None:
        """Forget a dead (or killed) worker; its unfinished tasks wait for another one."""
        for task in worker.assigned:
            task.worker = None
        worker.assigned.clear()
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.feed.put(None)
        # The feeder's last send fails (broken pipe) or ends now that the worker is gone; its pipe is
        # closed only after that, so a blocked send never writes to a reused descriptor.
        if worker.feeder is not None:
            worker.feeder.join(timeout=5.0)
        if worker.feeder is None or not worker.feeder.is_alive():
            worker.tasks.close()
        worker.results.close()
        if worker in self.workers:
            self.workers.remove(worker)
        with suppress(ValueError):
            worker.process.close()

    # --- stopping ---------------------------------------------------------------------------------

    def _kill_all(self) -> None:
        for worker in list(self.workers):
            with suppress(Exception):
                worker.process.kill()
        for worker in list(self.workers):
            with suppress(Exception):
                self._retire(worker)
        self.workers.clear()

    def close(self) -> None:
        """Let idle workers exit (None, then EOF); kill any that does not within a second."""
        for worker in self.workers:
            worker.feed.put(None)
        deadline = time.monotonic() + 1.0
        for worker in self.workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
        self._kill_all()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self._kill_all()
