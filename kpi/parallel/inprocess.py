"""`InProcess` (`--workers 1`): the extractor in this process, its budget a SIGALRM timer."""

from __future__ import annotations

import logging
import signal
import threading
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from kpi.io.readers import Document, Item
from kpi.parallel.engine import (
    DEFAULT_DOC_TIMEOUT,
    DocTimeout,
    Extractor,
    Outcome,
    _call,
    _Engine,
    _log_error,
    doc_budget,
    error_letter,
    timeout_letter,
    warm_up,
)

log = logging.getLogger("kpi.parallel")


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
