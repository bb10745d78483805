"""Helpers for the tests of kpi.parallel: an extractor that is the real one except on documents holding
a marker, and `worker_pids`, the extraction workers of a process.

Importable by name (`slow_extractor:extract`), so worker processes can load it, and usable through
$KPI_EXTRACTOR with tests/ on PYTHONPATH:

* `BACKTRACK`: a genuinely slow regular expression (catastrophic backtracking, ~2**34 steps) — a
  document the real extractor can no longer be relied on to be slow on, made slow on purpose;
* `SLEEP`: sleeps for an hour;
* `RAISE`: raises RuntimeError;
* `DIE`: the process dies at once (SIGKILL on itself), as a crash in C code or the OOM killer would.
"""

from __future__ import annotations

import os
import re
import signal
import time
from datetime import date
from pathlib import Path

from kpi.extractor.extract import extract as _real  # bound now, before a test patches kpi's name
from kpi.record import Record

_BACKTRACK = re.compile(r"(a+)+$")


def extract(
    text: str, *, doc_id: str, published: date | None = None, region: str | None = None
) -> list[Record]:
    if "BACKTRACK" in text:
        _BACKTRACK.match("a" * 34 + "b")
    elif "SLEEP" in text:
        time.sleep(3600)
    elif "RAISE" in text:
        raise RuntimeError("a bug on purpose")
    elif "DIE" in text:
        os.kill(os.getpid(), signal.SIGKILL)
    return _real(text, doc_id=doc_id, published=published, region=region)


def _children(pid: int) -> set[int]:
    try:
        return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except OSError:
        return set()


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def worker_pids(pid: int) -> set[int]:
    """The extraction workers of process `pid` (Linux /proc; empty elsewhere): the children of its
    forkserver, or its spawned children (not multiprocessing's resource tracker)."""
    found: set[int] = set()
    for child in _children(pid):
        command = _cmdline(child)
        if b"spawn_main" in command:
            found.add(child)
        elif b"forkserver" in command:
            found |= _children(child)
    return found


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie does not)."""
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
