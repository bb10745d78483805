"""The worker processes: how they start (forkserver, warm), what each runs, and the tasks they are
sent through a feeder thread."""

from __future__ import annotations

import os
import queue
import signal
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from kpi.io.readers import Document, Item
from kpi.parallel.engine import (
    Extractor,
    Outcome,
    _load,
    _rows,
    warm_up,
)


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
