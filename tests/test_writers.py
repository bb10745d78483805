"""kpi.io.writers and kpi.io.datapackage: atomic files, lineage metadata, the data package."""

from __future__ import annotations

import hashlib
import json
import tomllib
from importlib import resources

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from record_builders import record

from kpi import __version__
from kpi.io.datapackage import datapackage_descriptor, write_datapackage
from kpi.io.writers import ParquetSink, lineage_metadata, write_json_atomic
from kpi.record import (
    COMPARATORS,
    DEAD_LETTER_REASONS,
    DEAD_LETTER_SCHEMA,
    KINDS,
    OUTPUT_SCHEMAS,
    RECORD_SCHEMA,
    REQUIRED,
    Record,
    records_to_arrow,
)
from kpi.vocabulary import vocabulary_digests


def a_record(doc_id: str = "d1", start: int = 0) -> Record:
    return record(doc_id=doc_id, span_start=start, region="福建省")


def leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_empty_sink_writes_the_schema_and_lineage(tmp_path):
    with ParquetSink(tmp_path / "records.parquet", RECORD_SCHEMA):
        pass
    schema = pq.read_schema(tmp_path / "records.parquet")
    assert schema.names == RECORD_SCHEMA.names
    assert schema.field("record_id").nullable is False
    assert (
        schema.field("value").metadata[b"description"]
        == RECORD_SCHEMA.field("value").metadata[b"description"]
    )
    meta = {k.decode(): v.decode() for k, v in schema.metadata.items()}
    assert meta["kpi_version"] == __version__
    assert json.loads(meta["kpi_field_descriptions"])["mention"].startswith("surface text")
    assert pq.read_table(tmp_path / "records.parquet").num_rows == 0
    assert leftovers(tmp_path) == []


def test_each_write_is_a_row_group_and_polars_frames_are_cast(tmp_path):
    path = tmp_path / "records.parquet"
    with ParquetSink(path, RECORD_SCHEMA) as sink:
        sink.write(records_to_arrow([a_record("a"), a_record("b")]))
        sink.write(pl.from_arrow(records_to_arrow([a_record("c")])))  # large_string -> string
        sink.write(records_to_arrow([]))
    assert pq.ParquetFile(path).metadata.num_row_groups == 2
    assert pq.read_table(path).column("doc_id").to_pylist() == ["a", "b", "c"]
    assert sink.rows == 3


def test_failure_keeps_the_previous_file(tmp_path):
    path = tmp_path / "records.parquet"
    with ParquetSink(path, RECORD_SCHEMA) as sink:
        sink.write(records_to_arrow([a_record("old")]))
    with pytest.raises(RuntimeError), ParquetSink(path, RECORD_SCHEMA) as sink:
        sink.write(records_to_arrow([a_record("new")]))
        raise RuntimeError("boom")
    assert pq.read_table(path).column("doc_id").to_pylist() == ["old"]
    assert leftovers(tmp_path) == []


def test_nothing_is_visible_before_close(tmp_path):
    sink = ParquetSink(tmp_path / "dead_letter.parquet", DEAD_LETTER_SCHEMA)
    assert not (tmp_path / "dead_letter.parquet").exists()
    sink.close()
    assert (tmp_path / "dead_letter.parquet").exists() and leftovers(tmp_path) == []
    with pytest.raises(ValueError, match="closed"):
        sink.write(pa.table({}))


def test_null_in_a_required_column_is_refused(tmp_path):
    bad = pl.from_arrow(records_to_arrow([a_record()])).with_columns(pl.lit(None, pl.String).alias("unit"))
    with pytest.raises(ValueError), ParquetSink(tmp_path / "r.parquet", RECORD_SCHEMA) as sink:
        sink.write(bad)
    assert not (tmp_path / "r.parquet").exists()


def test_vocab_digests_are_sha256_of_the_files():
    combined, per_file = vocabulary_digests()
    folder = resources.files("kpi").joinpath("vocab")
    names = sorted(f.name for f in folder.iterdir() if f.name.endswith(".toml"))
    assert list(per_file) == names and "units.toml" in names
    for name, digest in per_file.items():
        assert digest == hashlib.sha256(folder.joinpath(name).read_bytes()).hexdigest()
    listing = "".join(f"{d}  {n}\n" for n, d in per_file.items())
    assert combined == hashlib.sha256(listing.encode()).hexdigest()
    assert lineage_metadata(RECORD_SCHEMA)["kpi_vocab_sha256"] == combined


def test_write_json_atomic(tmp_path):
    path = write_json_atomic(tmp_path / "summary.json", {"区域": "香港", "n": 1})
    assert json.loads(path.read_text(encoding="utf-8")) == {"区域": "香港", "n": 1}
    write_json_atomic(path, [1])
    assert json.loads(path.read_text()) == [1] and leftovers(tmp_path) == []


# --- datapackage.json --------------------------------------------------------------------------


def resources_by_name():
    return {r["name"]: r for r in datapackage_descriptor()["resources"]}


@pytest.mark.parametrize(
    ("name", "schema"),
    list(OUTPUT_SCHEMAS.items()),
)
def test_datapackage_fields_match_the_arrow_schemas(name, schema):
    fields = resources_by_name()[name]["schema"]["fields"]
    assert [f["name"] for f in fields] == schema.names
    for f in fields:
        arrow = schema.field(f["name"])
        assert f["constraints"]["required"] is (not arrow.nullable)
        assert f["description"] == arrow.metadata[b"description"].decode()
    assert resources_by_name()[name]["path"] == f"{name}.parquet"


def test_datapackage_types_and_enums():
    quarantine = {f["name"]: f for f in resources_by_name()["quarantine"]["schema"]["fields"]}
    assert quarantine["failed_expectations"]["type"] == "array"
    assert not any(
        f["constraints"].get("required") for n, f in quarantine.items() if n != "failed_expectations"
    )
    fields = {f["name"]: f for f in resources_by_name()["records"]["schema"]["fields"]}
    types = {n: f["type"] for n, f in fields.items()}
    assert (
        types["published"] == "date"
        and types["span_start"] == "integer"
        and types["period_year"] == "integer"
    )
    assert types["value"] == "number" and types["record_id"] == "string"
    units_toml = tomllib.loads(
        resources.files("kpi").joinpath("vocab/units.toml").read_text(encoding="utf-8")
    )
    dimensions = units_toml["dimensions"]
    assert fields["dimension"]["constraints"]["enum"] == list(dimensions)
    assert set(fields["unit"]["constraints"]["enum"]) == {u for units in dimensions.values() for u in units}
    assert fields["comparator"]["constraints"]["enum"] == list(COMPARATORS)
    assert fields["kind"]["constraints"]["enum"] == list(KINDS)
    dead = {f["name"]: f for f in resources_by_name()["dead_letter"]["schema"]["fields"]}
    assert dead["reason_code"]["constraints"]["enum"] == list(DEAD_LETTER_REASONS)
    assert dead["raw"]["type"] == "any"
    assert REQUIRED == {n for n, f in fields.items() if f["constraints"]["required"]} - {
        "failed_expectations"
    }


def test_write_datapackage_is_valid_json_with_lineage(tmp_path):
    path = write_datapackage(tmp_path)
    package = json.loads(path.read_text(encoding="utf-8"))
    assert package["profile"] == "tabular-data-package"
    assert package["kpi"]["version"] == __version__
    assert package["kpi"]["vocab_sha256"] == vocabulary_digests()[0]
    assert {r["profile"] for r in package["resources"]} == {"tabular-data-resource"}
    assert resources_by_name()["records"]["schema"]["primaryKey"] == ["record_id"]


def test_stream_layout_paths():
    package = datapackage_descriptor({"records": ["records/part-0.parquet"], "dead_letter": "dead_letter/"})
    assert [r["path"] for r in package["resources"]] == [["records/part-0.parquet"], "dead_letter/"]


def test_atomic_path_keeps_the_previous_file_when_the_write_fails(tmp_path):
    from kpi.io.atomic import atomic_path

    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_path(target) as temp:
        temp.write_text("half", encoding="utf-8")
        raise RuntimeError("boom")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_one_module_renames_files_into_place():
    """Every writer goes through kpi.io.atomic (temporary file, fsync, rename, fsync of the folder)."""
    import re
    from pathlib import Path

    import kpi

    root = Path(kpi.__file__).parent
    renaming = re.compile(r"os\.replace\(|os\.rename\(|\.rename\((?!\{)")
    sources = {p.relative_to(root).as_posix(): p.read_text("utf-8") for p in root.rglob("*.py")}
    callers = {name for name, text in sources.items() if renaming.search(text)}
    assert callers == {"io/atomic.py"}
