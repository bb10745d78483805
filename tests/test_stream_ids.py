"""`kpi stream` keeps one namespace of doc_ids over all its batches and runs, as `kpi extract` does
over one run: an id an earlier committed batch took is a `duplicate_id` dead letter naming the first
source, exactly once across crashes (kpi.stream.seen)."""

from __future__ import annotations

import json
import random
import signal
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from test_stream import assert_same_output, batch_reference, doc_text, no_validate, stream_tables
from test_stream_crash import run, stream_cmd, uncommitted

from kpi.stream import seen
from kpi.stream.checkpoint import Checkpoint
from kpi.stream.runner import run_stream
from kpi.stream.seen import StreamIds


def write_feed(path: Path, ids: list[str], seed: int = 3) -> Path:
    rng = random.Random(seed)
    lines = [json.dumps({"id": i, "text": doc_text(n, rng)}, ensure_ascii=False) for n, i in enumerate(ids)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def duplicates(out: Path) -> list[tuple[str, str, str]]:
    dead = stream_tables(out)["dead_letter"].filter(pl.col("reason_code") == "duplicate_id")
    return sorted(zip(dead["source"], dead["doc_id"], dead["detail"], strict=True))


def taken_by(doc_id: str, first: str) -> str:
    return f"the id {doc_id!r} was already taken by {first}"


# --- one run: batches of a single file, compared with kpi extract --------------------------------

FEEDS = {
    # ids of feed.jsonl, 3 lines a batch: the repeats come in a later batch than their first
    "a repeat in the next batch": ["a", "b", "c", "a", "d"],
    "repeats several batches later": ["a", "b", "c", "d", "e", "f", "g", "b", "a", "h"],
    "a repeat inside one batch and across": ["a", "a", "b", "c", "b", "a"],
    "no repeat": ["a", "b", "c", "d"],
}


@pytest.mark.parametrize("ids", FEEDS.values(), ids=FEEDS.keys())
def test_a_repeated_id_is_dead_lettered_naming_the_first_source(tmp_path, ids):
    feed = write_feed(tmp_path / "in" / "feed.jsonl", ids)
    out = tmp_path / "out"
    result = run_stream([feed], out, no_validate(max_batch_docs=3))
    assert result.batches == (len(ids) + 2) // 3
    first = {i: f"{feed}:{ids.index(i) + 1}" for i in ids}
    want = sorted(
        (f"{feed}:{n}", i, taken_by(i, first[i])) for n, i in enumerate(ids, 1) if first[i] != f"{feed}:{n}"
    )
    assert duplicates(out) == want
    assert set(stream_tables(out)["records"]["doc_id"]) <= set(ids)
    assert_same_output(out, batch_reference(feed, tmp_path / "batch"))  # counts balance too
    assert Checkpoint(out).read_state(result.last_batch)["ids"] == len(set(ids))  # type: ignore[arg-type]


# --- later runs: files that arrive after the first batch committed --------------------------------

LATER = {
    "a JSON line repeats a JSON line": (["x", "y"], ["z", "x"], ["x"]),
    "a JSON line repeats a text file": (["x"], ["texts/t"], ["texts/t"]),
    "a Parquet row repeats a JSON line": (["x", "y"], [], ["y"]),
}


@pytest.mark.parametrize(("first_ids", "later_ids", "repeated"), LATER.values(), ids=LATER.keys())
def test_an_id_taken_by_an_earlier_run_is_a_duplicate(tmp_path, first_ids, later_ids, repeated):
    drop, out = tmp_path / "in", tmp_path / "out"
    write_feed(drop / "a.jsonl", first_ids)
    (drop / "texts").mkdir(parents=True)
    (drop / "texts" / "t.txt").write_text(doc_text(1, random.Random(1)), encoding="utf-8")
    first_run = run_stream([drop], out, no_validate())
    records_before = stream_tables(out)["records"].height
    if later_ids:
        write_feed(drop / "b.jsonl", later_ids, seed=5)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = [{"id": i, "text": doc_text(9, random.Random(9))} for i in repeated]
        pq.write_table(pa.Table.from_pylist(rows), drop / "c.parquet")
    second = run_stream([drop], out, no_validate())
    sources = {"texts/t": str(drop / "texts" / "t.txt")} | {
        i: f"{drop / 'a.jsonl'}:{n}" for n, i in enumerate(first_ids, 1)
    }
    got = [(doc_id, detail) for _, doc_id, detail in duplicates(out)]
    assert got == [(i, taken_by(i, sources[i])) for i in repeated]
    records = stream_tables(out)["records"]
    assert records["record_id"].is_unique().all()
    assert not set(records["doc_id"][records_before:]) & set(repeated)  # no second record
    totals = second.totals
    assert totals.documents_in == first_run.totals.documents_in + len(later_ids or repeated)
    assert totals.documents_in == totals.documents_processed + totals.dead_letters
    assert totals.dead_letters_by_reason["duplicate_id"] == len(repeated)


# --- crashes inside the commit of the batch that holds the repeat ---------------------------------


@pytest.mark.parametrize(
    "point", ["after_dead_letter", "after_ids", "after_state", "before_commit", "after_commit"]
)
def test_a_crash_in_the_commit_gives_the_same_result_after_restart(tmp_path, point):
    ids = ["a", "b", "c", "d", "b", "e", "a", "f", "g"]  # 3 a batch: batch 1 repeats b, batch 2 a
    feed = write_feed(tmp_path / "in" / "feed.jsonl", ids)
    out = tmp_path / "out"
    cmd = stream_cmd(feed, out, "parquet", "--no-validate", "--max-batch-docs", "3")
    crashed = run(cmd, crash=f"{point}:1")
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert uncommitted(out) == (None if point == "after_commit" else 1)
    final = run(cmd)
    assert final.returncode == 0, final.stderr
    assert duplicates(out) == [
        (f"{feed}:5", "b", taken_by("b", f"{feed}:2")),
        (f"{feed}:7", "a", taken_by("a", f"{feed}:1")),
    ]
    assert_same_output(out, batch_reference(feed, tmp_path / "batch"))
    cp = Checkpoint(out)
    assert cp.read_state(max(cp.committed_batches()))["ids"] == 7
    assert len(StreamIds.load(cp.ids_dir, cp.committed_batches())) == 7  # no id counted twice


# --- the store itself -----------------------------------------------------------------------------


def _commit(ids: StreamIds, k: int, names: list[str]) -> None:
    ids.begin()
    for name in names:
        assert ids.claim(name, f"src-{k}-{name}") is None
    ids.write(k)
    ids.fold(k)


def test_the_store_survives_a_reload_merges_and_compacts(tmp_path, monkeypatch):
    monkeypatch.setattr(seen, "COMPACT_FILES", 3)
    monkeypatch.setattr(seen, "_MERGE_AT", 6)  # digests join the sorted arrays every other batch
    ids = StreamIds(tmp_path)
    for k in range(5):
        _commit(ids, k, [f"d{k}-{i}" for i in range(4)])
    again = StreamIds.load(tmp_path, range(5))  # five batch files: one index replaces them
    assert sorted(p.name for p in tmp_path.glob("*.u64")) == ["index-0000000004.u64"]
    reloaded = StreamIds.load(tmp_path, range(5))
    for store in (ids, again, reloaded):
        assert len(store) == 20
        assert store.claim("d3-2", "new") == "src-3-d3-2"
        assert store.claim("fresh", "new") is None
    _commit(reloaded, 5, ["e"])
    # batch 6 was written but never committed: its ids do not count
    reloaded.begin()
    reloaded.claim("uncommitted", "src")
    reloaded.write(6)
    last = StreamIds.load(tmp_path, range(6))
    assert len(last) == 21 and last.claim("e", "x") == "src-5-e" and last.claim("uncommitted", "y") is None


def test_ids_that_share_a_digest_are_told_apart(tmp_path, monkeypatch):
    monkeypatch.setattr(seen, "digest", lambda doc_id: 42)
    ids = StreamIds(tmp_path)
    _commit(ids, 0, ["one"])
    _commit(ids, 1, ["two"])
    ids.begin()
    assert ids.claim("three", "s") is None and ids.claim("two", "s") == "src-1-two"
    assert np.array_equal(StreamIds.load(tmp_path, [0, 1])._digests, [42, 42])
