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
  process, started once per process by `kpi.worker_server.prestart()` — by `kpi` before it parses
  the command line when that asks for workers, else as soon as a pool is wanted —
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

import logging
import pickle

from kpi.parallel.engine import (
    DEFAULT_DOC_TIMEOUT,
    EXTRACTOR_ENV,
    DocTimeout,
    Extraction,
    Extractor,
    Outcome,
    Rows,
    _for_workers,
    doc_budget,
    resolve_extractor,
    warm_up,
)
from kpi.parallel.inprocess import InProcess, _can_alarm
from kpi.parallel.pool import WorkerPool
from kpi.worker_server import default_workers, prestart

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
    "warm_up",
]


log = logging.getLogger("kpi.parallel")


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
