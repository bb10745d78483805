"""The extension point inside the stream's commit protocol: `BatchHook`.

The runner calls `hook.on_batch(k, records, state_dir)` once per batch with the batch's passed
records, after its tables and counts are written and before `commits/<k>` marks it committed. That
is where state derived from records (the tracking table, SCHEMA.md §5) is kept exactly once:

* write only files named by the batch (say `state_dir / f"tracking-{k:010d}.parquet"`), through a
  temporary file and an atomic rename;
* build them from the state of the newest committed batch before k (never from anything newer);
* expect to be called again for the same k with the same records after a crash: a replay must
  simply write the same files again.

A hook whose `on_batch` has a `quarantine` parameter is also given the batch's quarantined records,
as a keyword: `on_batch(k, records, state_dir, quarantine=frame)`. Hooks without it are called as
before.

`default_hook()` is what `kpi stream` uses: the tracking hook (`kpi.stream.tracking_hook`), which
keeps `DIR/tracking.parquet` equal to `kpi track DIR`; `kpi stream --no-tracking` runs without it.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import polars as pl

    from kpi.stream.tracking_hook import TrackingHook

__all__ = ["BatchHook", "default_hook", "takes_quarantine"]


class BatchHook(Protocol):
    def on_batch(self, batch: int, records: pl.DataFrame, state_dir: Path) -> None:
        """Update derived state for batch `batch` (idempotent per batch)."""
        ...


def takes_quarantine(hook: BatchHook) -> bool:
    """Whether `hook.on_batch` accepts the batch's quarantined records as `quarantine=`."""
    try:
        return "quarantine" in inspect.signature(hook.on_batch).parameters
    except (TypeError, ValueError):  # no signature to read
        return False


def default_hook() -> TrackingHook:
    """The hook `kpi stream` runs in every batch's commit: the tracking table and its state."""
    from kpi.stream.tracking_hook import TrackingHook

    return TrackingHook()
