"""`kpi stream SOURCE... --out DIR` and `kpi status DIR` (SCHEMA.md §3 and §6).

Logs and progress lines go to stderr (`--quiet` silences them); the closing summary goes to stdout.
Exit codes: 0 done (or stopped by SIGINT/SIGTERM after committing the current batch), 1 a table-level
expectation failed, 2 unusable invocation or input, 130 a second signal abandoned the current batch
(it is replayed on the next start).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from kpi.commands import options
from kpi.commands.extract import command_output, format_summary
from kpi.io.readers import InputError

__all__ = ["status_cmd", "stream_cmd"]

EXIT_ABANDONED = 130


@click.command("stream")
@options.inputs("sources", "SOURCE...")
@options.out("Folder for records/, quarantine/, dead_letter/, datapackage.json and the _checkpoint/.")
@click.option(
    "--follow", "-f", is_flag=True, help="Keep watching the folders and pick up files as they appear."
)
@click.option(
    "--sink",
    type=click.Choice(["parquet", "delta"]),
    default="parquet",
    show_default=True,
    help="parquet: part-<batch>.parquet files; delta: Delta Lake tables, one commit per batch.",
)
@options.tuning(
    "--max-batch-docs",
    click.IntRange(min=1),
    500,
    "Most documents (files, lines or rows) in one micro-batch.",
)
@options.tuning(
    "--max-batch-bytes",
    click.IntRange(min=1),
    4 << 20,
    "Most input bytes in one micro-batch (keeps batches, and latency, short).",
)
@options.tuning(
    "--trigger-interval",
    click.FloatRange(min=0.05),
    1.0,
    "Seconds between looks at the sources for new files.",
)
@click.option(
    "--move-done",
    type=click.Path(file_okay=False, path_type=Path),
    help="Move each input file here once its last records are committed (default: leave it).",
)
@options.manifest
@options.max_doc_chars
@options.no_validate("Commit every record to records/ without validation.")
@options.workers
@options.doc_timeout
@click.option(
    "--no-tracking",
    is_flag=True,
    help="Do not keep DIR/tracking.parquet (targets against results, as `kpi track DIR`) in each batch.",
)
@options.quiet("No logs or progress lines (the summary is still printed).")
def stream_cmd(
    sources: tuple[str, ...],
    out_dir: Path,
    follow: bool,
    sink: str,
    max_batch_docs: int,
    max_batch_bytes: int,
    trigger_interval: float,
    move_done: Path | None,
    manifest: Path | None,
    max_doc_chars: int,
    no_validate: bool,
    workers: int | None,
    doc_timeout: float,
    no_tracking: bool,
    quiet: bool,
) -> None:
    """Process SOURCE folders, files or `-` (JSON lines on stdin) into --out DIR in micro-batches,
    each committed exactly once; a restart resumes where the last committed batch ended.

    Files must be complete when they appear: write them elsewhere (or under a hidden name) and rename
    them into the folder. Stop a --follow run with Ctrl-C or SIGTERM: the current batch is committed
    first.

    Each batch also updates DIR/tracking.parquet, the table `kpi track DIR` gives, from a small state
    kept in the checkpoint; DIR/report.html is drawn at the end of the run (and every minute or so
    while a long run changes the table). --no-tracking turns this off.

    A batch's documents are extracted on every usable core (--workers), then committed as one; a
    document that takes longer than --doc-timeout is dead-lettered as `timeout`.
    """
    settings = options.extraction_settings(manifest, max_doc_chars, no_validate, workers, doc_timeout)
    from kpi.stream.hook import default_hook
    from kpi.stream.runner import StreamOptions

    run_options = StreamOptions(
        follow=follow,
        sink="delta" if sink == "delta" else "parquet",
        max_batch_docs=max_batch_docs,
        max_batch_bytes=max_batch_bytes,
        trigger_interval=trigger_interval,
        move_done=move_done,
        handle_signals=True,
        **settings,
    )
    hook = None if no_tracking else default_hook()
    result = _run(sources, out_dir, run_options, hook, quiet)
    click.echo(_summary(result, out_dir, tracked=hook is not None))
    sys.exit(result.exit_code)


@click.command("status")
@click.argument("out_dir", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status_cmd(out_dir: Path, as_json: bool) -> None:
    """Show where the stream checkpoint in DIR stands: last committed batch, pending inputs, counts."""
    from kpi.stream.status import checkpoint_status, format_status

    try:
        status = checkpoint_status(out_dir)
    except InputError as exc:
        options.fail("status", str(exc))
    click.echo(json.dumps(status, ensure_ascii=False, indent=2) if as_json else format_status(status))


def _run(sources: tuple[str, ...], out_dir: Path, run_options: Any, hook: Any, quiet: bool) -> Any:
    """The stream run, logging to stderr; exit 2 on unusable input, 130 when a batch was abandoned."""
    from kpi.stream.runner import BatchAbandoned, run_stream

    with command_output(quiet, bar=False):
        try:
            result = run_stream(sources, out_dir, run_options, hook=hook)
        except InputError as exc:
            options.fail("stream", str(exc))
        except BatchAbandoned as exc:
            click.echo(
                f"kpi stream: {exc}: the current batch was abandoned; it is replayed on restart", err=True
            )
            sys.exit(EXIT_ABANDONED)
        if hook is not None:
            hook.finish(out_dir)
    return result


def _summary(result: Any, out_dir: Path, *, tracked: bool) -> str:
    """The closing summary: the run's counts, its batches, all runs' totals, tracking, the stop."""
    lines = [format_summary(result.run, out_dir)]
    batches = f"{result.batches:,}"
    if result.last_batch is not None:
        batches += f" (last {result.last_batch})"
    if result.replayed is not None:
        batches += f", replayed {result.replayed}"
    lines.append(f"{'batches':<18}{batches}")
    total = result.totals
    lines.append(f"{'all runs':<18}{total.documents_in:,} documents in, {total.records:,} records")
    if tracked:
        from kpi.stream.tracking_hook import format_tracking, tracking_status

        tracking = tracking_status(out_dir, result.last_batch)
        if tracking is not None:
            lines.append(f"{'tracking':<18}{format_tracking(tracking)}")
    if result.stopped_by:
        lines.append(f"{'stopped by':<18}{result.stopped_by}")
    return "\n".join(lines)
