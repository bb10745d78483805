"""`kpi track RECORDS... --out DIR`: targets against the next year's reported results (SCHEMA.md §5).

Writes DIR/tracking.parquet and DIR/report.html, each through a temporary file and an atomic rename.
Notes go to stderr (`--quiet` silences them); the closing summary goes to stdout. Exit codes: 0 done,
2 unusable invocation or input (no records files, a file without the record columns), with a
one-line message.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import click

__all__ = ["format_summary", "track_cmd"]


@click.command("track")
@click.argument("records", nargs=-1, required=True, metavar="RECORDS...")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for tracking.parquet and report.html.",
)
@click.option(
    "--documents",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSONL, CSV or Parquet of documents (published, region): reports known even if they gave no record.",
)
@click.option("--quiet", "-q", is_flag=True, help="No notes on stderr (the summary is still printed).")
def track_cmd(records: tuple[str, ...], out_dir: Path, documents: Path | None, quiet: bool) -> None:
    """Track the targets in RECORDS against the results reported a year later.

    RECORDS are records.parquet / quarantine.parquet files of `kpi extract`, or folders holding them
    (such as a `kpi stream` output folder), searched recursively.
    """
    from kpi.tracking import build_tracking, write_report
    from kpi.tracking.inputs import (
        TrackInputError,
        read_documents,
        read_records,
        records_files,
        write_tracking,
    )
    from kpi.tracking.prepare import MissingColumnsError

    def note(message: str) -> None:
        if not quiet:
            click.echo(f"kpi track: {message}", err=True)

    try:
        frame = read_records(records_files(records, note=note))
        docs = read_documents(documents) if documents is not None else None
        tracking = build_tracking(frame, documents=docs)
    except (TrackInputError, MissingColumnsError) as exc:
        click.echo(f"kpi track: error: {exc}", err=True)
        sys.exit(2)
    write_tracking(tracking, out_dir / "tracking.parquet")
    write_report(tracking, out_dir / "report.html")
    counts = {str(s): int(n) for s, n in tracking.group_by("status").len().iter_rows()}
    click.echo(format_summary(counts, len(frame), out_dir))


def format_summary(counts: Mapping[str, int], records: int, out_dir: Path | str) -> str:
    """The closing summary: records read, targets tracked and their statuses."""
    from kpi.tracking.schema import STATUSES

    rows = [("records", f"{records:,}"), ("targets", f"{sum(counts.values()):,}")]
    rows += [(f"  {status}", f"{counts.get(status, 0):,}") for status in STATUSES]
    rows.append(("output", str(out_dir)))
    return "\n".join(f"{label:<18}{value}" for label, value in rows)
