"""`kpi track RECORDS... --out DIR`: targets against the next year's reported results (SCHEMA.md §5).

Writes DIR/tracking.parquet and DIR/report.html, each through a temporary file and an atomic rename.
Notes go to stderr (`--quiet` silences them); the closing summary goes to stdout. Exit codes: 0 done,
2 unusable invocation or input (no records files, a file without the record columns), with a
one-line message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kpi.commands import options

if TYPE_CHECKING:
    import polars as pl

__all__ = ["format_summary", "track_cmd"]


@click.command("track")
@options.inputs("records", "RECORDS...")
@options.out("Folder for tracking.parquet and report.html.")
@click.option(
    "--documents",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSONL, CSV or Parquet of documents (id or doc_id, published, region): fills region and "
    "published of records that lack them, and names reports that exist even if they gave no record.",
)
@options.quiet("No notes on stderr (the summary is still printed).")
def track_cmd(records: tuple[str, ...], out_dir: Path, documents: Path | None, quiet: bool) -> None:
    """Track the targets in RECORDS against the results reported a year later.

    RECORDS are records.parquet / quarantine.parquet files of `kpi extract`, or folders holding them
    (such as a `kpi stream` output folder), searched recursively. A record is tracked when it has a
    region, a period_year and an indicator_id; the summary says how many lack each.
    """
    from kpi.tracking import build_tracking, write_report
    from kpi.tracking.inputs import TrackInputError, keying_gaps, write_tracking
    from kpi.tracking.prepare import MissingColumnsError

    def note(message: str) -> None:
        if not quiet:
            click.echo(f"kpi track: {message}", err=True)

    try:
        frame, docs = _inputs(records, documents, note)
        gaps = keying_gaps(frame)
        tracking = build_tracking(frame, documents=docs)
    except (TrackInputError, MissingColumnsError) as exc:
        options.fail("track", str(exc))
    if gaps["not_keyed"]:
        note(explain_gaps(gaps, documents is not None))
    write_tracking(tracking, out_dir / "tracking.parquet")
    write_report(tracking, out_dir / "report.html", records=frame)
    counts = {str(s): int(n) for s, n in tracking.group_by("status").len().iter_rows()}
    click.echo(format_summary(counts, len(frame), out_dir, gaps=gaps))


def _inputs(
    records: tuple[str, ...], documents: Path | None, note: Callable[[str], None]
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """The records (region and published filled from `documents` where they lack them) and the documents."""
    from kpi.tracking.inputs import fill_from_documents, read_documents, read_records, records_files

    frame = read_records(records_files(records, note=note))
    if documents is None:
        return frame, None
    docs = read_documents(documents)
    frame, filled = fill_from_documents(frame, docs)
    if "doc_id" not in docs.columns:
        note(f"{documents}: no id or doc_id column, so no record takes its region or date from it")
    elif filled["region"] or filled["published"]:
        said = " and ".join(f"{c} of {filled[c]:,}" for c in ("region", "published") if filled[c])
        note(f"filled {said} record(s) from {documents}")
    if filled["undated_year"]:
        note(
            f"{filled['undated_year']:,} of the records dated from {documents} have no period_year: their "
            "document had no date when extracted, and years such as 今年 are read against it; "
            f"`kpi extract --manifest {documents}` gives the dates before the years are read"
        )
    return frame, docs


def explain_gaps(gaps: Mapping[str, int], documents: bool) -> str:
    """Why some records cannot be tracked, in a sentence."""
    reasons = [
        f"{gaps['indicator_id']:,} name no indicator of the taxonomy (most figures in a report are not KPIs)",
        f"{gaps['period_year']:,} have no period_year",
        f"{gaps['region']:,} have no region",
    ]
    said = (
        f"{gaps['not_keyed']:,} of {gaps['records']:,} records cannot be keyed by (region, indicator, "
        f"year) and are not tracked: {'; '.join(reasons)}"
    )
    if (gaps["region"] or gaps["period_year"]) and not documents:
        said += " (--documents META gives each doc_id its region and publication date)"
    return said


def format_summary(
    counts: Mapping[str, int], records: int, out_dir: Path | str, *, gaps: Mapping[str, int] | None = None
) -> str:
    """The closing summary: records read (and those that could not be keyed, by missing part), targets
    tracked and their statuses."""
    from kpi.tracking.schema import STATUSES

    rows = [("records", f"{records:,}")]
    if gaps is not None:
        rows.append(("  not keyed", f"{gaps.get('not_keyed', 0):,}"))
        for column, label in (
            ("region", "no region"),
            ("period_year", "no year"),
            ("indicator_id", "no indicator"),
        ):
            rows.append((f"    {label}", f"{gaps.get(column, 0):,}"))
    rows.append(("targets", f"{sum(counts.values()):,}"))
    rows += [(f"  {status}", f"{counts.get(status, 0):,}") for status in STATUSES]
    rows.append(("output", str(out_dir)))
    return "\n".join(f"{label:<18}{value}" for label, value in rows)
