"""A SparkSession for kpi: safe on a laptop with local masters, out of the way on a cluster.

Local masters (`local`, `local[N]`, `local[*]`) get what makes Spark quiet and self-contained on one
machine: no web UI, the loopback address (SPARK_LOCAL_IP, so Spark does not warn that the hostname
resolves to loopback), the driver's own Python for the workers (PYSPARK_PYTHON, so they import the
same kpi), a few shuffle partitions, no adaptive execution, and 2 GB for the driver.
Every master gets Arrow transfers, UTC session time, Arrow batches of a size fit for whole documents,
no console progress bar and no `_SUCCESS` marker files in output folders. `conf` overrides any of these.

Under `spark-submit` (or another driver that started the JVM) the master and the settings given
there win: `default_master()` is then None, and None leaves them alone.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = [
    "ARROW_BATCH_DOCS",
    "DEFAULT_MASTER",
    "SparkStartError",
    "default_master",
    "is_local",
    "spark_session",
]

DEFAULT_MASTER = "local[*]"
# Rows per Arrow batch between the JVM and the Python workers. Spark's default (10,000) is sized for
# narrow rows; a document can be 2 million characters, so mapInArrow gets fewer at a time.
ARROW_BATCH_DOCS = 1_000


class SparkStartError(RuntimeError):
    """Spark did not start (no Java, a bad master URL or setting); the message is one line."""


def default_master() -> str | None:
    """`local[*]`, or None under spark-submit (which sets PYSPARK_GATEWAY_PORT and gives the master)."""
    return None if os.environ.get("PYSPARK_GATEWAY_PORT") else DEFAULT_MASTER


def is_local(master: str | None) -> bool:
    """True for `local`, `local[N]`, `local[*]` and `local[N,F]`."""
    return master is not None and (master == "local" or master.startswith("local["))


def _local_cores(master: str) -> int:
    inside = master[len("local[") : -1].split(",")[0] if master.startswith("local[") else "1"
    return (os.cpu_count() or 2) if inside == "*" else max(1, int(inside))


def _settings(master: str | None) -> dict[str, str]:
    settings = {
        "spark.app.name": "kpi",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(ARROW_BATCH_DOCS),
        "spark.sql.session.timeZone": "UTC",
        "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
        "spark.ui.showConsoleProgress": "false",
    }
    if master is not None:
        settings["spark.master"] = master
    if is_local(master):
        assert master is not None
        settings |= {
            "spark.ui.enabled": "false",
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.driver.memory": "2g",
            "spark.sql.shuffle.partitions": str(2 * _local_cores(master)),
            "spark.default.parallelism": str(_local_cores(master)),
            # Adaptive execution re-plans every query; GX validation runs dozens of tiny ones, which
            # then take twice as long. On one machine there is no skew worth it.
            "spark.sql.adaptive.enabled": "false",
        }
    return settings


def spark_session(
    master: str | None = DEFAULT_MASTER,
    *,
    conf: Mapping[str, str] | None = None,
    log_level: str = "ERROR",
) -> SparkSession:
    """The active SparkSession, or a new one for `master` with kpi's settings (see the module).

    `master=None` leaves the master to spark-submit or the Spark configuration files. A session that
    already runs is reused as it is, except for runtime SQL settings in `conf`.
    """
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    if is_local(master):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if SparkContext._active_spark_context is not None:  # reuse, changing only runtime settings
        active = SparkSession.builder.getOrCreate()
        for key, value in (conf or {}).items():
            if key.startswith("spark.sql."):
                active.conf.set(key, value)
        return active
    builder = SparkSession.builder
    for key, value in {**_settings(master), **(conf or {})}.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # py4j, pyspark and Java errors alike: say so in one line
        lines = [line for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
        raise SparkStartError(f"Spark did not start (master {master!r}): {lines[0].strip()}") from exc
    spark.sparkContext.setLogLevel(log_level)
    return spark
