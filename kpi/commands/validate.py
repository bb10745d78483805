"""`kpi validate PATH...`: check record Parquet files against the expectation suite.

Exit codes (SCHEMA.md §6): 0 every row passed; 1 some rows (or a table-level expectation) failed;
2 unusable input — an unreadable file, a missing column, a suite that cannot be loaded, or an
expectation that raised. The JSON result goes to stdout (or `--json FILE`); a short account goes to
stderr. Great Expectations is imported only when the command runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

QUARANTINE_COLUMN = "failed_expectations"


@dataclass
class FileResult:
    path: str
    exit_code: int = 0
    rows: int | None = None
    passed: int | None = None
    failed: int | None = None
    failures: dict[str, dict[str, Any]] = field(default_factory=dict)
    table_failures: list[str] = field(default_factory=list)
    schema_problems: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, [], {}) or k == "failures"}


class UsageError(click.ClickException):
    exit_code = 2


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--suite",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Expectation suite JSON (default: the suite shipped with kpi).",
)
@click.option(
    "--report",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write Great Expectations Data Docs (HTML) into this folder.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the JSON result to this file instead of stdout.",
)
@click.option("--examples", default=5, show_default=True, help="record_ids listed per failed expectation.")
@click.option("-q", "--quiet", is_flag=True, help="No account on stderr.")
def validate_cmd(
    paths: tuple[Path, ...],
    suite: Path | None,
    report: Path | None,
    json_path: Path | None,
    examples: int,
    quiet: bool,
) -> None:
    """Validate records.parquet / quarantine.parquet files (or folders of them) against the suite.

    A quarantine file's `failed_expectations` column is ignored: its rows are judged afresh.
    """
    from kpi.validation import default_suite_path
    from kpi.validation.gx import SuiteError, load_suite

    files = _expand(paths)
    suite_path = suite or default_suite_path()
    try:
        load_suite(suite_path)
    except SuiteError as exc:
        raise UsageError(str(exc)) from exc
    results, outcomes = [], []
    for path in files:
        result, outcome = _validate_file(path, suite_path, examples)
        results.append(result)
        if outcome is not None:
            outcomes.append((str(path), outcome))
    code = max((r.exit_code for r in results), default=0)
    payload: dict[str, Any] = {
        "success": code == 0,
        "exit_code": code,
        "suite": str(suite_path),
        "files": [r.to_json() for r in results],
    }
    index = None
    if report is not None and outcomes:
        from kpi.validation import write_data_docs

        index = str(write_data_docs(outcomes, report, suite_path=suite_path))
        payload["report"] = index
    text = json.dumps(payload, indent=2, ensure_ascii=False)
    if json_path is None:
        click.echo(text)
    else:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(text + "\n", encoding="utf-8")
    if not quiet:
        _account(results, index)
    click.get_current_context().exit(code)


def _expand(paths: tuple[Path, ...]) -> list[Path]:
    """Files as given; folders searched recursively for record Parquet files.

    In a folder, hidden and `_` names are skipped, and so are Parquet files without a `record_id`
    column (an extract run's dead_letter.parquet, tracking.parquet): they are other tables.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*.parquet")
                if not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
                and _has_record_id(p)
            )
            if not found:
                raise UsageError(f"no record Parquet files in {path}")
            files += found
        elif path.exists():
            files.append(path)
        else:
            raise UsageError(f"no such file or folder: {path}")
    return files


def _has_record_id(path: Path) -> bool:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return "record_id" in pq.read_schema(path).names
    except (OSError, pa.ArrowException):  # unreadable: keep it, so that validation reports it
        return True


def _validate_file(path: Path, suite_path: Path, examples: int) -> tuple[FileResult, Any]:
    import polars as pl
    import pyarrow as pa
    import pyarrow.parquet as pq

    from kpi.validation import SchemaError, validate_records

    result = FileResult(str(path))
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:  # not Parquet, truncated, unreadable
        result.exit_code = 2
        result.errors.append(f"cannot read Parquet: {exc}")
        return result, None
    if QUARANTINE_COLUMN in table.column_names:
        table = table.drop_columns([QUARANTINE_COLUMN])
    result.rows = table.num_rows
    if not _usable_schema(table, result):
        return result, None
    if table.num_rows == 0:
        result.notes.append("the file has no rows: there was nothing to check but its columns")
    try:
        outcome = validate_records(pl.from_arrow(table), suite_path=suite_path)  # type: ignore[arg-type]
    except SchemaError as exc:
        result.exit_code = 2
        result.errors.append(str(exc))
        return result, None
    result.passed, result.failed = outcome.passed.height, outcome.quarantine.height
    result.failures = _failures(outcome.quarantine, examples)
    result.table_failures = list(outcome.table_failures)
    result.errors = list(outcome.errors)
    result.exit_code = 2 if outcome.errors else 1 if (outcome.table_failures or result.failed) else 0
    return result, outcome


def _usable_schema(table: Any, result: FileResult) -> bool:
    """Whether the table has every contract column with the contract's type; otherwise the result
    says which columns are missing or of another type (exit code 2) and the rows are not judged."""
    from kpi.validation import check_schema
    from kpi.validation.schema import missing_columns, type_mismatches

    result.schema_problems = check_schema(table)
    missing = missing_columns(table)
    if missing:
        result.errors.append(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}: "
            "not a records file of SCHEMA.md §1"
        )
    result.errors += [f"{problem}: convert it before validating" for problem in type_mismatches(table)]
    if result.errors:
        result.exit_code = 2
    return not result.errors


def _failures(quarantine: Any, examples: int) -> dict[str, dict[str, Any]]:
    """{expectation name: {"count": rows, "examples": [record_id, ...]}}, most frequent first."""
    import polars as pl

    if quarantine.height == 0:
        return {}
    per_name = (
        quarantine.select("record_id", QUARANTINE_COLUMN)
        .explode(QUARANTINE_COLUMN)
        .group_by(QUARANTINE_COLUMN, maintain_order=True)
        .agg(pl.len().alias("count"), pl.col("record_id").head(examples).alias("examples"))
        .sort("count", descending=True, maintain_order=True)
    )
    return {
        row[QUARANTINE_COLUMN]: {"count": row["count"], "examples": row["examples"]}
        for row in per_name.to_dicts()
    }


def _account(results: list[FileResult], report: str | None) -> None:
    for r in results:
        if r.rows is None or r.passed is None:
            status = "unusable"
        else:
            status = f"{r.rows} rows, {r.passed} passed, {r.failed} failed"
        click.echo(f"{r.path}: {status}", err=True)
        for name, info in r.failures.items():
            click.echo(
                f"  {name}: {info['count']} row(s), e.g. {', '.join(map(str, info['examples']))}", err=True
            )
        for name in r.table_failures:
            click.echo(f"  table-level: {name}", err=True)
        for problem in r.schema_problems:
            click.echo(f"  schema: {problem}", err=True)
        for error in r.errors:
            click.echo(f"  error: {error}", err=True)
        for note in r.notes:
            click.echo(f"  note: {note}", err=True)
    if report:
        click.echo(f"Data Docs: {report}", err=True)
