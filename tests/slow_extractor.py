"""An extractor for the tests of kpi.parallel: the real one, except on documents holding a marker.

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
