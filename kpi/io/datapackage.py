"""`datapackage.json`: a Frictionless (Tabular) Data Package describing the tables of a run.

Written by hand from the Arrow schemas of `kpi.record` and the closed sets of the vocabulary, so the
Parquet files, this descriptor and the code cannot drift apart. Types follow the Frictionless Table
Schema: string, date, integer, number, array; binary (a dead letter's raw bytes) is `any`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from kpi.io.writers import write_json_atomic
from kpi.record import COMPARATORS, DEAD_LETTER_REASONS, KINDS, OUTPUT_SCHEMAS
from kpi.vocabulary import dimensions, vocabulary_digests

__all__ = ["BATCH_PATHS", "datapackage_descriptor", "table_schema", "write_datapackage"]

BATCH_PATHS: dict[str, str | list[str]] = {
    "records": "records.parquet",
    "quarantine": "quarantine.parquet",
    "dead_letter": "dead_letter.parquet",
}
_TITLES = {
    "records": "KPI records that passed validation",
    "quarantine": "KPI records that failed an expectation, with the names of the expectations",
    "dead_letter": "Inputs that could not become documents, with the reason",
}
_RECORD_ID_PATTERN = "^[0-9a-f]{16}$"


def unit_dimensions() -> dict[str, list[str]]:
    """`[dimensions]` of kpi/vocab/units.toml, as the vocabulary loads it: dimension -> canonical unit
    codes (file order)."""
    return {dim: list(units) for dim, units in dimensions().items()}


def _frictionless_type(kind: pa.DataType) -> str:
    """The Table Schema type of an Arrow type."""
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "string"
    if pa.types.is_date(kind):
        return "date"
    if pa.types.is_integer(kind):
        return "integer"
    if pa.types.is_floating(kind):
        return "number"
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return "array"
    return "any"


def _enums() -> dict[str, list[str]]:
    """Closed sets of values per column name, from kpi.record and the units vocabulary."""
    dimensions = unit_dimensions()
    units = list(dict.fromkeys(u for codes in dimensions.values() for u in codes))
    return {
        "comparator": list(COMPARATORS),
        "kind": list(KINDS),
        "dimension": list(dimensions),
        "unit": units,
        "reason_code": list(DEAD_LETTER_REASONS),
    }


def _field(field: pa.Field, enums: Mapping[str, list[str]]) -> dict[str, Any]:
    """One Table Schema field: name, type, description and constraints."""
    out: dict[str, Any] = {"name": field.name, "type": _frictionless_type(field.type)}
    if field.metadata and b"description" in field.metadata:
        out["description"] = field.metadata[b"description"].decode()
    constraints: dict[str, Any] = {"required": not field.nullable}
    if field.name in enums:
        constraints["enum"] = enums[field.name]
    if field.name in ("span_start", "span_end"):
        constraints["minimum"] = 0
    if field.name == "record_id":
        constraints["pattern"] = _RECORD_ID_PATTERN
    if field.name == "failed_expectations":
        constraints["minLength"] = 1
    out["constraints"] = constraints
    return out


def table_schema(schema: pa.Schema, *, constrain_values: bool = True) -> dict[str, Any]:
    """The Frictionless Table Schema of an Arrow schema. Quarantine rows failed the contract, so its
    table has types and descriptions but no value constraints (`constrain_values=False`)."""
    enums = _enums() if constrain_values else {}
    fields = [_field(f, enums) for f in schema]
    if not constrain_values:
        for f in fields:
            f["constraints"] = {k: v for k, v in f["constraints"].items() if k in ("required", "minLength")}
    return {"fields": fields}


def _resource(name: str, path: str | list[str]) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "name": name,
        "title": _TITLES[name],
        "path": path,
        "profile": "tabular-data-resource",
        "format": "parquet",
        "mediatype": "application/vnd.apache.parquet",
        "schema": table_schema(OUTPUT_SCHEMAS[name], constrain_values=name != "quarantine"),
    }
    if name == "records":
        resource["schema"]["primaryKey"] = ["record_id"]
    return resource


def datapackage_descriptor(paths: Mapping[str, str | list[str]] = BATCH_PATHS) -> dict[str, Any]:
    """The descriptor; `paths` maps records / quarantine / dead_letter to their file path(s)."""
    from kpi import __version__

    combined, per_file = vocabulary_digests()
    return {
        "profile": "tabular-data-package",
        "name": "kpi-records",
        "title": "Quantitative targets and results extracted from Chinese text by kpi",
        "resources": [_resource(name, path) for name, path in paths.items()],
        "kpi": {"version": __version__, "vocab_sha256": combined, "vocab_files_sha256": per_file},
    }


def write_datapackage(out_dir: str | Path, paths: Mapping[str, str | list[str]] = BATCH_PATHS) -> Path:
    """Write `out_dir/datapackage.json` atomically and return its path."""
    return write_json_atomic(Path(out_dir) / "datapackage.json", datapackage_descriptor(paths))
