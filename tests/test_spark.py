"""kpi on Spark (local mode, one shared session): `kpi spark extract` gives what `kpi extract` gives.

Every table is compared whole, all columns, as a multiset of rows: on the sample corpus, and on ~2,000
generated documents with a few broken inputs among them. The Spark validation is also checked against
the polars one on records with planted faults, so the suite's custom Spark metrics agree with pandas.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from spark_session import ROOT, needs_spark, short_documents, spark  # noqa: F401

from kpi.cli import cli
from kpi.pipeline import run_extract
from kpi.record import OUTPUT_SCHEMAS, QUARANTINE_SCHEMA, RECORD_SCHEMA

SUMMARY_KEYS = ("documents_in", "documents_processed", "dead_letters", "records", "quarantined")


def _rows(table: pa.Table, schema: pa.Schema) -> Counter[str]:
    """The rows of `table` as a multiset: columns of `schema` in its order and types (nulls allowed),
    each row as canonical JSON."""
    loose = pa.schema([f.with_nullable(True) for f in schema])
    rows = table.select(schema.names).cast(loose).to_pylist()
    return Counter(json.dumps(row, sort_keys=True, ensure_ascii=False, default=repr) for row in rows)


def _spark_table(out: Path, name: str) -> pa.Table:
    files = sorted((out / name).glob("*.parquet"))
    assert files, f"{out / name} holds no Parquet file"
    return pa.concat_tables(
        [pq.read_table(f).select(OUTPUT_SCHEMAS[name].names).cast(OUTPUT_SCHEMAS[name]) for f in files]
    )


def assert_same_tables(batch_out: Path, spark_out: Path) -> dict[str, int]:
    """Every table of the Spark run equals the batch run's (all columns, as multisets); returns sizes."""
    sizes = {}
    for name, schema in OUTPUT_SCHEMAS.items():
        expected = pq.read_table(batch_out / f"{name}.parquet")
        got = _spark_table(spark_out, name)
        assert got.schema.names == schema.names
        assert got.num_rows == expected.num_rows, name
        assert _rows(got, schema) == _rows(expected, schema), name
        sizes[name] = got.num_rows
    batch_summary = json.loads((batch_out / "summary.json").read_text(encoding="utf-8"))
    spark_summary = json.loads((spark_out / "summary.json").read_text(encoding="utf-8"))
    for key in (*SUMMARY_KEYS, "dead_letters_by_reason", "table_failures", "validation_errors"):
        assert spark_summary[key] == batch_summary[key], key
    return sizes


def test_spark_group_without_pyspark_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    import kpi.commands.spark as command

    real = command.importlib.util.find_spec
    monkeypatch.setattr(
        command.importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a)
    )
    result = CliRunner().invoke(cli, ["spark", "extract", str(ROOT / "data"), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "install kpi[spark]" in result.output


@needs_spark
def test_record_struct_is_the_contract():
    from pyspark.sql.pandas.types import to_arrow_schema

    from kpi.spark.extract import quarantine_struct, record_struct

    for struct, schema in ((record_struct(), RECORD_SCHEMA), (quarantine_struct(), QUARANTINE_SCHEMA)):
        arrow = to_arrow_schema(struct)
        assert arrow.names == schema.names
        assert [f.type for f in arrow] == [
            pa.list_(pa.string()) if pa.types.is_list(f.type) else f.type for f in schema
        ]
        assert all(f.nullable for f in struct.fields)  # Spark would fold isNull() on a non-nullable column


@needs_spark
def test_spark_extract_equals_kpi_extract_on_the_sample_corpus(spark, tmp_path: Path):  # noqa: F811
    data = ROOT / "data"
    run_extract([data], tmp_path / "batch")
    result = CliRunner().invoke(cli, ["spark", "extract", str(data), "--out", str(tmp_path / "spark")])
    assert result.exit_code == 0, result.output
    assert "records" in result.stdout
    sizes = assert_same_tables(tmp_path / "batch", tmp_path / "spark")
    assert sizes["records"] > 0
    package = json.loads((tmp_path / "spark" / "datapackage.json").read_text(encoding="utf-8"))
    paths = {r["name"]: r["path"] for r in package["resources"]}
    for name in OUTPUT_SCHEMAS:
        assert paths[name] and all((tmp_path / "spark" / p).is_file() for p in paths[name])
    assert not [p.name for p in (tmp_path / "spark").iterdir() if p.name.startswith(".")]


def _generated_inputs(folder: Path, n: int) -> list[Path]:
    """~n generated documents in JSON lines and Parquet, a few text files, and broken inputs."""
    folder.mkdir()
    docs = list(short_documents(n, seed=5))
    half = len(docs) // 2
    lines = [json.dumps(d, ensure_ascii=False) for d in docs[:half]]
    lines[10:10] = [
        "{not json",
        json.dumps({"id": "no-text"}),
        json.dumps({"id": "bad-date", "text": "营业收入增长12%。", "published": "yesterday"}),
        json.dumps({"id": "blank", "text": "   "}),
        json.dumps({"text": "没有编号的文档，全年完成投资45亿元。"}),
        "[1, 2]",
    ]
    (folder / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    pq.write_table(pa.Table.from_pylist(docs[half:-3]), folder / "b.parquet", row_group_size=300)
    for d in docs[-3:]:
        (folder / f"{d['id']}.txt").write_text(str(d["text"]), encoding="utf-8")
    (folder / "gbk.txt").write_bytes("全年新增就业1322万人。".encode("gb18030"))
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02" * 10)
    return [folder]


@needs_spark
def test_spark_extract_equals_kpi_extract_on_generated_documents(spark, tmp_path: Path):  # noqa: F811
    from kpi.spark.batch import run_spark_extract

    inputs = _generated_inputs(tmp_path / "in", 2_000)
    batch = run_extract(inputs, tmp_path / "batch")
    summary = run_spark_extract(inputs, tmp_path / "spark", spark=spark)
    sizes = assert_same_tables(tmp_path / "batch", tmp_path / "spark")
    assert summary.documents_in == batch.documents_in == 2_000 + 6 + 2
    assert sizes["records"] > 5_000 and sizes["dead_letter"] >= 6
    # a rerun replaces the three folders and leaves other files alone
    (tmp_path / "spark" / "notes.txt").write_text("mine", encoding="utf-8")
    run_spark_extract([tmp_path / "in" / "gbk.txt"], tmp_path / "spark", spark=spark, validate=False)
    assert (tmp_path / "spark" / "notes.txt").read_text(encoding="utf-8") == "mine"
    again = json.loads((tmp_path / "spark" / "summary.json").read_text(encoding="utf-8"))
    assert again["documents_in"] == 1 and again["records"] == 1
    assert (
        sum(pq.read_metadata(f).num_rows for f in (tmp_path / "spark" / "records").glob("*.parquet"))
        == (again["records"])
    )


@needs_spark
def test_extract_records_on_a_dataframe_equals_extract_frame(spark):  # noqa: F811
    from kpi.frame import extract_frame
    from kpi.spark.extract import extract_records

    docs = [dict(d) for d in short_documents(60, seed=9)]
    docs.append({"id": "null-text", "text": None, "published": None, "region": None})
    frame = pl.DataFrame(
        docs, schema={"id": pl.String, "text": pl.String, "published": pl.String, "region": pl.String}
    )
    expected = extract_frame(frame).to_arrow()
    got = extract_records(spark.createDataFrame(frame.to_arrow())).toArrow()
    assert _rows(got, RECORD_SCHEMA) == _rows(expected, RECORD_SCHEMA)
    with pytest.raises(ValueError, match="text"):
        extract_records(spark.createDataFrame([("d",)], "doc_id string"))


def _faulty_records() -> pl.DataFrame:
    """Records from real text, then faults planted in some of them (one or more per row)."""
    from kpi.frame import extract_frame

    frame = extract_frame(pl.DataFrame(list(short_documents(40, seed=3))))
    assert frame.height > 60
    rows: list[dict[str, Any]] = frame.to_dicts()
    count = next(i for i, r in enumerate(rows) if r["dimension"] == "count")
    percent = next(i for i, r in enumerate(rows) if r["unit"] == "percent")
    faults = {
        0: {"unit": "furlong"},
        1: {"dimension": "money", "unit": "percent"},
        2: {"span_end": rows[2]["span_start"]},
        3: {"period_year": 1850, "kind": "maybe"},
        4: {"record_id": "XYZ", "sentence": None},
        5: {"comparator": "between", "value_max": None},
        6: {"published": date(2020, 1, 1), "period_year": 2099, "kind": "target"},
        count: {"value": 2.5},
        percent: {"value": 5000.0},
    }
    for i, change in faults.items():
        rows[i] = {**rows[i], **change}
    rows.append(dict(rows[10]))  # a duplicated record: both copies are quarantined
    return pl.DataFrame(rows, schema=frame.schema)


@needs_spark
def test_spark_validation_quarantines_what_the_polars_validation_does(spark):  # noqa: F811
    from kpi.spark.validate import validate_records_spark
    from kpi.validation import validate_records

    frame = _faulty_records()
    expected = validate_records(frame)
    got = validate_records_spark(spark.createDataFrame(frame.to_arrow()).cache())
    assert got.errors == expected.errors == []
    assert got.table_failures == expected.table_failures == []
    assert expected.quarantine.height >= 10
    assert _rows(got.quarantine.toArrow(), QUARANTINE_SCHEMA) == _rows(
        expected.quarantine.to_arrow(), QUARANTINE_SCHEMA
    )
    assert _rows(got.passed.toArrow(), RECORD_SCHEMA) == _rows(expected.passed.to_arrow(), RECORD_SCHEMA)
