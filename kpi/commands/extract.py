"""`kpi extract INPUT... --out DIR`: the batch job on the command line (SCHEMA.md §3 and §6).

Logs and the progress bar go to stderr (the bar only on a terminal; `--quiet` silences both); the
closing summary goes to stdout. Exit codes: 0 done, 1 a table-level expectation failed, 2 unusable
invocation or input (one-line message, no traceback).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kpi.commands import options
from kpi.io.readers import Document, InputError, Item

if TYPE_CHECKING:
    from rich.console import Console

    from kpi.pipeline import Progress, Summary

__all__ = ["command_output", "extract_cmd", "format_summary"]


@click.command("extract")
@options.inputs("inputs", "INPUT...")
@options.out(
    "Folder for records.parquet, quarantine.parquet, dead_letter.parquet, summary.json, datapackage.json."
)
@options.manifest
@options.max_doc_chars
@options.no_validate("Write every record to records.parquet without validation.")
@options.workers
@options.doc_timeout
@options.quiet("No logs and no progress bar (the summary is still printed).")
def extract_cmd(
    inputs: tuple[str, ...],
    out_dir: Path,
    manifest: Path | None,
    max_doc_chars: int,
    no_validate: bool,
    workers: int | None,
    doc_timeout: float,
    quiet: bool,
) -> None:
    """Extract KPI records from INPUT files, folders or `-` (JSON lines on stdin) into --out DIR.

    INPUT is a .txt/.html file, a folder (searched recursively), a .jsonl file, a Parquet file with
    a `text` column, or `-`.

    Documents are extracted on every usable core (--workers); records, quarantine and dead letters
    are the same, in the same order, whatever the number of workers. A document that takes longer
    than --doc-timeout is dead-lettered as `timeout`.
    """
    settings = options.extraction_settings(manifest, max_doc_chars, no_validate, workers, doc_timeout)
    from kpi.pipeline import run_extract

    with command_output(quiet) as progress:
        try:
            summary = run_extract(inputs, out_dir, progress=progress, **settings)
        except InputError as exc:
            options.fail("extract", str(exc))
    click.echo(format_summary(summary, out_dir))
    sys.exit(summary.exit_code)


def format_summary(summary: Summary, out_dir: Path | str) -> str:
    """The closing summary: a few aligned lines a person reads at a glance."""
    reasons = ", ".join(f"{r} {n}" for r, n in summary.dead_letters_by_reason.items() if n)
    rows = [
        ("documents in", f"{summary.documents_in:,}"),
        ("  processed", f"{summary.documents_processed:,}"),
        ("  dead letters", f"{summary.dead_letters:,}" + (f"  ({reasons})" if reasons else "")),
        ("records", f"{summary.records:,}"),
        ("quarantined", f"{summary.quarantined:,}"),
        ("no region", f"{summary.documents_without_region:,} documents"),
        ("no date", f"{summary.documents_without_date:,} documents"),
        ("not keyed", f"{summary.records_not_keyed:,} records (no region, year or indicator_id)"),
        ("seconds", f"{summary.seconds:.2f}"),
        ("chars/s", f"{summary.chars_per_second:,.0f}"),
    ]
    rows += [("table failure", name) for name in summary.table_failures]
    rows += [("validation error", message) for message in summary.validation_errors]
    rows.append(("output", str(out_dir)))
    lines = [f"{label:<18}{value}" for label, value in rows]
    if summary.documents_without_region or summary.documents_without_date:
        lines.append(
            "warning: the output will be thin for tracking: give region and published in the input or "
            "with --manifest where the text does not name them (its title or delivery line)"
        )
    return "\n".join(lines)


@contextmanager
def command_output(quiet: bool, *, bar: bool = True) -> Iterator[Progress | None]:
    """Logs on stderr for one run (errors only with --quiet) and, with `bar` on a terminal, a progress
    bar: what the bar counts is passed as the run's `progress`, or None without one."""
    console = _terminal_console() if not quiet else None
    with _stderr_logging(quiet, console), _progress_bar(console if bar else None) as progress:
        yield progress


def _terminal_console() -> Console | None:
    """A rich console on stderr when stderr is a terminal (for the progress bar), else None."""
    if not getattr(sys.stderr, "isatty", lambda: False)():
        return None
    from rich.console import Console

    return Console(stderr=True)


@contextmanager
def _stderr_logging(quiet: bool, console: Console | None) -> Iterator[None]:
    """Route the `kpi` logger to stderr for one invocation (errors only with --quiet).

    On a terminal the rich console prints the lines, so they do not tear the progress bar.
    """
    logger = logging.getLogger("kpi")
    handler: logging.Handler
    if console is not None:
        from rich.logging import RichHandler

        handler = RichHandler(console=console, show_time=False, show_path=False)
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("kpi: %(message)s"))
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.ERROR if quiet else logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


@contextmanager
def _progress_bar(console: Console | None) -> Iterator[Progress | None]:
    """A rich progress display on `console` counting documents and characters; None without one."""
    if console is None:
        yield None
        return
    from rich.progress import Progress as RichProgress
    from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (
        SpinnerColumn(),
        TextColumn("{task.completed:,} documents, {task.fields[chars]:,} chars"),
        TimeElapsedColumn(),
    )
    with RichProgress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("extract", total=None, chars=0)
        chars = 0

        def advance(item: Item) -> None:
            nonlocal chars
            chars += len(item.text) if isinstance(item, Document) else 0
            bar.update(task, advance=1, chars=chars)

        yield advance
