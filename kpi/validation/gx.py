"""The Great Expectations adapter: the only module of kpi that imports great_expectations.

* Other modules reach GX through it: `import_gx()` for the package, and the names of `_NAMES` as
  attributes of this module (`from kpi.validation.gx import ExpectationSuite`), each imported on first
  use, so importing kpi never imports GX (it takes seconds).
* Offline: always an ephemeral context (`mode="ephemeral"`): no Cloud mode, no file context.
* GX calls `logging.captureWarnings(True)` when imported, which would swallow every warning of the
  process; `import_gx` turns that off again. Progress bars are off.
* The suite is loaded once per (path, mtime) and process; loading fails loudly when GX drops an
  expectation (an unregistered custom type is dropped with only a log line).
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_LOCK = threading.RLock()
_STATE: dict[str, Any] = {}
_SUITES: dict[tuple[str, int], LoadedSuite] = {}

# COMPLETE gives every failing row's index; values are not needed (the rows are at hand).
RESULT_FORMAT: dict[str, Any] = {
    "result_format": "COMPLETE",
    "exclude_unexpected_values": True,
    "partial_unexpected_count": 0,
}


# name -> the great_expectations module that defines it ("" after the colon: the module itself)
_NAMES = {
    "gxe": "great_expectations.expectations:",
    "pandas_execution_engine": "great_expectations.execution_engine.pandas_execution_engine:",
    "ExpectationSuite": "great_expectations.core.expectation_suite:ExpectationSuite",
    "Validator": "great_expectations.validator.v1_validator:Validator",
    "ProgressBarsConfig": "great_expectations.data_context.types.base:ProgressBarsConfig",
    "RunIdentifier": "great_expectations.core.run_identifier:RunIdentifier",
    "ExpectationSuiteIdentifier": "great_expectations.data_context.types.resource_identifiers:ExpectationSuiteIdentifier",
    "ValidationResultIdentifier": "great_expectations.data_context.types.resource_identifiers:ValidationResultIdentifier",
    "PandasExecutionEngine": "great_expectations.execution_engine:PandasExecutionEngine",
    "SparkDFExecutionEngine": "great_expectations.execution_engine:SparkDFExecutionEngine",
    "Column": "great_expectations.expectations.row_conditions:Column",
    "ColumnMapExpectation": "great_expectations.expectations.expectation:ColumnMapExpectation",
    "ColumnPairMapExpectation": "great_expectations.expectations.expectation:ColumnPairMapExpectation",
    "MulticolumnMapExpectation": "great_expectations.expectations.expectation:MulticolumnMapExpectation",
    "ColumnMapMetricProvider": "great_expectations.expectations.metrics.map_metric_provider:ColumnMapMetricProvider",
    "ColumnPairMapMetricProvider": (
        "great_expectations.expectations.metrics.map_metric_provider:ColumnPairMapMetricProvider"
    ),
    "MulticolumnMapMetricProvider": (
        "great_expectations.expectations.metrics.map_metric_provider:MulticolumnMapMetricProvider"
    ),
    "column_condition_partial": "great_expectations.expectations.metrics.map_metric_provider:column_condition_partial",
    "column_pair_condition_partial": (
        "great_expectations.expectations.metrics.map_metric_provider:column_pair_condition_partial"
    ),
    "multicolumn_condition_partial": (
        "great_expectations.expectations.metrics.map_metric_provider:multicolumn_condition_partial"
    ),
}


def __getattr__(name: str) -> Any:
    """A GX name of `_NAMES`, imported on first use."""
    if name not in _NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module_name, _, attr = _NAMES[name].partition(":")
    module = importlib.import_module(module_name)
    logging.captureWarnings(False)
    value = getattr(module, attr) if attr else module
    globals()[name] = value
    return value


def spark_functions() -> Any:
    """pyspark.sql.functions as GX sees it, imported when a Spark metric runs (GX's module-level
    placeholder raises on attribute lookup without pyspark, which breaks introspection such as doctest)."""
    from great_expectations.compatibility.pyspark import functions

    return functions


class SuiteError(ValueError):
    """The suite file cannot be used: unreadable, malformed, or GX would drop some of it."""


def import_gx() -> Any:
    """Import GX and the custom expectations, then give warnings back to the warnings module."""
    with _LOCK:
        if "gx" not in _STATE:
            import great_expectations as gx

            from kpi.validation import custom  # noqa: F401  registers the custom types

            logging.captureWarnings(False)
            _STATE["gx"] = gx
        return _STATE["gx"]


def _context() -> tuple[Any, Any]:
    """(ephemeral context, whole-dataframe batch definition), one per process."""
    with _LOCK:
        if "context" not in _STATE:
            gx = import_gx()
            from great_expectations.data_context.types.base import ProgressBarsConfig
            from great_expectations.execution_engine import pandas_execution_engine

            # GX fingerprints every pandas batch under 1 GB with an md5 over a row hash (batch
            # metadata only: 0.2 s per 100k records, paid on every validation). Records are
            # identified by record_id, so the fingerprint is switched off.
            pandas_execution_engine.HASH_THRESHOLD = 0
            ctx = gx.get_context(mode="ephemeral")
            ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
            batch_definition = (
                ctx.data_sources.add_pandas("kpi_records")
                .add_dataframe_asset("records")
                .add_batch_definition_whole_dataframe("whole")
            )
            logging.captureWarnings(False)
            _STATE["context"] = (ctx, batch_definition)
        return _STATE["context"]


@dataclass(frozen=True)
class LoadedSuite:
    path: Path
    raw: dict[str, Any]
    suite: Any  # great_expectations ExpectationSuite
    names: tuple[str, ...]  # meta.name of each expectation, in suite order


def load_suite(path: Path) -> LoadedSuite:
    """Load and check a suite file (cached per path and modification time)."""
    path = Path(path).resolve()
    try:
        key = (str(path), path.stat().st_mtime_ns)
    except OSError as exc:
        raise SuiteError(f"cannot read suite {path}: {exc.strerror}") from exc
    with _LOCK:
        if key not in _SUITES:
            _SUITES[key] = _load_suite(path)
        return _SUITES[key]


def _load_suite(path: Path) -> LoadedSuite:
    import_gx()
    from great_expectations.core.expectation_suite import ExpectationSuite

    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        declared = raw["expectations"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SuiteError(f"{path}: not an expectation suite ({exc})") from exc
    names: list[str] = []
    for i, exp in enumerate(declared):
        meta = exp.get("meta") or {}
        if not meta.get("name") or not meta.get("why"):
            raise SuiteError(f"{path}: expectation #{i} ({exp.get('type')}) lacks meta.name or meta.why")
        names.append(meta["name"])
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SuiteError(f"{path}: duplicate expectation names {dupes}")
    try:
        suite = ExpectationSuite(**raw)
    except Exception as exc:  # GX raises many types here; all mean the same to the caller
        raise SuiteError(f"{path}: GX cannot load the suite: {exc}") from exc
    loaded = [(e.meta or {}).get("name") for e in suite.expectations]
    if len(loaded) != len(declared):
        missing = [f"{n} ({e['type']})" for n, e in zip(names, declared, strict=True) if n not in loaded]
        raise SuiteError(
            f"{path}: GX loaded {len(loaded)} of {len(declared)} expectations; dropped: {', '.join(missing)} "
            "(unknown expectation type? custom types live in kpi.validation.custom)"
        )
    return LoadedSuite(path=path, raw=raw, suite=suite, names=tuple(names))


def to_pandas(frame: Any) -> Any:
    """The pandas view GX validates: the same values, Int32 widened to Int64.

    GX's pandas `column_values.between` is vectorised only for int64/float64 columns; on int32 it
    loops over the rows in Python.
    """
    import polars as pl

    return frame.with_columns(pl.col(pl.Int32).cast(pl.Int64)).to_pandas()


def run_suite(frame: Any, loaded: LoadedSuite) -> Any:
    """Validate a polars frame against the suite in one call; returns GX's suite result.

    Runs the batch through a Validator directly: `Batch.validate` would load (and fingerprint) the
    batch a second time, and `ValidationDefinition.run` keeps every result in the context's store.
    """
    from great_expectations.validator.v1_validator import Validator

    _ctx, batch_definition = _context()
    pdf = to_pandas(frame)
    with _LOCK:  # one shared context and execution engine: one validation at a time
        validator = Validator(
            batch_definition=batch_definition,
            batch_parameters={"dataframe": pdf},
            result_format=RESULT_FORMAT,
        )
        result = validator.validate_expectation_suite(loaded.suite)
        logging.captureWarnings(False)  # GX modules imported lazily during a run set it again
    return result


def exception_message(result: Any) -> str | None:
    """The message of an expectation that raised, else None (`exception_info` may be nested per metric)."""
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "raised an exception")
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message") or "raised an exception")
    return None


def write_data_docs(runs: list[tuple[str, Any]], loaded: LoadedSuite, directory: Path) -> Path:
    """Write GX Data Docs for `runs` ([(label, GX suite result)]) into `directory`; returns index.html.

    A fresh ephemeral context holds only this report; the pages are static HTML (styles and scripts
    come from CDNs when viewed online, and the text reads fine without them).
    """
    import_gx()
    gx = _STATE["gx"]
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    suite = ctx.suites.add(type(loaded.suite)(**loaded.raw))
    suite_id = ExpectationSuiteIdentifier(name=suite.name)
    run_time = datetime.now(UTC)
    for label, result in runs:
        result_id = ValidationResultIdentifier(
            expectation_suite_identifier=suite_id,
            run_id=RunIdentifier(run_name=_safe_label(label), run_time=run_time),
            batch_identifier=_safe_label(label),
        )
        ctx.validation_results_store.set(result_id, result)
    ctx.add_data_docs_site(
        "kpi_report",
        {
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(directory)},
        },
    )
    ctx.build_data_docs(site_names=["kpi_report"])
    logging.captureWarnings(False)
    return directory / "index.html"


def _safe_label(label: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in label) or "batch"
