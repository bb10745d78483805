"""The tracking table of `kpi stream` (kpi/stream/tracking_hook.py): keyed state inside the commit.

The six reports of corpus/tracking are streamed in batches, in an order where results arrive before
their targets (and targets before their results), in process on both sinks and in subprocesses that
are SIGKILLed inside the commit and restarted. Every time, `DIR/tracking.parquet` must equal what
batch `kpi track` gives over `kpi extract`'s records of the same inputs (all columns), and reproduce
the gold statuses of pairs.gold.jsonl.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from polars.testing import assert_frame_equal
from record_builders import gdp_growth_record
from test_stream_crash import env, newest_plan, run, stream_cmd, uncommitted
from test_tracking_gold import CORPUS, _load, compare_to_gold

from kpi.cli import cli
from kpi.pipeline import run_extract
from kpi.record import Record, records_to_arrow
from kpi.stream.checkpoint import Checkpoint, batch_name
from kpi.stream.hook import default_hook, takes_quarantine
from kpi.stream.runner import StreamOptions, run_stream
from kpi.stream.tracking_hook import TrackingHook, TrackingState, load_state, rebuild_state
from kpi.tracking import TRACKING_SCHEMA

pytestmark = pytest.mark.skipif(not (CORPUS / "documents.jsonl").exists(), reason="shared corpus not found")

KEY = ["region", "indicator_id", "period_year"]
# national-2023 (the results for 2022) comes before national-2022 (the targets for 2022), hunan-2026
# before hunan-2025; national-2024 (results for 2023) comes after national-2023 (targets for 2023).
ORDER = ("national-2023", "hunan-2026", "national-2025", "national-2022", "hunan-2025", "national-2024")


# --- helpers ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reports() -> dict[str, str]:
    """Each report's JSON line, by id."""
    lines = (CORPUS / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    return {json.loads(line)["id"]: line for line in lines if line.strip()}


@pytest.fixture(scope="module")
def gold() -> list[dict]:
    return _load("pairs.gold.jsonl")


def write_feed(path: Path, reports: dict[str, str], ids: tuple[str, ...] | list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(reports[i] + "\n" for i in ids), encoding="utf-8")
    return path


def batch_track(inputs: list[Path], out: Path, *, validate: bool) -> pl.DataFrame:
    """`kpi extract` over `inputs`, then the `kpi track` command over its records and quarantine."""
    run_extract(inputs, out / "extract", validate=validate)
    result = CliRunner().invoke(cli, ["track", str(out / "extract"), "--out", str(out / "track"), "-q"])
    assert result.exit_code == 0, result.stderr
    return pl.read_parquet(out / "track" / "tracking.parquet")


def stream_tracking(out: Path) -> pl.DataFrame:
    path = out / "tracking.parquet"
    assert pq.read_schema(path).remove_metadata() == TRACKING_SCHEMA.remove_metadata()
    return pl.read_parquet(path)


def assert_same_tracking(got: pl.DataFrame, want: pl.DataFrame) -> None:
    assert got.height == want.height > 0
    assert_frame_equal(got.sort(KEY), want.sort(KEY))


def tracking_states(out: Path) -> list[int]:
    """The batches with a tracking state in the checkpoint."""
    names = (p.name for p in (out / "_checkpoint" / "state").glob("tracking-records-*.parquet"))
    return sorted(int(n.removesuffix(".parquet").rpartition("-")[2]) for n in names)


def statuses(frame: pl.DataFrame, region: str, year: int) -> set[str]:
    return set(frame.filter((pl.col("region") == region) & (pl.col("period_year") == year))["status"])


class Spy(TrackingHook):
    """The tracking hook, remembering the table after every batch."""

    def __init__(self) -> None:
        super().__init__(report_every=None)
        self.tables: list[pl.DataFrame] = []

    def on_batch(self, batch, records, state_dir, *, quarantine=None) -> None:  # type: ignore[no-untyped-def]
        super().on_batch(batch, records, state_dir, quarantine=quarantine)
        self.tables.append(pl.read_parquet(state_dir.parent.parent / "tracking.parquet"))


# --- in process ------------------------------------------------------------------------------------


def test_the_default_hook_tracks_and_is_given_quarantine():
    hook = default_hook()
    assert isinstance(hook, TrackingHook) and takes_quarantine(hook)


def _record(kind: str, value: float, doc: str, published: str, year: int) -> Record:
    # indicator_id none: the tracker reads it from the sentence
    return gdp_growth_record(kind, value, doc=doc, published=published, year=year, at=8, indicator_id=None)


def test_quarantined_results_count_and_unkeyed_records_are_not_kept():
    target = pl.from_arrow(records_to_arrow([_record("target", 5.5, "n2022", "2022-03-05", 2022)]))
    other = _record("actual", 3.0, "n2023", "2023-03-05", 2022)
    other = replace(
        other, record_id="x", sentence="会议收到代表建议3件", mention="3件", unit="count", indicator=None
    )
    actual = pl.from_arrow(records_to_arrow([_record("actual", 5.3, "n2023", "2023-03-05", 2022), other]))
    quarantine = actual.with_columns(pl.lit(["some_expectation"]).alias("failed_expectations"))  # type: ignore[union-attr]
    state = TrackingState().add(target, None)  # type: ignore[arg-type]
    assert state.tracking()["status"].to_list() == ["pending"]
    state = state.add(target.clear(), quarantine)  # type: ignore[union-attr]
    assert state.tracking()["status"].to_list() == ["met"]
    assert state.records["record_id"].to_list()[-1] != "x" and state.records.height == 2
    assert sorted(state.documents["doc_id"]) == ["n2022", "n2023"]


@pytest.fixture(scope="module")
def validated_reference(reports, tmp_path_factory) -> pl.DataFrame:
    folder = tmp_path_factory.mktemp("ref-validated")
    return batch_track([write_feed(folder / "in" / "reports.jsonl", reports, ORDER)], folder, validate=True)


@pytest.mark.parametrize("sink", ["parquet", "delta"])
def test_stream_tracking_equals_batch_track_and_gold(reports, gold, validated_reference, tmp_path, sink):
    feed = write_feed(tmp_path / "in" / "reports.jsonl", reports, ORDER)
    out, hook = tmp_path / "out", Spy()
    options = StreamOptions(sink=sink, max_batch_docs=2)  # validation on: quarantine counts too
    result = run_stream([feed], out, options, hook=hook)
    assert result.exit_code == 0 and result.batches == 3

    tracking = stream_tracking(out)
    assert_same_tracking(tracking, validated_reference)
    assert compare_to_gold(tracking, gold) == []

    # batch 0: national-2023 and hunan-2026 — their own targets wait for next year's report
    first = hook.tables[0]
    assert statuses(first, "全国", 2023) == {"pending"} and statuses(first, "湖南省", 2026) == {"pending"}
    assert statuses(first, "全国", 2022) == set()  # results without their target yet: no row
    # batch 1: national-2022 meets the results that arrived before it
    assert "met" in statuses(hook.tables[1], "全国", 2022) and "pending" not in statuses(
        hook.tables[1], "全国", 2022
    )
    # batch 2: national-2024 arrives after the 2023 targets and updates their status
    assert statuses(hook.tables[1], "全国", 2023) == {"pending"}
    assert "pending" not in statuses(hook.tables[2], "全国", 2023)
    assert_same_tracking(hook.tables[2], validated_reference)

    # the state: the last two batches only, small, and what the committed tables give
    assert tracking_states(out) == [1, 2]
    state = load_state(out / "_checkpoint" / "state", 2)
    assert state is not None and state.documents.height == 6
    # only sentences with a keyed record are kept (more since the taxonomy covers more indicators)
    assert 0 < state.records.height < 0.75 * (result.totals.records + result.totals.quarantined)
    rebuilt = rebuild_state(out, 3)  # rows in another order: all quarantine first, then all records
    assert_frame_equal(
        rebuilt.records.sort("_part", maintain_order=True), state.records.sort("_part", maintain_order=True)
    )
    assert_frame_equal(rebuilt.documents.sort("doc_id"), state.documents.sort("doc_id"))

    hook.finish(out)
    assert "<svg" in (out / "report.html").read_text(encoding="utf-8")
    assert not list(out.glob(".*.tmp")) and not list((out / "_checkpoint" / "state").glob(".*"))


def test_a_later_run_updates_pending_targets_and_a_replay_counts_once(reports, gold, tmp_path):
    """Run 1 sees the 2022 reports only; run 2 adds the 2023 ones. Then the last batch is replayed."""
    out = tmp_path / "out"
    first = write_feed(tmp_path / "in" / "a.jsonl", reports, ["national-2022", "hunan-2025"])
    run_stream([tmp_path / "in"], out, StreamOptions(validate=False), hook=TrackingHook())
    assert statuses(stream_tracking(out), "全国", 2022) == {"pending"}

    second = write_feed(tmp_path / "in" / "b.jsonl", reports, ["national-2023", "hunan-2026"])
    run_stream([tmp_path / "in"], out, StreamOptions(validate=False), hook=TrackingHook())
    after = stream_tracking(out)
    assert "pending" not in statuses(after, "全国", 2022) | statuses(after, "湖南省", 2025)
    want = batch_track([first, second], tmp_path / "ref", validate=False)
    assert_same_tracking(after, want)

    # a crash after the hook of batch 1 and before its commit: the replay must not count it twice
    cp = Checkpoint(out)
    (cp.commits / batch_name(1)).unlink()
    result = run_stream([tmp_path / "in"], out, StreamOptions(validate=False), hook=TrackingHook())
    assert result.replayed == 1
    assert_same_tracking(stream_tracking(out), want)
    state = load_state(cp.state_dir, 1)
    assert state is not None and state.records["record_id"].is_unique().all()


def test_a_stream_that_ran_without_tracking_is_caught_up(reports, tmp_path):
    """Batches committed without the hook: the state is rebuilt from the committed tables, by the
    next batch's hook or by `finish` at the end of a run."""
    folder, out = tmp_path / "in", tmp_path / "out"
    feeds = [write_feed(folder / "a.jsonl", reports, ["national-2023", "national-2022"])]
    run_stream([folder], out, StreamOptions(validate=False, max_batch_docs=1), hook=None)
    assert not (out / "tracking.parquet").exists()

    feeds.append(write_feed(folder / "b.jsonl", reports, ["national-2024"]))
    run_stream([folder], out, StreamOptions(validate=False), hook=TrackingHook())  # batch 2 rebuilds 0–1
    assert_same_tracking(stream_tracking(out), batch_track(feeds, tmp_path / "ref-1", validate=False))

    feeds.append(write_feed(folder / "c.jsonl", reports, ["national-2025"]))
    run_stream([folder], out, StreamOptions(validate=False), hook=None)  # batch 3, no state
    TrackingHook().finish(out)
    assert tracking_states(out) == [3]
    assert_same_tracking(stream_tracking(out), batch_track(feeds, tmp_path / "ref-2", validate=False))
    assert (out / "report.html").stat().st_mtime_ns >= (out / "tracking.parquet").stat().st_mtime_ns


# --- subprocesses, SIGKILLed ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def unvalidated(reports, tmp_path_factory) -> tuple[Path, pl.DataFrame]:
    """The six reports in ORDER, one per batch, and batch `kpi track` over them (no validation)."""
    folder = tmp_path_factory.mktemp("crash")
    feed = write_feed(folder / "in" / "reports.jsonl", reports, ORDER)
    return feed, batch_track([feed], folder / "ref", validate=False)


@pytest.mark.parametrize("sink", ["parquet", "delta"])
def test_sigkills_inside_the_commit_then_restart(unvalidated, gold, tmp_path, sink):
    feed, reference = unvalidated
    out = tmp_path / "out"
    cmd = stream_cmd(feed, out, sink, "--no-validate", "--max-batch-docs", "1")
    state_dir = out / "_checkpoint" / "state"

    for k, point in enumerate(("after_state", "after_tracking_state", "before_commit"), start=1):
        crashed = run(cmd, crash=f"{point}:{k}")
        assert crashed.returncode == -signal.SIGKILL, (point, crashed.stderr)
        assert uncommitted(out) == k and Checkpoint(out).committed_batches()[-1] == k - 1
        assert (k in tracking_states(out)) == (point != "after_state"), point
        assert k - 2 not in tracking_states(out)  # pruned once k − 1 is committed

    # a SIGKILL at a random moment while a batch is uncommitted (a batch takes some 40 ms here, its
    # hook included; the kill may land in the hook, half done)
    rng, kills = random.Random(f"tracking-{sink}"), 0
    while not kills and newest_plan(out) < len(ORDER) - 1:
        before = newest_plan(out)
        proc = subprocess.Popen(cmd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while newest_plan(out) <= before and proc.poll() is None:  # past the replay, in a new batch
            assert time.monotonic() < deadline
            time.sleep(0.001)
        time.sleep(rng.uniform(0.0, 0.03))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += uncommitted(out) is not None
    assert kills == 1, "the kill missed the uncommitted batches"

    final = run(cmd)
    assert final.returncode == 0, final.stderr
    assert "replayed" in final.stdout and "tracking          " in final.stdout
    tracking = stream_tracking(out)
    assert_same_tracking(tracking, reference)
    assert compare_to_gold(tracking, gold) == []
    last = len(ORDER) - 1
    assert tracking_states(out) == [last - 1, last]
    assert (out / "report.html").exists()
    assert not [p for p in (out, state_dir) for p in p.glob(".*.tmp")]

    status = CliRunner().invoke(cli, ["status", str(out), "--json"])
    tracked = json.loads(status.stdout)["tracking"]
    assert tracked["targets"] == reference.height and tracked["state_batch"] == last
    assert tracked["by_status"] == {s: reference["status"].to_list().count(s) for s in tracked["by_status"]}
    text = CliRunner().invoke(cli, ["status", str(out)]).stdout
    assert f"tracking          {reference.height} targets: met " in text and "  state  " in text


def test_no_tracking_flag(unvalidated, tmp_path):
    feed, _ = unvalidated
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["stream", str(feed), "--out", str(out), "--no-validate", "--no-tracking", "-q"]
    )
    assert result.exit_code == 0, result.stderr
    assert not (out / "tracking.parquet").exists() and tracking_states(out) == []
    assert "targets:" not in result.stdout
    assert "targets:" not in CliRunner().invoke(cli, ["status", str(out)]).stdout
