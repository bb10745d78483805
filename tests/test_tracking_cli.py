"""`kpi track RECORDS... --out DIR` (SCHEMA.md §5 and §6)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
from click.testing import CliRunner
from record_builders import gdp_growth_record

from kpi.cli import cli
from kpi.record import Record, records_to_arrow
from kpi.tracking import TRACKING_SCHEMA


def _rec(kind: str, value: float, doc: str, published: str, year: int, at: int = 0) -> Record:
    return gdp_growth_record(kind, value, doc=doc, published=published, year=year, at=at)


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


def _bare(
    kind: str, value: float, doc: str, year: int | None, *, indicator_id: str | None = "gdp_growth"
) -> Record:
    """A record whose document gave no region and no date (a plain .txt file without a manifest)."""
    return replace(
        _rec(kind, value, doc, "2000-01-01", year or 2000),
        region=None,
        published=None,
        period_year=year,
        indicator="国内生产总值" if indicator_id else None,
        indicator_id=indicator_id,
        sentence=f"国内生产总值增长{value:g}%" if indicator_id else f"完成{value:g}%",
    )


def test_documents_fill_region_and_published_of_records_lacking_them(tmp_path: Path) -> None:
    records = _write(
        tmp_path / "records.parquet",
        [_bare("target", 5.5, "a/n2022", 2022), _bare("actual", 5.6, "a/n2023", 2022)]
        + [_bare("target", 6, "a/n2023", None)],  # its year (今年) was not read: no date at extraction
    )
    code, out, err = _run(str(records), "--out", str(tmp_path / "bare"))
    assert code == 0 and "targets           0" in out
    assert "3 of 3 records cannot be keyed" in err and "3 have no region" in err and "--documents" in err
    docs = tmp_path / "docs.jsonl"
    docs.write_text(
        "".join(
            json.dumps({"id": i, "published": p, "region": "全国", "text": "…"}) + "\n"
            for i, p in (("a/n2022", "2022-03-05"), ("a/n2023", "2023-03-05"))
        ),
        encoding="utf-8",
    )
    code, out, err = _run(str(records), "--documents", str(docs), "--out", str(tmp_path / "filled"))
    assert code == 0, err
    assert "filled region of 3 and published of 3 record(s)" in err and "1 have no period_year" in err
    assert (
        "1 of the records dated from" in err and "kpi extract --manifest" in err
    )  # a date too late for 今年
    table = pl.read_parquet(tmp_path / "filled" / "tracking.parquet")
    assert table.select("region", "period_year", "status").rows() == [("全国", 2022, "met")]


def test_documents_as_a_csv_manifest_keep_what_records_say(tmp_path: Path) -> None:
    given = replace(_rec("target", 5.5, "n2022", "2022-03-05", 2022), region="湖南省")
    records = _write(tmp_path / "records.parquet", [given, _bare("actual", 5.6, "n2023", 2022)])
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        "doc_id,published,region\nn2022,2021-01-01,全国\nn2023,2023-01-20,湖南\n", encoding="utf-8"
    )
    code, _, err = _run(str(records), "--documents", str(manifest), "--out", str(tmp_path / "tr"))
    assert code == 0, err
    assert "filled region of 1 and published of 1 record(s)" in err
    table = pl.read_parquet(tmp_path / "tr" / "tracking.parquet")
    assert table.select("region", "status").rows() == [("湖南省", "met")]  # the record's own region kept


def test_summary_says_why_records_are_not_tracked(tmp_path: Path) -> None:
    records = _write(
        tmp_path / "records.parquet",
        [
            _rec("target", 5.5, "n2022", "2022-03-05", 2022),
            replace(_rec("target", 3.0, "n2022", "2022-03-05", 2022, at=40), period_year=None),
            _bare("target", 12.0, "x", 2022, indicator_id=None),
        ],
    )
    code, out, err = _run(str(records), "--out", str(tmp_path / "tr"))
    assert code == 0, err
    lines = {k.strip(): v for k, v in (line.rsplit(maxsplit=1) for line in out.splitlines() if line.strip())}
    assert lines["records"] == "3" and lines["not keyed"] == "2"
    assert (lines["no region"], lines["no year"], lines["no indicator"]) == ("1", "1", "1")
    assert "2 of 3 records cannot be keyed" in err and "1 name no indicator" in err
    code, out, err = _run(str(records), "--out", str(tmp_path / "q"), "--quiet")
    assert code == 0 and err == "" and "not keyed" in out


def test_report_shows_the_sentences_of_both_sides(tmp_path: Path) -> None:
    records = _write(
        tmp_path / "records.parquet",
        [_rec("target", 5.5, "n2022", "2022-03-05", 2022), _rec("actual", 3.0, "n2023", "2023-03-05", 2022)],
    )
    code, _, err = _run(str(records), "--out", str(tmp_path / "tr"))
    assert code == 0, err
    page = (tmp_path / "tr" / "report.html").read_text(encoding="utf-8")
    assert "国内生产总值增长<mark>5.5%</mark>" in page and "国内生产总值增长<mark>3%</mark>" in page
    assert 'class="matrix"' in page and 'id="tracking"' in page
