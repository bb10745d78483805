"""kpi.parallel: `--workers N` gives the records of one worker (all columns, same order), and the
per-document budget `--doc-timeout` dead-letters a document that runs past it, in process (SIGALRM)
and in worker processes (the worker is killed and replaced); a document that raises or kills its
worker is dead-lettered as `extract_error`; the run goes on; Ctrl-C leaves no worker behind.

Slow documents come from tests/slow_extractor.py (the real extractor, except on marked documents), not
from inputs that happen to be slow in today's extractor.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
import slow_extractor

import kpi.extractor.extract
from kpi import parallel
from kpi.io.readers import Document
from kpi.parallel import InProcess, WorkerPool, default_workers, doc_budget, make_extraction
from kpi.pipeline import run_extract
from kpi.stream.runner import StreamOptions, run_stream

SHARED = next(
    (
        p
        for p in (Path(__file__).resolve().parents[2] / "shared" / "corpus", Path("/work/shared/corpus"))
        if p.exists()
    ),
    Path("shared/corpus"),
)
REPORTS = SHARED / "reports" / "documents.jsonl"
DEV = SHARED / "dev" / "input.jsonl"
TABLES = ("records", "quarantine", "dead_letter")
TEXT = "2024年，全市地区生产总值增长5.2%。今年力争新增高新技术企业130家。"
TESTS = str(Path(__file__).resolve().parent)


def tables(out: Path) -> dict[str, pl.DataFrame]:
    return {name: pl.read_parquet(out / f"{name}.parquet") for name in TABLES}


def summary_of(out: Path) -> dict:
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {k: v for k, v in summary.items() if k not in ("seconds", "chars_per_second")}


@pytest.fixture
def slow(monkeypatch):
    """The marked-document extractor, in this process and (by name) in worker processes."""
    slow_extractor.extract(TEXT, doc_id="warm-up")  # the real extractor's set-up, off the budgets
    monkeypatch.setattr(kpi.extractor.extract, "extract", slow_extractor.extract)


def feed(path: Path, texts: list[str]) -> Path:
    lines = [json.dumps({"id": f"d{i}", "text": t}, ensure_ascii=False) for i, t in enumerate(texts)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- the same records -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_corpus(tmp_path_factory) -> Path:
    """The 22 reports and the dev inputs (~435,000 characters), with bad lines among them."""
    if not REPORTS.exists():
        pytest.skip(f"{REPORTS} not found")
    folder = tmp_path_factory.mktemp("real")
    lines = REPORTS.read_text(encoding="utf-8").splitlines()
    if DEV.exists():
        lines += DEV.read_text(encoding="utf-8").splitlines()
    for at, bad in ((3, "{not json"), (9, json.dumps({"id": "no-text"})), (15, json.dumps({"text": "  "}))):
        lines.insert(at, bad)
    (folder / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder / "corpus.jsonl"


def test_two_workers_give_the_records_of_one(real_corpus, tmp_path, monkeypatch):
    """All columns, same order (record ids included), same quarantine, dead letters and counts, with
    tasks small enough (3 documents) that they finish out of order."""
    monkeypatch.setattr(parallel.pool, "TASK_DOCS", 3)
    one, two = tmp_path / "one", tmp_path / "two"
    run_extract([real_corpus], one, workers=1)
    run_extract([real_corpus], two, workers=2)
    first, second = tables(one), tables(two)
    assert first["records"].height > 1_000
    for name in TABLES:
        assert first[name].equals(second[name], null_equal=True), name
    assert summary_of(one) == summary_of(two)
    reasons = summary_of(one)["dead_letters_by_reason"]
    assert (reasons["bad_json"], reasons["missing_text"], reasons["empty"]) == (1, 1, 1)


def test_the_cli_takes_workers_and_doc_timeout(real_corpus, tmp_path):
    from click.testing import CliRunner

    from kpi.cli import cli

    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["extract", str(real_corpus), "--out", str(out), "--workers", "2", "--doc-timeout", "30", "-q"]
    )
    assert result.exit_code in (0, 1), result.output
    assert summary_of(out)["documents_processed"] == 22 + 8 * DEV.exists()
    assert "--workers N" in CliRunner().invoke(cli, ["stream", "--help"]).output


def test_defaults():
    assert default_workers() >= 1
    assert doc_budget(1_000, 5.0) == 5.0 and doc_budget(300_000, 5.0) == 15.0
    assert doc_budget(1_000, None) is None and doc_budget(1_000, 0) is None


def test_an_unpicklable_extractor_runs_in_process(caplog):
    engine = make_extraction(lambda text, **kw: [], workers=2, doc_timeout=None)
    assert isinstance(engine, InProcess) and "in process" in caplog.text


# --- the budget and failures, in process and in workers -------------------------------------------------


@pytest.mark.usefixtures("slow")
@pytest.mark.parametrize("workers", [1, 2])
def test_a_document_past_its_budget_is_a_timeout_and_the_run_goes_on(tmp_path, workers):
    texts = [TEXT, "BACKTRACK " + TEXT, TEXT, "SLEEP", TEXT]
    out = tmp_path / "out"
    started = time.monotonic()
    summary = run_extract(
        [feed(tmp_path / "in.jsonl", texts)], out, validate=False, workers=workers, doc_timeout=0.5
    )
    assert time.monotonic() - started < 20
    dead = tables(out)["dead_letter"]
    assert dead.select("doc_id", "reason_code").rows() == [("d1", "timeout"), ("d3", "timeout")]
    assert dead["raw"].to_list() == [t.encode() for t in (texts[1], texts[3])]  # nothing lost
    assert "budget of 0.5 s" in dead["detail"][0]
    assert (summary.documents_in, summary.documents_processed, summary.dead_letters) == (5, 3, 2)
    assert summary.dead_letters_by_reason["timeout"] == 2
    assert tables(out)["records"]["doc_id"].unique(maintain_order=True).to_list() == ["d0", "d2", "d4"]


@pytest.mark.usefixtures("slow")
def test_off_the_main_thread_the_budget_takes_a_worker_process(tmp_path):
    """SIGALRM needs the main thread: `--workers 1` with a budget elsewhere uses one worker process."""
    import threading

    assert isinstance(make_extraction(workers=1, doc_timeout=None), InProcess)
    got: dict = {}

    def run() -> None:
        engine = make_extraction(workers=1, doc_timeout=0.5)
        got["engine"] = type(engine).__name__
        engine.close()
        got["summary"] = run_extract(
            [feed(tmp_path / "in.jsonl", [TEXT, "SLEEP"])], tmp_path / "out", validate=False, doc_timeout=0.5
        )

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert got["engine"] == "WorkerPool"
    assert got["summary"].dead_letters_by_reason["timeout"] == 1 and got["summary"].documents_processed == 1


@pytest.mark.usefixtures("slow")
@pytest.mark.parametrize("workers", [1, 2])
def test_a_document_that_raises_is_an_extract_error(tmp_path, workers):
    out = tmp_path / "out"
    summary = run_extract(
        [feed(tmp_path / "in.jsonl", [TEXT, "RAISE", TEXT])], out, validate=False, workers=workers
    )
    dead = tables(out)["dead_letter"]
    assert dead.select("doc_id", "reason_code").rows() == [("d1", "extract_error")]
    assert "RuntimeError: a bug on purpose" in dead["detail"][0]
    assert summary.documents_processed == 2 and summary.records > 0


def test_a_worker_that_dies_loses_only_its_document():
    texts = [TEXT] * 5 + ["DIE"] + [TEXT] * 5
    docs = [Document(f"d{i}", t, None, None, f"in:{i}") for i, t in enumerate(texts)]
    with WorkerPool(slow_extractor.extract, workers=2, doc_timeout=None, task_docs=2) as pool:
        outcomes = list(pool.map(docs))
    assert [item for item, _ in outcomes] == docs  # input order
    dead = [(item.doc_id, o.reason_code, o.detail) for item, o in outcomes if not isinstance(o, list)]
    assert dead == [("d5", "extract_error", "the worker process extracting it died (killed by signal 9)")]
    expected = {d.doc_id: InProcess(slow_extractor.extract).one(d) for d in docs if d.text == TEXT}
    assert {item.doc_id: o for item, o in outcomes if isinstance(o, list)} == expected


@pytest.mark.usefixtures("slow")
def test_the_stream_goes_on_past_a_timeout(tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    feed(source / "a.jsonl", [TEXT, "SLEEP", TEXT, TEXT])
    options = StreamOptions(workers=2, doc_timeout=0.5, validate=False, max_batch_docs=2)
    result = run_stream([source], tmp_path / "out", options)
    assert result.batches == 2 and result.run.dead_letters_by_reason["timeout"] == 1
    dead = pl.read_parquet(tmp_path / "out" / "dead_letter" / "*.parquet")
    assert dead.select("doc_id", "reason_code").rows() == [("d1", "timeout")]
    assert result.run.documents_processed == 3


def test_the_cli_budget_kills_a_slow_document_through_kpi_extractor(tmp_path):
    """`kpi extract --workers 2 --doc-timeout`, the extractor named by $KPI_EXTRACTOR."""
    env = {**os.environ, parallel.EXTRACTOR_ENV: "slow_extractor:extract", "PYTHONPATH": TESTS}
    corpus = feed(tmp_path / "in.jsonl", [TEXT, "SLEEP", TEXT])
    cmd = [sys.executable, "-m", "kpi", "extract", str(corpus), "--out", str(tmp_path / "out")]
    done = subprocess.run(
        [*cmd, "--workers", "2", "--doc-timeout", "0.5", "--no-validate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "timeout 1" in done.stdout and "past its 0.5 s budget" in done.stderr


# --- Ctrl-C -----------------------------------------------------------------------------------------


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc")
def test_ctrl_c_stops_the_workers(tmp_path):
    env = {**os.environ, parallel.EXTRACTOR_ENV: "slow_extractor:extract", "PYTHONPATH": TESTS}
    corpus = feed(tmp_path / "in.jsonl", ["SLEEP", "SLEEP", TEXT])
    cmd = [
        sys.executable,
        "-m",
        "kpi",
        "extract",
        str(corpus),
        "--out",
        str(tmp_path / "out"),
        "--workers",
        "2",
        "--doc-timeout",
        "0",
    ]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while not (workers := slow_extractor.worker_pids(proc.pid)):  # one task (three documents): one worker
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()  # type: ignore[union-attr]
            time.sleep(0.05)
        time.sleep(1.0)  # the workers are on their documents
        os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C: the whole process group
        proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode != 0
    deadline = time.monotonic() + 10
    while alive := [pid for pid in workers if slow_extractor.alive(pid)]:
        assert time.monotonic() < deadline, f"workers {alive} outlived Ctrl-C"
        time.sleep(0.05)
    assert not (tmp_path / "out" / "summary.json").exists()
