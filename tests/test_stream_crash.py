"""`kpi stream` in subprocesses: crash tests that really crash it (SIGKILL), then restart it, on both
sinks; spooled stdin across a crash; --follow and SIGTERM.

* `KPI_CRASH_AT=<point>:<batch>` kills it at each named step of the commit protocol in turn: every
  run replays the batch the previous one left uncommitted, then dies at the next point.
* Random SIGKILLs on a few thousand small documents, counted only when the checkpoint shows that a
  batch was planned but not committed at the moment of the kill.

Every test ends with a clean run and checks that the output is a single `kpi extract` over the same
inputs: the same multiset of rows over all columns, no duplicates, no losses, counts balancing. The
stream runs with `--workers 2` (extraction in worker processes, which die with it) unless a test says
`--workers 1` (in process).
"""

from __future__ import annotations

import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from slow_extractor import alive, worker_pids
from test_stream import TABLES, assert_same_output, batch_reference, doc_text, make_corpus

from kpi.pipeline import run_extract
from kpi.stream.checkpoint import CRASH_ENV, CRASH_POINTS, Checkpoint, batch_name
from kpi.stream.spool import spool_first_line

RANDOM_KILLS = 6


def stream_cmd(corpus: Path, out: Path, sink: str, *extra: str, workers: int = 2) -> list[str]:
    return [
        sys.executable,
        "-m",
        "kpi",
        "stream",
        str(corpus),
        "--out",
        str(out),
        "--sink",
        sink,
        "--workers",
        str(workers),
        "-q",
        *extra,
    ]


def env(crash: str | None = None) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    return {**clean, CRASH_ENV: crash} if crash else clean


def run(cmd: list[str], crash: str | None = None, **kw: Any) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=False, env=env(crash), capture_output=True, text=True, timeout=300, **kw)


def _assert_gone(pids: set[int], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while pids := {p for p in pids if alive(p)}:
        assert time.monotonic() < deadline, f"worker processes {pids} outlived the stream"
        time.sleep(0.02)


def uncommitted(out: Path) -> int | None:
    """The batch planned but not committed, if any (only ever the newest)."""
    cp = Checkpoint(out)
    planned, committed = cp.planned_batches(), set(cp.committed_batches())
    return planned[-1] if planned and planned[-1] not in committed else None


def newest_plan(out: Path) -> int:
    planned = Checkpoint(out).planned_batches() if (out / "_checkpoint" / "offsets").exists() else []
    return planned[-1] if planned else -1


def published(out: Path, sink: str, table: str, k: int) -> bool:
    """Whether batch k's part of `table` is visible to readers."""
    if sink == "parquet":
        return (out / table / f"part-{batch_name(k)}.parquet").exists()
    from deltalake import DeltaTable

    app_id = Checkpoint(out).metadata()["app_id"]
    return (DeltaTable(str(out / table)).transaction_version(app_id) or -1) >= k


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, Path]:
    """40 inputs: 10 batches of 4, enough for a crash at every point."""
    corpus = make_corpus(tmp_path_factory.mktemp("small") / "in", jsonl=12, txt=10, parquet=12)
    return corpus, batch_reference(corpus, tmp_path_factory.mktemp("small-batch") / "out")


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> tuple[Path, Path]:
    """A few thousand small documents."""
    corpus = make_corpus(tmp_path_factory.mktemp("large") / "in", jsonl=2000, txt=500, parquet=500)
    return corpus, batch_reference(corpus, tmp_path_factory.mktemp("large-batch") / "out")


@pytest.mark.parametrize(("sink", "workers"), [("parquet", 1), ("parquet", 2), ("delta", 2)])
def test_a_crash_at_every_point_of_the_commit_protocol(small, tmp_path, sink, workers):
    corpus, reference = small
    out = tmp_path / "out"
    cmd = stream_cmd(corpus, out, sink, "--no-validate", "--max-batch-docs", "4", workers=workers)
    for k, point in enumerate(CRASH_POINTS):
        crashed = run(cmd, crash=f"{point}:{k}")
        assert crashed.returncode == -signal.SIGKILL, (point, crashed.stderr)
        step = CRASH_POINTS.index(point)
        last_committed = k if point == "after_commit" else k - 1
        assert uncommitted(out) == (None if point == "after_commit" else k), point
        assert Checkpoint(out).committed_batches()[-1:] == ([last_committed] if last_committed >= 0 else [])
        # tables are published in this order; with Delta an empty table is not written, so only
        # records (never empty in these batches) is checked there
        for table in TABLES if sink == "parquet" else ("records",):
            visible = step >= CRASH_POINTS.index(f"after_{table}")
            assert published(out, sink, table, k) == visible, (point, table)
        state_written = step >= CRASH_POINTS.index("after_state")
        assert (out / "_checkpoint" / "state" / f"{batch_name(k)}.json").exists() == state_written
    final = run(cmd)
    assert final.returncode == 0, final.stderr
    assert "replayed" not in final.stdout  # the after_commit crash left nothing to replay
    assert_same_output(out, reference, sink)


def test_a_crash_between_records_and_quarantine_with_validation(small, tmp_path):
    """With the expectation suites on (quarantine in play), as `kpi extract` validates."""
    corpus, _ = small
    reference = batch_reference(corpus, tmp_path / "batch", validate=True)
    out = tmp_path / "out"
    cmd = stream_cmd(corpus, out, "parquet", "--max-batch-docs", "20")
    crashed = run(cmd, crash="after_records:1")
    assert crashed.returncode == -signal.SIGKILL and uncommitted(out) == 1
    final = run(cmd)
    assert "replayed 1" in final.stdout, final.stderr
    assert_same_output(out, reference)


@pytest.mark.parametrize(("sink", "workers"), [("parquet", 1), ("parquet", 2), ("delta", 2)])
def test_random_sigkills_while_a_batch_is_uncommitted(large, tmp_path, sink, workers):
    corpus, reference = large
    out = tmp_path / "out"
    cmd = stream_cmd(corpus, out, sink, "--no-validate", "--max-batch-docs", "50", workers=workers)
    rng = random.Random(f"kills-{sink}-{workers}")
    kills, misses = 0, 0
    while kills < RANDOM_KILLS:
        assert misses < 10, "the kills keep missing uncommitted batches"
        before = newest_plan(out)
        proc = subprocess.Popen(cmd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while newest_plan(out) <= before and proc.poll() is None:  # a new batch is being processed
            assert time.monotonic() < deadline
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.15))
        assert proc.poll() is None, "the stream finished before it could be killed; use more documents"
        workers_of = worker_pids(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()  # type: ignore[union-attr]
        _assert_gone(workers_of)  # the workers die with the stream
        if uncommitted(out) is not None:
            kills += 1
        else:
            misses += 1
    final = run(cmd)
    assert final.returncode == 0, final.stderr
    assert "replayed" in final.stdout
    print(
        f"{sink}, {workers} workers: {kills} SIGKILLs while a batch was uncommitted, {misses} between batches"
    )
    assert_same_output(out, reference, sink)


def test_spooled_stdin_survives_a_crash(tmp_path):
    rng = random.Random(11)
    lines = [json.dumps({"text": doc_text(i, rng)}, ensure_ascii=False) for i in range(200)]
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    cmd = stream_cmd(Path("-"), out, "parquet", "--no-validate", "--max-batch-docs", "20")
    with feed.open("rb") as stdin:
        crashed = run(cmd, crash="after_records:2", stdin=stdin)
    assert crashed.returncode == -signal.SIGKILL and uncommitted(out) == 2
    parts = (out / "_checkpoint" / "spool").glob("stdin-*.jsonl")
    last_line = max(spool_first_line(p) + p.read_bytes().count(b"\n") - 1 for p in parts)
    assert last_line == 200  # all of stdin was in the checkpoint before the kill
    final = run(cmd, stdin=subprocess.DEVNULL)
    assert final.returncode == 0 and "replayed 2" in final.stdout, final.stderr
    reference = tmp_path / "batch"
    run_extract(["-"], reference, validate=False, stdin=io.BytesIO(feed.read_bytes()))
    assert_same_output(out, reference)
    assert not list((out / "_checkpoint" / "spool").iterdir())


def test_follow_commits_a_dropped_file_and_sigterm_exits_0(tmp_path):
    drop, out = tmp_path / "drop", tmp_path / "out"
    drop.mkdir()
    cmd = [*stream_cmd(drop, out, "parquet", "--no-validate", "--follow", "--trigger-interval", "0.2")]
    proc = subprocess.Popen(cmd, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (out / "records").exists():  # ready: the sink is prepared
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        (drop / ".a.txt.part").write_text(doc_text(0, random.Random(0)), encoding="utf-8")
        landed = time.monotonic()
        (drop / ".a.txt.part").rename(drop / "a.txt")
        while not (out / "_checkpoint" / "commits" / batch_name(0)).exists():
            assert time.monotonic() - landed < 10, "not committed within 10 s"
            time.sleep(0.01)
        proc.send_signal(signal.SIGTERM)
        stdout, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0 and "stopped by        SIGTERM" in stdout
    assert (out / "records" / f"part-{batch_name(0)}.parquet").exists()
