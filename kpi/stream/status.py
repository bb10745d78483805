"""`kpi status DIR`: where a stream's checkpoint stands, read without disturbing a running stream."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kpi.io.readers import STDIN, InputError
from kpi.stream.checkpoint import Checkpoint, batch_name
from kpi.stream.sources import Scanner

__all__ = ["checkpoint_status", "format_status"]


def checkpoint_status(out_dir: Path) -> dict[str, Any]:
    """A JSON-able description of the checkpoint in `out_dir`; InputError when there is none."""
    cp = Checkpoint(out_dir)
    meta = cp.metadata()
    if not meta:
        raise InputError(f"{out_dir}: no stream checkpoint here (no {cp.metadata_path.relative_to(out_dir)})")
    recovered = cp.recover()
    last = recovered.last_committed
    status: dict[str, Any] = {
        "out": str(out_dir),
        "sink": meta.get("sink"),
        "running_pid": cp.running_pid(),
        "sources": meta.get("sources", []),
        "last_committed_batch": last,
        "last_committed_at": cp.committed_at(last) if last is not None else None,
        "uncommitted_batch": None,
        "files_done": len(recovered.ledger),
        "totals": {k: v for k, v in recovered.state.items() if k != "batch"},
    }
    if recovered.pending is not None:
        k, slices = recovered.pending
        status["uncommitted_batch"] = {
            "batch": k,
            "slices": len(slices),
            "units": sum(s.units for s in slices),
        }
    status["pending"] = _pending(cp, meta, recovered)
    from kpi.stream.tracking_hook import tracking_status

    status["tracking"] = tracking_status(out_dir, last)
    return status


def _pending(cp: Checkpoint, meta: dict[str, Any], recovered: Any) -> dict[str, Any]:
    """Files of the recorded sources not yet (fully) committed."""
    sources = [s for s in meta.get("sources", []) if s == STDIN or Path(s).exists()]
    exclude = [cp.out, *map(Path, meta.get("exclude", []))]
    scanner = Scanner(sources, spool=cp.spool, exclude=exclude, ledger=recovered.ledger)
    scanner.refresh()
    partial = sum(
        1 for p in scanner.queue.values() if recovered.ledger.progress_of_stat(p.stat_key) is not None
    )
    return {
        "files": len(scanner.queue),
        "partly_done": partial,
        "bytes": sum(p.size for p in scanner.queue.values()),
        "stdin_parts": sum(1 for p in scanner.queue.values() if p.label == "<stdin>"),
    }


def format_status(status: dict[str, Any]) -> str:
    """Aligned lines a person reads at a glance."""
    last = status["last_committed_batch"]
    pending = status["pending"]
    totals = status["totals"]
    uncommitted = status["uncommitted_batch"]
    pid = status["running_pid"]
    rows = [
        ("output", status["out"]),
        ("sink", status["sink"]),
        ("process", f"running (pid {pid})" if pid else "not running"),
        ("sources", ", ".join(status["sources"]) or "-"),
        (
            "last committed",
            "none yet" if last is None else f"batch {batch_name(last)} at {status['last_committed_at']}",
        ),
        (
            "uncommitted",
            "none"
            if uncommitted is None
            else f"batch {batch_name(uncommitted['batch'])}: {uncommitted['units']:,} inputs in "
            f"{uncommitted['slices']} slices (replayed on restart)",
        ),
        (
            "pending inputs",
            f"{pending['files']:,} files ({pending['partly_done']} partly done, {pending['bytes']:,} bytes)",
        ),
        ("files done", f"{status['files_done']:,}"),
    ]
    if totals:
        reasons = ", ".join(f"{r} {n}" for r, n in totals.get("dead_letters_by_reason", {}).items() if n)
        rows += [
            ("documents in", f"{totals.get('documents_in', 0):,}"),
            ("  processed", f"{totals.get('documents_processed', 0):,}"),
            ("  dead letters", f"{totals.get('dead_letters', 0):,}" + (f"  ({reasons})" if reasons else "")),
            ("records", f"{totals.get('records', 0):,}"),
            ("quarantined", f"{totals.get('quarantined', 0):,}"),
        ]
        if "ids" in totals:  # checkpoints older than the ids files lack it
            rows.append(("doc ids taken", f"{totals['ids']:,}"))
        rows += [("table failure", name) for name in totals.get("table_failures", [])]
        rows += [("validation error", message) for message in totals.get("validation_errors", [])]
    tracking = status.get("tracking")
    if tracking:
        from kpi.stream.tracking_hook import format_tracking

        rows.append(("tracking", format_tracking(tracking)))
        if tracking.get("state_batch") is not None:
            state = (
                f"{tracking['state_records']:,} records, {tracking['state_documents']:,} documents, "
                f"{tracking['state_bytes']:,} bytes (batch {batch_name(tracking['state_batch'])})"
            )
            rows.append(("  state", state))
    return "\n".join(f"{label:<18}{value}" for label, value in rows)
