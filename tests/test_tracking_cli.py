"""`kpi track RECORDS... --out DIR` (SCHEMA.md §5 and §6)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
from click.testing import CliRunner

from kpi.cli import cli
from kpi.record import Record, make_record_id, records_to_arrow
from kpi.tracking import TRACKING_SCHEMA


def _rec(kind: str, value: float, doc: str, published: str, year: int, at: int = 0) -> Record:
    mention = f"{value:g}%"
    return Record(
        record_id=make_record_id(doc, at, at + len(mention)),
        doc_id=doc,
        published=date.fromisoformat(published),
        region="全国",
        sentence=f"国内生产总值增长{mention}",
        mention=mention,
        span_start=at,
        span_end=at + len(mention),
        indicator="国内生产总值",
        indicator_id="gdp_growth",
        value=value,
        value_max=None,
        unit="percent",
        counter=None,
        dimension="percent",
        comparator="~" if kind == "target" else "=",
        kind=kind,
        period_year=year,
    )


def _write(path: Path, records: list[Record], *, quarantine: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pl.from_arrow(records_to_arrow(records))
    if quarantine:
        frame = frame.with_columns(pl.lit(["some_expectation"]).alias("failed_expectations"))  # type: ignore[union-attr]
    frame.write_parquet(path)  # type: ignore[union-attr]
    return path


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["track", *args])
    return result.exit_code, result.stdout, result.stderr


def test_track_writes_table_and_report(tmp_path: Path) -> None:
    records = _write(tmp_path / "ex" / "records.parquet", [_rec("target", 5.5, "n2022", "2022-03-05", 2022)])
    _write(
        tmp_path / "ex" / "quarantine.parquet",
        [_rec("actual", 5.3, "n2023", "2023-03-05", 2022)],
        quarantine=True,
    )
    pl.DataFrame({"source": ["x"]}).write_parquet(tmp_path / "ex" / "dead_letter.parquet")
    code, out, err = _run(str(records.parent), "--out", str(tmp_path / "tr"))
    assert code == 0, err
    assert "met" in out and "targets" in out
    table = pq.read_table(tmp_path / "tr" / "tracking.parquet")
    assert table.schema.remove_metadata() == TRACKING_SCHEMA.remove_metadata()
    assert b"kpi_version" in (table.schema.metadata or {})
    assert table.column("status").to_pylist() == ["met"]
    html = (tmp_path / "tr" / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "<table" in html and "http" not in html.lower()
    assert not list((tmp_path / "tr").glob(".*tmp"))  # no temporary file left behind


def test_documents_file_says_which_reports_exist(tmp_path: Path) -> None:
    records = _write(tmp_path / "records.parquet", [_rec("target", 5.5, "n2022", "2022-03-05", 2022)])
    docs = tmp_path / "docs.jsonl"
    docs.write_text(
        json.dumps({"id": "n2023", "published": "2023-03-05", "region": "全国", "text": "…"}) + "\n"
    )
    code, _, err = _run(str(records), "--out", str(tmp_path / "a"))
    assert code == 0, err
    assert pl.read_parquet(tmp_path / "a" / "tracking.parquet")["status"].to_list() == ["pending"]
    code, _, err = _run(str(records), "--documents", str(docs), "--out", str(tmp_path / "b"))
    assert code == 0, err
    assert pl.read_parquet(tmp_path / "b" / "tracking.parquet")["status"].to_list() == ["unclear"]


def test_empty_records_write_empty_outputs(tmp_path: Path) -> None:
    records = _write(tmp_path / "records.parquet", [])
    code, out, _ = _run(str(records), "--out", str(tmp_path / "tr"))
    assert code == 0 and "targets           0" in out
    assert pq.read_table(tmp_path / "tr" / "tracking.parquet").num_rows == 0
    assert (tmp_path / "tr" / "report.html").exists()


def test_records_file_without_the_columns_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    pl.DataFrame({"doc_id": ["x"]}).write_parquet(bad)
    code, _, err = _run(str(bad), "--out", str(tmp_path / "tr"))
    assert code == 2 and "missing column(s) record_id" in err and "Traceback" not in err


def test_no_inputs_exit_2(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert _run(str(tmp_path / "empty"), "--out", str(tmp_path / "tr"))[0] == 2
    assert _run(str(tmp_path / "nope.parquet"), "--out", str(tmp_path / "tr"))[0] == 2
    assert _run("--out", str(tmp_path / "tr"))[0] == 2  # click: missing argument


def test_not_parquet_exits_2(tmp_path: Path) -> None:
    junk = tmp_path / "records.parquet"
    junk.write_text("not parquet")
    code, _, err = _run(str(junk), "--out", str(tmp_path / "tr"))
    assert code == 2 and "not a readable Parquet file" in err
