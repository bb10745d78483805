"""`kpi extract`, `kpi.pipeline.run_extract` and `kpi.frame.extract_frame` end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from record_builders import record

import kpi.extractor.extract
from kpi import pipeline
from kpi.cli import cli
from kpi.frame import extract_frame, records_frame
from kpi.io.readers import DeadLetter, Document
from kpi.record import OUTPUT_SCHEMAS, RECORD_SCHEMA, Record

OUTPUTS = ["datapackage.json", "dead_letter.parquet", "quarantine.parquet", "records.parquet", "summary.json"]
TEXT = "今年力争认定高新技术企业130家。"
ROOT = Path(__file__).resolve().parents[1]


def record_for(doc_id: str, published: date | None = None, region: str | None = None) -> Record:
    return record(doc_id=doc_id, published=published, region=region, sentence=TEXT, span_start=10)


@pytest.fixture
def one_record_each(monkeypatch):
    """An extractor that finds one known record in every document."""

    def extract(text, *, doc_id, published=None, region=None):
        return [record_for(doc_id, published, region)]

    monkeypatch.setattr(kpi.extractor.extract, "extract", extract)


@pytest.fixture
def no_records(monkeypatch):
    monkeypatch.setattr(kpi.extractor.extract, "extract", lambda text, **kw: [])


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(TEXT, encoding="utf-8")
    (folder / "sub" / "b.html").write_bytes(f"<p>{TEXT}</p>".encode("gbk"))
    lines = [{"id": "c", "text": TEXT, "published": "2024-01-05", "region": "福建省"}, {"id": "d"}]
    (folder / "c.jsonl").write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8"
    )
    return folder


def invoke(*args, stdin: str | None = None):
    result = CliRunner().invoke(cli, ["extract", *map(str, args)], input=stdin)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def summary_json(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


@pytest.mark.usefixtures("no_records")
def test_run_writes_every_file_with_its_schema(corpus, tmp_path):
    out = tmp_path / "out"
    result = invoke(corpus, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == OUTPUTS
    for name, schema in OUTPUT_SCHEMAS.items():
        assert pq.read_schema(out / f"{name}.parquet").names == schema.names
    summary = summary_json(out)
    assert {k: summary[k] for k in ("documents_in", "documents_processed", "dead_letters", "records")} == {
        "documents_in": 4,
        "documents_processed": 3,
        "dead_letters": 1,
        "records": 0,
    }
    assert summary["dead_letters_by_reason"]["missing_text"] == 1
    assert set(summary) >= {"quarantined", "seconds", "chars_per_second"}
    assert "documents in      4" in result.stdout and "missing_text 1" in result.stdout
    assert "kpi:" in result.stderr  # the log line; no progress bar when stderr is not a terminal
    assert json.loads((out / "datapackage.json").read_text())["resources"][0]["name"] == "records"


@pytest.mark.usefixtures("no_records")
def test_quiet_silences_stderr_but_not_the_summary(corpus, tmp_path):
    result = invoke(corpus, "--out", tmp_path / "out", "--quiet")
    assert result.exit_code == 0 and result.stderr == "" and "records" in result.stdout


@pytest.mark.usefixtures("no_records")
def test_rerun_replaces_outputs_and_leaves_other_files(corpus, tmp_path):
    out = tmp_path / "out"
    invoke(corpus, "--out", out)
    (out / "notes.txt").write_text("mine")
    (corpus / "c.jsonl").unlink()
    invoke(corpus, "--out", out)
    assert summary_json(out)["documents_in"] == 2
    assert (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == sorted([*OUTPUTS, "notes.txt"])


@pytest.mark.usefixtures("no_records")
def test_an_output_folder_inside_the_input_folder_is_not_read_back(corpus):
    for _ in range(2):  # the second run must not take records.parquet & co. for inputs
        result = invoke(corpus, "--out", corpus / "out")
        assert result.exit_code == 0, result.stderr
        assert summary_json(corpus / "out")["documents_in"] == 4


@pytest.mark.usefixtures("one_record_each")
def test_stdin_and_manifest(corpus, tmp_path):
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("doc_id,published,region\na,2023-05-11,江西省\n", encoding="utf-8")
    line = json.dumps({"id": "s", "text": TEXT}, ensure_ascii=False)
    result = invoke(
        "-", corpus / "a.txt", "--out", tmp_path / "out", "--manifest", manifest, "--no-validate", stdin=line
    )
    assert result.exit_code == 0
    records = pl.read_parquet(tmp_path / "out" / "records.parquet")
    assert records.select("doc_id", "published", "region").rows() == [
        ("s", None, None),
        ("a", date(2023, 5, 11), "江西省"),
    ]


@pytest.mark.usefixtures("one_record_each")
def test_a_known_record_lands_in_records_parquet(corpus, tmp_path):
    result = invoke(corpus, "--out", tmp_path / "out", "--no-validate")
    assert result.exit_code == 0
    records = pl.read_parquet(tmp_path / "out" / "records.parquet")
    assert records.columns == RECORD_SCHEMA.names
    # a file under a folder has its relative path as id
    assert sorted(records["doc_id"]) == ["a", "c", "sub/b"]
    row = records.filter(pl.col("doc_id") == "c").row(0, named=True)
    assert row == {**record_for("c", date(2024, 1, 5), "福建省").to_dict()}
    assert summary_json(tmp_path / "out")["records"] == 3


# --- validation ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    passed: pl.DataFrame
    quarantine: pl.DataFrame
    table_failures: list[str]
    errors: list[str]
    results: dict


def fake_validator(table_failures=(), errors=()):
    calls: list[int] = []

    def validate_records(frame: pl.DataFrame) -> Outcome:
        calls.append(frame.height)
        bad = frame["doc_id"] == "sub/b"
        quarantine = frame.filter(bad).with_columns(pl.lit(["unit_in_set"]).alias("failed_expectations"))
        return Outcome(frame.filter(~bad), quarantine, list(table_failures), list(errors), {})

    validate_records.calls = calls
    return validate_records


@pytest.mark.usefixtures("one_record_each")
@pytest.mark.parametrize(
    ("failures", "errors", "code"),
    [((), (), 0), (("row_count",), (), 1), (("row_count",), ("x: raised",), 2)],
)
def test_validation_splits_rows_and_sets_the_exit_code(corpus, tmp_path, monkeypatch, failures, errors, code):
    validator = fake_validator(failures, errors)
    monkeypatch.setattr(pipeline, "load_validator", lambda: validator)
    result = invoke(corpus, "--out", tmp_path / "out")
    assert result.exit_code == code
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == OUTPUTS
    assert pl.read_parquet(out / "records.parquet")["doc_id"].sort().to_list() == ["a", "c"]
    quarantine = pl.read_parquet(out / "quarantine.parquet")
    assert quarantine["failed_expectations"].to_list() == [["unit_in_set"]]
    summary = summary_json(out)
    assert (summary["records"], summary["quarantined"]) == (2, 1)
    assert summary["table_failures"] == list(failures) and summary["validation_errors"] == list(errors)


@pytest.mark.usefixtures("one_record_each")
def test_validation_runs_per_chunk(corpus, tmp_path, monkeypatch):
    validator = fake_validator()
    monkeypatch.setattr(pipeline, "load_validator", lambda: validator)
    summary = pipeline.run_extract([corpus], tmp_path / "out", chunk_docs=2)
    assert validator.calls == [2, 1]  # inputs a, b | c, d (d is a dead letter)
    assert (summary.records, summary.quarantined, summary.exit_code) == (2, 1, 0)


@pytest.mark.usefixtures("one_record_each")
def test_a_validator_that_raises_quarantines_the_chunk(corpus, tmp_path, monkeypatch):
    def broken(frame):
        raise ValueError("suite file is malformed")

    monkeypatch.setattr(pipeline, "load_validator", lambda: broken)
    result = invoke(corpus, "--out", tmp_path / "out")
    assert result.exit_code == 2 and "suite file is malformed" in result.stdout
    quarantine = pl.read_parquet(tmp_path / "out" / "quarantine.parquet")
    assert (
        quarantine.height == 3 and quarantine["failed_expectations"].to_list() == [["validation_error"]] * 3
    )


def test_a_broken_validation_module_fails_the_run(monkeypatch):
    """No silent fallback: a run that validates never goes on without its validator."""
    monkeypatch.setitem(sys.modules, "kpi.validation", None)
    with pytest.raises(ImportError, match="kpi.validation"):
        pipeline.load_validator()


@pytest.mark.usefixtures("one_record_each")
def test_real_validator_places_every_record(corpus, tmp_path):
    summary = pipeline.run_extract([corpus], tmp_path / "out")
    assert summary.records + summary.quarantined == 3
    stored = pq.read_metadata(tmp_path / "out" / "records.parquet").num_rows
    assert stored + pq.read_metadata(tmp_path / "out" / "quarantine.parquet").num_rows == 3


# --- the pipeline without the CLI ---------------------------------------------------------------


@pytest.mark.usefixtures("no_records")
def test_progress_sees_every_input_once(corpus, tmp_path):
    seen: list = []
    summary = pipeline.run_extract([corpus], tmp_path / "out", progress=seen.append, validate=False)
    assert len(seen) == summary.documents_in == 4
    assert (
        sum(isinstance(s, Document) for s in seen) == 3 and sum(isinstance(s, DeadLetter) for s in seen) == 1
    )
    assert summary.chars == sum(len(s.text) for s in seen if isinstance(s, Document))


@pytest.mark.parametrize("workers", [1, 2])
def test_an_extractor_bug_dead_letters_the_document_and_the_run_goes_on(
    corpus, tmp_path, monkeypatch, workers
):
    def crash(text, *, doc_id, published=None, region=None):
        if doc_id == "a":
            raise KeyError("bug")
        return [record_for(doc_id, published, region)]

    monkeypatch.setattr(kpi.extractor.extract, "extract", crash)  # a local function: extracted in process
    out = tmp_path / "out"
    summary = pipeline.run_extract([corpus], out, validate=False, workers=workers)
    dead = pl.read_parquet(out / "dead_letter.parquet").filter(pl.col("reason_code") == "extract_error")
    assert dead.select("doc_id", "detail", "raw").rows() == [
        ("a", "the extractor raised KeyError: 'bug'", TEXT.encode())
    ]
    assert sorted(pl.read_parquet(out / "records.parquet")["doc_id"]) == ["c", "sub/b"]
    assert (summary.documents_in, summary.documents_processed, summary.dead_letters) == (4, 2, 2)
    assert summary.dead_letters_by_reason["extract_error"] == 1


# --- extract_frame -------------------------------------------------------------------------------


@pytest.mark.usefixtures("one_record_each")
@pytest.mark.parametrize("lazy", [False, True])
def test_extract_frame(lazy):
    docs = pl.DataFrame(
        {
            "id": ["x", "y", "z"],
            "text": [TEXT, None, TEXT],
            "published": ["2024-01-05", None, "2024-02-01T09:00:00"],
            "region": ["福建省", None, None],
        }
    )
    records = extract_frame(docs.lazy() if lazy else docs, batch_rows=1)
    assert records.schema == records_frame([]).schema
    assert records.select("doc_id", "published", "region").rows() == [
        ("x", date(2024, 1, 5), "福建省"),
        ("z", date(2024, 2, 1), None),
    ]


@pytest.mark.usefixtures("no_records")
def test_extract_frame_empty_and_errors():
    assert extract_frame(pl.DataFrame({"doc_id": ["a"], "text": ["无"]})).columns == RECORD_SCHEMA.names
    with pytest.raises(ValueError, match="`text`"):
        extract_frame(pl.DataFrame({"doc_id": ["a"], "body": ["x"]}))
    with pytest.raises(ValueError, match="not an ISO date"):
        extract_frame(pl.DataFrame({"doc_id": ["a"], "text": ["x"], "published": ["soon"]}))


def test_records_frame_round_trip():
    frame = records_frame([record_for("a")])
    assert frame.row(0, named=True) == record_for("a").to_dict()
    assert replace(record_for("a"), doc_id="b").doc_id == "b"


# --- the real command in a subprocess -----------------------------------------------------------


def python_m_kpi(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "kpi", "extract", *map(str, args)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_python_m_kpi_extract(tmp_path):
    (tmp_path / "empty.txt").write_text("   ")
    (tmp_path / "bad.jsonl").write_text("{oops\n")
    done = python_m_kpi(tmp_path, "--out", tmp_path / "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "dead letters    2  (empty 1, bad_json 1)" in done.stdout
    assert summary_json(tmp_path / "out")["dead_letters"] == 2


def test_python_m_kpi_parquet_without_text_exits_2(tmp_path):
    pl.DataFrame({"id": ["a"], "body": ["x"]}).write_parquet(tmp_path / "in.parquet")
    done = python_m_kpi(tmp_path / "in.parquet", "--out", tmp_path / "out", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().endswith("Parquet file has no `text` column (its columns: id, body)")
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1
