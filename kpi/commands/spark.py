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
from typing import Any

import click

from kpi.commands import options
from kpi.commands.extract import command_output, format_summary
from kpi.io.readers import InputError

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
_NO_VALIDATE = options.no_validate("Write every record to records/ without validation.")
_QUIET = options.quiet("No logs (the summary is still printed).")


def _check_spark(command: str) -> None:
    """Exit 2 with what to install when pyspark or Java is missing."""
    if importlib.util.find_spec("pyspark") is None:
        options.fail(
            f"spark {command}", 'pyspark is not installed: install kpi[spark] (pip install "kpi[spark]")'
        )
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and Path(java_home, "bin", "java").exists()) and shutil.which("java") is None:
        options.fail(
            f"spark {command}",
            "Spark needs Java 17 or 21: install a JDK and put `java` on PATH (or set JAVA_HOME)",
        )


def _conf(command: str, confs: tuple[str, ...]) -> dict[str, str]:
    settings: dict[str, str] = {}
    for item in confs:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            options.fail(f"spark {command}", f"--conf {item!r}: expected KEY=VALUE")
        settings[key.strip()] = value.strip()
    return settings


def _spark_settings(
    command: str, master: str | None, confs: tuple[str, ...], max_doc_chars: int, no_validate: bool
) -> dict[str, Any]:
    """Exit 2 unless Spark can run; else the keyword arguments both Spark runs take from the options."""
    _check_spark(command)
    settings = _conf(command, confs)
    from kpi.spark.session import default_master

    return {
        "master": master or default_master(),
        "conf": settings,
        "max_doc_chars": max_doc_chars,
        "validate": not no_validate,
    }


@click.group("spark")
def spark_group() -> None:
    """Run kpi on Apache Spark: the same extractor, records and expectation suite (pip install "kpi[spark]")."""


@spark_group.command("extract")
@options.inputs("inputs", "INPUT...")
@options.out(
    "Folder for records/, quarantine/, dead_letter/ (Parquet folders), summary.json, datapackage.json."
)
@_MASTER
@_CONF
@options.manifest
@options.max_doc_chars
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
    settings = _spark_settings("extract", master, confs, max_doc_chars, no_validate)
    from kpi.spark.batch import run_spark_extract
    from kpi.spark.session import SparkStartError

    with command_output(quiet) as progress:
        try:
            summary = run_spark_extract(inputs, out_dir, manifest=manifest, progress=progress, **settings)
        except (InputError, SparkStartError) as exc:
            options.fail("spark extract", str(exc))
    click.echo(format_summary(summary, out_dir))
    sys.exit(summary.exit_code)


@spark_group.command("stream")
@click.argument("source", metavar="SOURCE", type=click.Path(file_okay=False, path_type=Path))
@options.out(
    "Folder for records/, quarantine/, dead_letter/ (part-<batch>.parquet), datapackage.json, _checkpoint/."
)
@_MASTER
@_CONF
@click.option(
    "--available-now",
    is_flag=True,
    help="Process the files present now, in as many micro-batches as it takes, then stop.",
)
@options.tuning("--max-files-per-trigger", click.IntRange(min=1), 64, "Most new files in one micro-batch.")
@options.tuning(
    "--trigger-interval",
    click.FloatRange(min=0.1),
    2.0,
    "Seconds between micro-batches (when not --available-now).",
)
@options.max_doc_chars
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
    settings = _spark_settings("stream", master, confs, max_doc_chars, no_validate)
    import threading

    from kpi.spark.session import SparkStartError
    from kpi.spark.stream import StreamFailed, run_spark_stream, stop_on_signals

    stop = threading.Event()
    with command_output(quiet, bar=False), stop_on_signals(stop):
        try:
            result = run_spark_stream(
                source,
                out_dir,
                available_now=available_now,
                max_files_per_trigger=max_files_per_trigger,
                trigger_interval=trigger_interval,
                stop=stop,
                **settings,
            )
        except (InputError, SparkStartError) as exc:
            options.fail("spark stream", str(exc))
        except StreamFailed as exc:
            options.fail(
                "spark stream",
                f"the streaming query failed: {exc} (the batch in flight is replayed on restart)",
            )
    batches = f"{len(result.batches):,}" + (f" (last {result.batches[-1]})" if result.batches else "")
    lines = [format_summary(result.totals, out_dir), f"{'batches this run':<18}{batches}"]
    if result.stopped_by:
        lines.append(f"{'stopped by':<18}{result.stopped_by}")
    click.echo("\n".join(lines))
    sys.exit(result.exit_code)
