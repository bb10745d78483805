"""The checkpoint of `kpi stream` under `DIR/_checkpoint/`: a write-ahead log of micro-batches.

    _checkpoint/metadata.json     sink, Delta application id, the last run's sources and options
    _checkpoint/offsets/<k>.json  the plan of batch k: exactly which slices of which files it reads
    _checkpoint/state/<k>.json    counts after batch k (all batches so far); batch hooks write here too
    _checkpoint/ids/              the doc_ids batch k took (kpi.stream.seen), for duplicate_id
    _checkpoint/commits/<k>       batch k is committed
    _checkpoint/spool/            standard input, spooled in parts before a batch reads it
    _checkpoint/lock              held (flock) by the running process

Batch k is committed once `commits/<k>` exists; it is written last, after the batch's outputs, ids and
state. Only the newest batch can lack it: on restart that batch is replayed from its plan. Every file
here is written through kpi.io.atomic: a temporary file, fsync, an atomic rename and an fsync of the folder.

Crash points (`KPI_CRASH_AT=<point>[:<batch>]`) make the process SIGKILL itself at a named step of
the commit protocol, so tests can crash it exactly there.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from kpi.io.readers import InputError
from kpi.io.writers import write_json_atomic
from kpi.stream.plan import Ledger, Slice

__all__ = [
    "CRASH_POINTS",
    "Checkpoint",
    "batch_name",
    "maybe_crash",
]

CRASH_ENV = "KPI_CRASH_AT"
# In commit-protocol order. after_extract: the batch is read, extracted and validated, no table is
# published yet; after_records / after_quarantine / after_dead_letter: that table is published;
# after_ids: the batch's doc_ids are written.
CRASH_POINTS = (
    "after_plan",
    "after_extract",
    "after_records",
    "after_quarantine",
    "after_dead_letter",
    "after_ids",
    "after_state",
    "before_commit",
    "after_commit",
)
FORMAT = 1
_WIDTH = 10


def batch_name(k: int) -> str:
    """Zero-padded batch number: files sort in batch order."""
    return f"{k:0{_WIDTH}d}"


def maybe_crash(point: str, batch: int) -> None:
    """SIGKILL this process when KPI_CRASH_AT names `point` (and, if it gives one, `batch`)."""
    wanted = os.environ.get(CRASH_ENV)
    if not wanted:
        return
    name, _, at = wanted.partition(":")
    if name == point and (not at or int(at) == batch):
        os.kill(os.getpid(), signal.SIGKILL)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(slots=True)
class Recovered:
    """What a checkpoint holds when a run starts."""

    last_committed: int | None  # newest committed batch
    pending: tuple[int, list[Slice]] | None  # the uncommitted batch and its plan, to replay
    ledger: Ledger = field(default_factory=Ledger)
    state: dict[str, Any] = field(default_factory=dict)  # counts after last_committed


class Checkpoint:
    """The `_checkpoint` folder of one output folder. `open` takes the lock; `read_only` does not."""

    def __init__(self, out_dir: Path) -> None:
        self.out = Path(out_dir)
        self.root = self.out / "_checkpoint"
        self.offsets = self.root / "offsets"
        self.commits = self.root / "commits"
        self.state_dir = self.root / "state"
        self.ids_dir = self.root / "ids"
        self.spool = self.root / "spool"
        self.staging = self.root / "staging"  # Delta sink only
        self.metadata_path = self.root / "metadata.json"
        self._lock: IO[str] | None = None

    # --- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, out_dir: Path, *, sink: str) -> Checkpoint:
        """Create or reopen the checkpoint for writing; InputError when another process holds it or
        it was made for another sink."""
        cp = cls(out_dir)
        try:
            for folder in (cp.offsets, cp.commits, cp.state_dir, cp.spool, cp.ids_dir):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"{cp.out}: cannot create the output folder: {exc.strerror or exc}") from None
        cp._take_lock()
        meta = cp.metadata()
        if meta and meta.get("sink") != sink:
            cp.close()
            raise InputError(
                f"{cp.out} holds a {meta.get('sink')} stream; use --sink {meta.get('sink')} or another --out"
            )
        if not meta:
            meta = {
                "format": FORMAT,
                "sink": sink,
                "app_id": f"kpi-stream-{uuid.uuid4().hex}",
                "created": _now(),
            }
            write_json_atomic(cp.metadata_path, meta)
        cp._remove_temporaries()
        return cp

    def _take_lock(self) -> None:
        handle = (self.root / "lock").open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise InputError(f"{self.out}: a kpi stream is already running on it (pid {holder})") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock = handle

    def running_pid(self) -> int | None:
        """The pid of the process holding the lock, or None when no process runs on this checkpoint."""
        path = self.root / "lock"
        if not path.exists():
            return None
        with path.open("r", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                text = handle.read().strip()
                return int(text) if text.isdigit() else -1
            fcntl.flock(handle, fcntl.LOCK_UN)
        return None

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the file releases the flock
            self._lock = None

    def _remove_temporaries(self) -> None:
        """Hidden `.*.tmp` files a killed process left behind (never visible to `*.json` globs)."""
        for folder in (self.offsets, self.commits, self.state_dir, self.ids_dir, self.root):
            for temp in folder.glob(".*.tmp"):
                temp.unlink(missing_ok=True)

    # --- metadata --------------------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        try:
            return json.loads(self.metadata_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def update_metadata(self, **fields: Any) -> None:
        write_json_atomic(self.metadata_path, {**self.metadata(), **fields})

    # --- the log -------------------------------------------------------------------------------

    def write_plan(self, k: int, slices: list[Slice]) -> None:
        """Durably record what batch k covers; nothing of it is read before this returns."""
        plan = {"batch": k, "planned": _now(), "slices": [s.to_json() for s in slices]}
        write_json_atomic(self.offsets / f"{batch_name(k)}.json", plan)

    def read_plan(self, k: int) -> list[Slice]:
        obj = json.loads((self.offsets / f"{batch_name(k)}.json").read_text(encoding="utf-8"))
        return [Slice.from_json(s) for s in obj["slices"]]

    def write_state(self, k: int, state: dict[str, Any]) -> None:
        write_json_atomic(self.state_dir / f"{batch_name(k)}.json", state)

    def read_state(self, k: int | None) -> dict[str, Any]:
        if k is None:
            return {}
        path = self.state_dir / f"{batch_name(k)}.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def commit(self, k: int, summary: dict[str, Any]) -> None:
        """Mark batch k committed: the last write of its protocol."""
        write_json_atomic(self.commits / batch_name(k), {"batch": k, "committed": _now(), **summary})

    def committed_at(self, k: int) -> str | None:
        try:
            return json.loads((self.commits / batch_name(k)).read_text(encoding="utf-8")).get("committed")
        except (FileNotFoundError, ValueError):
            return None

    def _numbers(self, folder: Path, suffix: str) -> list[int]:
        names = (p.name.removesuffix(suffix) for p in folder.glob(f"*{suffix}") if not p.name.startswith("."))
        return sorted(int(n) for n in names if n.isdigit())

    def planned_batches(self) -> list[int]:
        return self._numbers(self.offsets, ".json")

    def committed_batches(self) -> list[int]:
        return self._numbers(self.commits, "")

    def recover(self) -> Recovered:
        """The newest committed batch, the one to replay (if any), the ledger and the counts."""
        planned, committed = self.planned_batches(), set(self.committed_batches())
        uncommitted = [k for k in planned if k not in committed]
        if len(uncommitted) > 1 or (uncommitted and uncommitted[0] != planned[-1]):
            raise InputError(
                f"{self.root}: batches {uncommitted} have plans but no commit; only the newest may "
                "(was the checkpoint edited by hand?)"
            )
        last = max(committed) if committed else None
        ledger = Ledger()
        for k in planned:
            if k in committed:
                ledger.apply(self.read_plan(k))
        pending = (uncommitted[0], self.read_plan(uncommitted[0])) if uncommitted else None
        return Recovered(last, pending, ledger, self.read_state(last))
