"""`kpi spark extract` and `kpi spark stream`: the batch job and the stream on Apache Spark (docs/spark.md).

pyspark is imported when a command runs, not when `kpi --help` lists the group; without it (or
without Java) a command exits 2 and says what to install. Logs go to stderr, the closing summary to
stdout; exit codes as for `kpi extract` and `kpi stream` (SCHEMA.md §6): 0 done, 1 a table-level
expectation failed, 2 unusable invocation or input, or an expectation that raised.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import click

from kpi.commands.extract import _progress_bar, _stderr_logging, _terminal_console, format_summary
from kpi.commands.options import manifest_option
from kpi.io.readers import DEFAULT_MAX_DOC_CHARS, InputError

__all__ = ["spark_group"]

_MASTER = click.option(
    "--master",
    help="Spark master URL (local[N], spark://…, yarn, k8s://…); default local[*], or under spark-submit "
    "the master spark-submit was given.",
)
_CONF = click.option(
    "--conf",
    "confs",
    multiple=True,
    metavar="KEY=VALUE",
    help="A Spark setting, e.g. --conf spark.executor.memory=4g (repeatable).",
)
_MAX_DOC_CHARS = click.option(
    "--max-doc-chars",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_DOC_CHARS,
    show_default=True,
    help="Longer documents are dead-lettered as too_large.",
)
_NO_VALIDATE = click.option(
    "--no-validate", is_flag=True, help="Write every record to records/ without validation."
)
_QUIET = click.option("--quiet", "-q", is_flag=True, help="No logs (the summary is still printed).")


def _fail(command: str, message: str) -> None:
    click.echo(f"kpi spark {command}: error: {message}", err=True)
    sys.exit(2)


def _check_spark(command: str) -> None:
    """Exit 2 with what to install when pyspark or Java is missing."""
    if importlib.util.find_spec("pyspark") is None:
        _fail(command, 'pyspark is not installed: install kpi[spark] (pip install "kpi[spark]")')
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and Path(java_home, "bin", "java").exists()) and shutil.which("java") is None:
        _fail(command, "Spark needs Java 17 or 21: install a JDK and put `java` on PATH (or set JAVA_HOME)")


def _conf(command: str, confs: tuple[str, ...]) -> dict[str, str]:
    settings: dict[str, str] = {}
    for item in confs:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            _fail(command, f"--conf {item!r}: expected KEY=VALUE")
        settings[key.strip()] = value.strip()
    return settings


@click.group("spark")
def spark_group() -> None:
    """Run kpi on Apache Spark: the same extractor, records and expectation suite (pip install "kpi[spark]")."""


@spark_group.command("extract")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for records/, quarantine/, dead_letter/ (Parquet folders), summary.json, datapackage.json.",
)
@_MASTER
@_CONF
@manifest_option
@_MAX_DOC_CHARS
@_NO_VALIDATE
@_QUIET
def extract_cmd(
    inputs: tuple[str, ...],
    out_dir: Path,
    master: str | None,
    confs: tuple[str, ...],
    manifest: Path | None,
    max_doc_chars: int,
    no_validate: bool,
    quiet: bool,
) -> None:
    """Extract KPI records from INPUT files, folders or `-` into --out DIR, on Spark.

    The inputs are those of `kpi extract`; the driver reads them, the executors extract and validate.
    """
    _check_spark("extract")
    settings = _conf("extract", confs)
    from kpi.spark.batch import run_spark_extract
    from kpi.spark.session import SparkStartError, default_master

    console = _terminal_console() if not quiet else None
    with _stderr_logging(quiet, console), _progress_bar(console) as progress:
        try:
            summary = run_spark_extract(
                inputs,
                out_dir,
                master=master or default_master(),
                conf=settings,
                manifest=manifest,
                max_doc_chars=max_doc_chars,
                validate=not no_validate,
                progress=progress,
            )
        except (InputError, SparkStartError) as exc:
            _fail("extract", str(exc))
    click.echo(format_summary(summary, out_dir))
    sys.exit(summary.exit_code)


@spark_group.command("stream")
@click.argument("source", metavar="SOURCE", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for records/, quarantine/, dead_letter/ (part-<batch>.parquet), datapackage.json, _checkpoint/.",
)
@_MASTER
@_CONF
@click.option(
    "--available-now",
    is_flag=True,
    help="Process the files present now, in as many micro-batches as it takes, then stop.",
)
@click.option(
    "--max-files-per-trigger",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    help="Most new files in one micro-batch.",
)
@click.option(
    "--trigger-interval",
    type=click.FloatRange(min=0.1),
    default=2.0,
    show_default=True,
    help="Seconds between micro-batches (when not --available-now).",
)
@_MAX_DOC_CHARS
@_NO_VALIDATE
@_QUIET
def stream_cmd(
    source: Path,
    out_dir: Path,
    master: str | None,
    confs: tuple[str, ...],
    available_now: bool,
    max_files_per_trigger: int,
    trigger_interval: float,
    max_doc_chars: int,
    no_validate: bool,
    quiet: bool,
) -> None:
    """Watch the folder SOURCE for .txt/.html, .jsonl and .parquet files and process them into
    --out DIR with Spark Structured Streaming, every record exactly once for any Parquet reader.

    Files must be complete when they appear: write them elsewhere and rename them into SOURCE. A
    restart resumes from the checkpoint in DIR/_checkpoint. Stop with Ctrl-C or SIGTERM: the batch in
    flight finishes first.
    """
    _check_spark("stream")
    settings = _conf("stream", confs)
    import threading

    from kpi.spark.session import SparkStartError, default_master
    from kpi.spark.stream import StreamFailed, run_spark_stream, stop_on_signals

    stop = threading.Event()
    with _stderr_logging(quiet, _terminal_console() if not quiet else None), stop_on_signals(stop):
        try:
            result = run_spark_stream(
                source,
                out_dir,
                master=master or default_master(),
                conf=settings,
                available_now=available_now,
                max_files_per_trigger=max_files_per_trigger,
                trigger_interval=trigger_interval,
                max_doc_chars=max_doc_chars,
                validate=not no_validate,
                stop=stop,
            )
        except (InputError, SparkStartError) as exc:
            _fail("stream", str(exc))
        except StreamFailed as exc:
            _fail("stream", f"the streaming query failed: {exc} (the batch in flight is replayed on restart)")
    batches = f"{len(result.batches):,}" + (f" (last {result.batches[-1]})" if result.batches else "")
    lines = [format_summary(result.totals, out_dir), f"{'batches this run':<18}{batches}"]
    if result.stopped_by:
        lines.append(f"{'stopped by':<18}{result.stopped_by}")
    click.echo("\n".join(lines))
    sys.exit(result.exit_code)
