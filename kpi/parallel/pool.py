"""`WorkerPool` (`--workers N`): tasks handed to worker processes, outcomes yielded in input order,
budgets kept and deaths handled by the parent."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import suppress
from multiprocessing.connection import wait
from typing import Any

from kpi.io.readers import Document, Item
from kpi.parallel.engine import (
    DEFAULT_DOC_TIMEOUT,
    Extractor,
    Outcome,
    _Engine,
    _log_error,
    doc_budget,
    error_letter,
    timeout_letter,
)
from kpi.parallel.worker import TASK_SLOTS, _feed, _Task, _Worker, _worker_main
from kpi.worker_server import prestart

log = logging.getLogger("kpi.parallel")

TASK_DOCS = 64  # documents (items) per task at most
TASK_CHARS = 64_000  # characters per task, some 50 ms of extraction (a longer document is one task)
TASKS_PER_WORKER = 2  # handed to a worker at once: one it works on, one waiting in its pipe
WAITING_PER_WORKER = 4  # tasks read ahead but not yet yielded, per worker (bounds memory)
STARTUP_FAILURES = 3  # workers dying before they are ready, in a row, before the run gives up


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

    def abort(self) -> None:
        """Kill the workers at once (the `with` block raised)."""
        self._kill_all()
