"""The server kpi's extraction workers are forked from (a `forkserver` that has imported and warmed up
the extractor), started as early as kpi can tell it will want workers: before the command line is
parsed and the rest of kpi is imported, so that the server warms up meanwhile on another core.

Light on purpose: only the standard library, so that starting the server costs the command nothing."""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Sequence
from typing import Any

PRELOAD = "kpi._worker_preload"  # imported by the server: the extractor, warmed up
_WORKER_COMMANDS = ("extract", "stream")


def default_workers() -> int:
    """The cores this process may use: os.process_cpu_count() (3.13+), else the CPU affinity, else
    os.cpu_count()."""
    count = getattr(os, "process_cpu_count", None)
    n = count() if count is not None else None
    if n is None and hasattr(os, "sched_getaffinity"):
        n = len(os.sched_getaffinity(0))
    return max(1, n or os.cpu_count() or 1)


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


def wants_workers(args: Sequence[str]) -> bool:
    """Whether the command line `args` (without the program's name) will extract in worker processes:
    `kpi extract` or `kpi stream` with --workers above 1, or without --workers on a machine of several
    cores. A guess before click parses the line; the parsed options decide, and a wrong guess costs an
    idle server.

    >>> wants_workers(["extract", "in/", "--out", "o", "--workers", "2"]), wants_workers(["extract", "--workers=1"])
    (True, False)
    >>> wants_workers(["validate", "o"]), wants_workers(["extract", "--help"])
    (False, False)
    """
    if not args or args[0] not in _WORKER_COMMANDS or "--help" in args or "-h" in args:
        return False
    for i, arg in enumerate(args):
        if arg == "--workers" and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--workers="):
            value = arg.removeprefix("--workers=")
        else:
            continue
        return value.isdigit() and int(value) > 1
    return default_workers() > 1
