"""The records suite on Spark DataFrames: the same `kpi/expectations/records.json`, through GX's Spark engine.

`validate_records_spark(records)` is the Spark twin of `kpi.validation.validate_records`: it runs the
suite with `unexpected_index_column_names=["record_id"]`, so GX hands back the record_id of every row
an expectation failed, and splits the rows into `passed` and `quarantine` (RECORD_SCHEMA +
`failed_expectations`, the names in suite order) with a join on record_id; a row whose record_id
another failing row shares is quarantined with it, as the polars path does for duplicates. The
suite loading, the custom expectations (each has a Spark metric in kpi.validation.custom) and the
error reporting are kpi.validation's.

Both DataFrames are lazy and read `records` again: cache `records` first.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpi.record import COLUMNS, RECORD_SCHEMA
from kpi.validation import SCHEMA_CHECK, SchemaError, check_schema, default_suite_path

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["SparkValidation", "validate_records_spark", "warm_up"]

log = logging.getLogger("kpi.spark")
_LOCK = threading.RLock()
_STATE: dict[str, Any] = {}
INDEX_COLUMN = "record_id"


@dataclass(frozen=True)
class SparkValidation:
    passed: DataFrame  # RECORD_SCHEMA columns
    quarantine: DataFrame  # + failed_expectations, never empty
    table_failures: list[str]  # table-level expectations that failed
    errors: list[str]  # "name: message" of expectations that raised -> exit 2
    results: dict[str, Any]  # per expectation name: name, type, success (+ unexpected_count if it failed)


def warm_up(suite_path: Path | None = None) -> threading.Thread:
    """Import Great Expectations and load the suite in a background thread (a few seconds, spent while
    the JVM starts instead of in the first validation)."""

    def load() -> None:
        from kpi.validation import gx

        try:
            gx.load_suite(suite_path or default_suite_path())
        except Exception:
            log.debug("warm-up failed", exc_info=True)

    thread = threading.Thread(target=load, name="kpi-gx-warm-up", daemon=True)
    thread.start()
    return thread


def _batch_definition() -> Any:
    """An ephemeral GX context with a Spark datasource, one per process.

    `persist=False`: the caller caches the records; GX would cache every batch and never let go.
    """
    with _LOCK:
        if "batch_definition" not in _STATE:
            from kpi.validation import gx

            ctx = gx.import_gx().get_context(mode="ephemeral")
            ctx.variables.progress_bars = gx.ProgressBarsConfig(globally=False)
            _STATE["batch_definition"] = (
                ctx.data_sources.add_spark("kpi_spark_records", persist=False)
                .add_dataframe_asset("records")
                .add_batch_definition_whole_dataframe("whole")
            )
            logging.captureWarnings(False)
        return _STATE["batch_definition"]


def validate_records_spark(records: DataFrame, *, suite_path: Path | None = None) -> SparkValidation:
    """Split `records` into rows that pass the suite and quarantined rows naming what they failed.

    Two passes: every expectation with BOOLEAN_ONLY results (GX still runs a Spark job or more per
    expectation; COMPLETE results for all of them take three times as many), then COMPLETE results
    with the failing rows' record_ids for the expectations that failed (or use `mostly`) only.
    Raises kpi.validation.SchemaError when a contract column is missing or cannot be cast, and
    kpi.validation.gx.SuiteError when the suite cannot be used.
    """
    from kpi.validation import gx

    frame, table_failures, results = _conform(records)
    loaded = gx.load_suite(suite_path or default_suite_path())
    order_of = {name: i for i, name in enumerate(loaded.names)}
    errors: list[str] = []
    suspects: list[str] = []
    for name, res in _run(frame, loaded.suite, {"result_format": "BOOLEAN_ONLY"}, order_of):
        results[name] = {"name": name, "type": res.expectation_config.type, "success": bool(res.success)}
        message = gx.exception_message(res)
        if message is not None:
            results[name] |= {"success": False, "error": message}
            errors.append(f"{name}: {message}")
        elif not res.success or (res.expectation_config.kwargs.get("mostly") or 1) < 1:
            suspects.append(name)
    failed: dict[Any, list[str]] = {}
    if suspects:
        result_format = {**gx.RESULT_FORMAT, "unexpected_index_column_names": [INDEX_COLUMN]}
        for name, res in _run(frame, _subset(loaded, suspects), result_format, order_of):
            results[name]["unexpected_count"] = (res.result or {}).get("unexpected_count")
            message = gx.exception_message(res)
            if message is not None:
                results[name] |= {"success": False, "error": message}
                errors.append(f"{name}: {message}")
                continue
            ids = _record_ids((res.result or {}).get("unexpected_index_list"))
            for record_id in ids:
                failed.setdefault(record_id, []).append(name)  # suite order: _run sorts
            if not ids and not res.success:
                table_failures.append(name)
    passed, quarantine = _split(frame, {k: list(dict.fromkeys(v)) for k, v in failed.items()})
    return SparkValidation(passed, quarantine, table_failures, errors, results)


def _run(frame: DataFrame, suite: Any, result_format: dict[str, Any], order_of: dict[str, int]) -> list[Any]:
    """[(name, GX expectation result)] of `suite` on `frame`, in suite order."""
    from kpi.validation.gx import Validator

    with _LOCK:
        validator = Validator(
            batch_definition=_batch_definition(),
            batch_parameters={"dataframe": frame},
            result_format=result_format,
        )
        suite_result = validator.validate_expectation_suite(suite)
        logging.captureWarnings(False)  # GX modules imported during a run turn it on again
    named = [(_name_of(res), res) for res in suite_result.results]
    return sorted(named, key=lambda pair: order_of.get(pair[0], len(order_of)))


def _subset(loaded: Any, names: list[str]) -> Any:
    """A suite of the expectations of `loaded` named `names`."""
    from kpi.validation.gx import ExpectationSuite

    keep = set(names)
    raw = loaded.raw
    expectations = [e for e in raw["expectations"] if (e.get("meta") or {}).get("name") in keep]
    return ExpectationSuite(**{**raw, "expectations": expectations})


def _record_ids(index_list: Any) -> list[Any]:
    """The record_ids in GX's unexpected_index_list: dicts whose record_id is a value or, for some
    expectations (uniqueness), a list of values."""
    ids: list[Any] = []
    for item in index_list or []:
        value = item.get(INDEX_COLUMN)
        ids.extend(value if isinstance(value, list) else [value])
    return ids


def _name_of(result: Any) -> str:
    config = result.expectation_config
    return str((config.meta or {}).get("name") or config.type)


def _conform(records: DataFrame) -> tuple[DataFrame, list[str], dict[str, Any]]:
    """The contract's columns and types, and the schema check's verdict (as kpi.validation does)."""
    from pyspark.sql.pandas.types import to_arrow_schema

    from kpi.spark.extract import record_struct

    missing = [name for name in COLUMNS if name not in records.columns]
    if missing:
        raise SchemaError(f"records lack column(s) {', '.join(missing)} (SCHEMA.md §1)")
    problems = check_schema(to_arrow_schema(records.schema), schema=RECORD_SCHEMA)
    if not problems:
        return records, [], {}
    from pyspark.sql import functions as F

    struct = record_struct()
    frame = records.select(*(F.col(f.name).cast(f.dataType) for f in struct.fields))
    results = {
        SCHEMA_CHECK: {"name": SCHEMA_CHECK, "type": "arrow_schema", "success": False, "problems": problems}
    }
    return frame, [SCHEMA_CHECK], results


def _split(frame: DataFrame, failed: dict[Any, list[str]]) -> tuple[DataFrame, DataFrame]:
    """(passing rows, quarantined rows + failed_expectations): a null-safe join on record_id."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, StringType, StructField, StructType

    from kpi.spark.extract import quarantine_struct

    spark = frame.sparkSession
    if not failed:
        return frame, spark.createDataFrame([], quarantine_struct())
    reasons = spark.createDataFrame(
        list(failed.items()),
        StructType(
            [
                StructField("_failed_id", StringType()),
                StructField("failed_expectations", ArrayType(StringType())),
            ]
        ),
    )
    joined = frame.join(reasons, frame[INDEX_COLUMN].eqNullSafe(reasons["_failed_id"]), "left")
    flagged = F.col("failed_expectations").isNotNull()
    passed = joined.filter(~flagged).select(*COLUMNS)
    quarantine = joined.filter(flagged).select(*COLUMNS, "failed_expectations")
    return passed, quarantine
