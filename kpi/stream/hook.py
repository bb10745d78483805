"""The extension point inside the stream's commit protocol: `BatchHook`.

The runner calls `hook.on_batch(k, records, state_dir)` once per batch with the batch's passed
records, after its tables and counts are written and before `commits/<k>` marks it committed. That
is where state derived from records (the tracking table, SCHEMA.md §5) is kept exactly once:

* write only files named by the batch (say `state_dir / f"tracking-{k:010d}.parquet"`), through a
  temporary file and an atomic rename;
* build them from the state of the newest committed batch before k (never from anything newer);
* expect to be called again for the same k with the same records after a crash: a replay must
  simply write the same files again.

`default_hook()` is what `kpi stream` uses; it returns None (no hook) until tracking plugs in here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import polars as pl

__all__ = ["BatchHook", "default_hook"]


class BatchHook(Protocol):
    def on_batch(self, batch: int, records: pl.DataFrame, state_dir: Path) -> None:
        """Update derived state for batch `batch` (idempotent per batch)."""
        ...


def default_hook() -> BatchHook | None:
    """The hook `kpi stream` runs in every batch's commit; none yet (tracking will add one)."""
    return None
