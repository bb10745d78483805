"""`kpi stream` in process: planning and reading slices, exactly-once across runs, stdin, signals,
--move-done, the batch hook, `kpi status` and exit codes. The crash tests are in test_stream_crash.py.

The helpers at the top (a small generated corpus, reading a stream's or a batch run's tables as
multisets of rows) are shared with test_stream_crash.py.
"""

from __future__ import annotations

import io
import json
import os
import random
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import kpi.extractor.extract
from kpi.cli import cli
from kpi.io.readers import InputError, iter_inputs
from kpi.pipeline import run_extract
from kpi.stream.checkpoint import Checkpoint, batch_name
from kpi.stream.plan import Ledger
from kpi.stream.runner import BatchAbandoned, StreamOptions, run_stream
from kpi.stream.sources import Budget, Scanner, read_slice

TABLES = ("records", "quarantine", "dead_letter")
CITIES = ("福州市", "厦门市", "泉州市", "漳州市", "莆田市", "南平市")
TEMPLATES = (
    "{year}年，{city}地区生产总值增长{a}.{b}%，新增高新技术企业{n}家。",
    "今年{city}力争完成固定资产投资{n}亿元，城镇新增就业{a}.{b}万人。",
    "去年{city}粮食总产量达到{n}.{b}万吨，比上年增长{a}.{b}%。",
)


# --- shared helpers --------------------------------------------------------------------------------


def doc_text(i: int, rng: random.Random) -> str:
    """A short document with a couple of quantities."""
    template = TEMPLATES[i % len(TEMPLATES)]
    return template.format(
        year=2015 + i % 10, city=CITIES[i % len(CITIES)], a=rng.randint(1, 9), b=rng.randint(0, 9), n=100 + i
    )


def make_corpus(folder: Path, *, jsonl: int, txt: int, parquet: int, seed: int = 7) -> Path:
    """A folder of small generated documents in every input kind, with a few dead letters."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"id": f"j{i}", "text": doc_text(i, rng)}, ensure_ascii=False) for i in range(jsonl)]
    lines[3:3] = ["{not json", "", json.dumps({"id": "no-text"})]  # bad_json, a blank line, missing_text
    (folder / "feed.jsonl").write_text("\n".join(lines), encoding="utf-8")  # no final newline
    texts = folder / "texts"
    texts.mkdir(exist_ok=True)
    for i in range(txt):
        (texts / f"t{i:05d}.txt").write_text(doc_text(jsonl + i, rng), encoding="utf-8")
    (texts / "empty.txt").write_text("  \n", encoding="utf-8")
    (texts / "binary.txt").write_bytes(b"\x00\x01\x02 not text")
    rows = [
        {"id": f"p{i}", "text": doc_text(jsonl + txt + i, rng), "region": "福建省"} for i in range(parquet)
    ]
    rows.append({"id": "p-null", "text": None, "region": None})
    schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("region", pa.string())])
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), folder / "rows.parquet", row_group_size=37)
    return folder


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def rows_of(frame: pl.DataFrame) -> Counter:
    return Counter(tuple(_hashable(v) for v in row) for row in frame.rows())


def stream_tables(out: Path, sink: str = "parquet") -> dict[str, pl.DataFrame]:
    """The three tables of a stream folder, as a reader sees them."""
    if sink == "delta":
        from deltalake import DeltaTable

        return {t: pl.from_arrow(DeltaTable(str(out / t)).to_pyarrow_table()) for t in TABLES}  # type: ignore[misc]
    return {t: pl.read_parquet(sorted((out / t).glob("*.parquet"))) for t in TABLES}


def batch_tables(out: Path) -> dict[str, pl.DataFrame]:
    return {t: pl.read_parquet(out / f"{t}.parquet") for t in TABLES}


def assert_same_output(stream_out: Path, batch_out: Path, sink: str = "parquet") -> None:
    """Same multiset of rows over all columns, no duplicates, and counts that balance."""
    got, want = stream_tables(stream_out, sink), batch_tables(batch_out)
    for table in TABLES:
        assert got[table].columns == want[table].columns, table
        missing = rows_of(want[table]) - rows_of(got[table])
        extra = rows_of(got[table]) - rows_of(want[table])
        assert not missing and not extra, (
            f"{table}: {sum(missing.values())} lost, {sum(extra.values())} extra"
        )
    assert got["records"]["record_id"].is_unique().all()
    summary = json.loads((batch_out / "summary.json").read_text(encoding="utf-8"))
    cp = Checkpoint(stream_out)
    state = cp.read_state(max(cp.committed_batches()))
    for key in ("documents_in", "documents_processed", "dead_letters", "records", "quarantined"):
        assert state[key] == summary[key], key
    assert state["documents_in"] == state["documents_processed"] + state["dead_letters"]
    assert state["records"] == got["records"].height and state["dead_letters"] == got["dead_letter"].height


def batch_reference(corpus: Path, out: Path, *, validate: bool = False) -> Path:
    run_extract([corpus], out, validate=validate)
    return out


def no_validate(**kw: Any) -> StreamOptions:
    return StreamOptions(validate=False, **kw)


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus") / "in", jsonl=60, txt=25, parquet=80)


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory) -> Path:
    return batch_reference(corpus, tmp_path_factory.mktemp("batch") / "out")


# --- planning and reading ------------------------------------------------------------------------


def _scanner(source: Path, tmp_path: Path) -> Scanner:
    scanner = Scanner([str(source)], spool=tmp_path / "spool", exclude=[], ledger=Ledger())
    scanner.refresh()
    return scanner


def _items_in_slices(scanner: Scanner, budget_units: int, budget_bytes: int = 1 << 30) -> tuple[list, list]:
    """Plan the whole queue in batches, committing each; (items in order, slices per batch)."""
    items, batches = [], []
    while slices := scanner.plan(Budget(budget_units, budget_bytes)):
        batches.append(slices)
        items += [item for s in slices for item in read_slice(s, {}, 2_000_000)]
        scanner.ledger.apply(slices)
        scanner.advance(slices)
    return items, batches


@pytest.mark.parametrize("units", [1, 4, 7, 1000])
def test_jsonl_and_parquet_slices_read_like_batch_mode(corpus, tmp_path, units):
    for name in ("feed.jsonl", "rows.parquet"):
        items, batches = _items_in_slices(_scanner(corpus / name, tmp_path), units)
        assert items == list(iter_inputs([corpus / name]))  # same sources, line/row numbers, fallback ids
        assert all(sum(s.units for s in b) <= units for b in batches)
        assert batches[-1][-1].last and not any(s.last for b in batches[:-1] for s in b)


def test_the_byte_budget_cuts_batches(corpus, tmp_path):
    items, batches = _items_in_slices(_scanner(corpus / "feed.jsonl", tmp_path), 1000, budget_bytes=500)
    assert len(batches) > 5 and items == list(iter_inputs([corpus / "feed.jsonl"]))


def test_a_batch_mixes_files_up_to_the_budget(corpus, tmp_path):
    scanner = _scanner(corpus, tmp_path)
    first = scanner.plan(Budget(70, 1 << 30))
    assert [s.file.kind for s in first] == ["jsonl", "parquet"] and sum(s.units for s in first) == 70
    assert first[0].last and not first[1].last and first[1].start == 0


# --- whole runs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sink", ["parquet", "delta"])
def test_stream_equals_one_batch_run(corpus, reference, tmp_path, sink):
    out = tmp_path / "out"
    result = run_stream([corpus], out, no_validate(sink=sink, max_batch_docs=40))
    assert result.exit_code == 0 and result.batches == len(Checkpoint(out).committed_batches()) > 4
    assert_same_output(out, reference, sink)
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    paths = {r["name"]: r["path"] for r in package["resources"]}
    if sink == "parquet":
        assert paths["records"] == [f"records/part-{batch_name(k)}.parquet" for k in range(result.batches)]
    else:
        assert paths["records"] == "records/"


def test_a_second_run_reads_nothing_again(corpus, tmp_path):
    out = tmp_path / "out"
    run_stream([corpus], out, no_validate(max_batch_docs=50))
    parts = sorted((out / "records").iterdir())
    again = run_stream([corpus], out, no_validate(max_batch_docs=50))
    assert again.batches == 0 and again.run.documents_in == 0 and sorted((out / "records").iterdir()) == parts
    assert again.totals.documents_in == 60 + 2 + 25 + 2 + 81  # lines but the blank one, files, rows


def test_touched_or_copied_back_files_are_not_read_twice_but_new_content_is(tmp_path):
    drop = make_corpus(tmp_path / "in", jsonl=5, txt=3, parquet=0)
    out = tmp_path / "out"
    run_stream([drop], out, no_validate())
    first = tmp_path / "in" / "texts" / "t00000.txt"
    os.utime(first, ns=(1, 1))  # same content, new mtime: recognised by its hash
    (drop / "texts" / "copy").mkdir()
    (drop / "texts" / "t00001.txt").rename(drop / "texts" / "copy" / "t00001.txt")  # moved: another path
    (drop / "texts" / "t00002.txt").write_text("明年力争新增高新技术企业200家。", encoding="utf-8")
    again = run_stream([drop], out, no_validate())
    assert again.run.documents_in == 2  # the moved file (a new path) and the changed one
    # the changed file is read again, but its id was taken by the first version (as in batch mode)
    dead = stream_tables(out)["dead_letter"].filter(pl.col("reason_code") == "duplicate_id")
    assert dead["doc_id"].to_list() == ["texts/t00002"]
    assert dead["detail"][0] == f"the id 'texts/t00002' was already taken by {drop / 'texts' / 't00002.txt'}"
    assert stream_tables(out)["records"].filter(pl.col("value") == 200.0).is_empty()


def test_follow_picks_up_files_renamed_into_place_and_stops_on_sigterm(tmp_path, monkeypatch):
    drop, out = tmp_path / "drop", tmp_path / "out"
    drop.mkdir()
    (drop / "a.txt").write_text(doc_text(1, random.Random(1)), encoding="utf-8")
    calls = []

    def extract(text, **kw):  # the second document arrives while the first is extracted; then stop
        calls.append(kw["doc_id"])
        if len(calls) == 1:
            (drop / ".b.txt.part").write_text(doc_text(2, random.Random(2)), encoding="utf-8")
            (drop / ".b.txt.part").rename(drop / "b.txt")
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return real(text, **kw)

    real = kpi.extractor.extract.extract
    monkeypatch.setattr(kpi.extractor.extract, "extract", extract)
    result = run_stream([drop], out, no_validate(follow=True, trigger_interval=0.05, handle_signals=True))
    assert calls == ["a", "b"] and result.stopped_by == "SIGTERM" and result.exit_code == 0
    assert result.batches == 2 and set(stream_tables(out)["records"]["doc_id"]) == {"a", "b"}


def test_sigterm_commits_the_current_batch_and_a_second_one_abandons_it(
    corpus, reference, tmp_path, monkeypatch
):
    out, real, calls = tmp_path / "out", kpi.extractor.extract.extract, []

    def extract(text, **kw):
        calls.append(1)
        if len(calls) in (25, 75, 76):  # batch 0 stops the run; later, two signals in one batch
            os.kill(os.getpid(), signal.SIGTERM)
        return real(text, **kw)

    monkeypatch.setattr(kpi.extractor.extract, "extract", extract)
    options = no_validate(max_batch_docs=40, handle_signals=True)
    first = run_stream([corpus], out, options)
    assert first.stopped_by == "SIGTERM" and first.batches == 1 and Checkpoint(out).planned_batches() == [0]
    handler = signal.getsignal(signal.SIGTERM)
    with pytest.raises(BatchAbandoned):
        run_stream([corpus], out, options)
    cp = Checkpoint(out)
    abandoned = cp.planned_batches()[-1]
    assert abandoned not in cp.committed_batches() and abandoned > 0
    assert not list((out / "records").glob(".*"))  # its temporary files are gone
    assert signal.getsignal(signal.SIGTERM) is handler  # handlers restored
    last = run_stream([corpus], out, options)
    assert last.replayed == abandoned
    assert_same_output(out, reference)


def test_stdin_is_spooled_numbered_across_runs_and_deleted_once_committed(tmp_path, monkeypatch):
    rng = random.Random(3)
    lines = [json.dumps({"text": doc_text(i, rng)}, ensure_ascii=False) for i in range(30)]
    out = tmp_path / "out"
    head, tail = "\n".join(lines[:20]) + "\n", "\n".join(lines[20:])  # no newline at the very end
    run_stream(["-"], out, no_validate(max_batch_docs=7), stdin=io.BytesIO(head.encode()))
    run_stream(["-"], out, no_validate(max_batch_docs=7), stdin=io.BytesIO(tail.encode()))
    assert not list((out / "_checkpoint" / "spool").iterdir())
    reference = tmp_path / "batch"
    run_extract(["-"], reference, validate=False, stdin=io.BytesIO((head + tail).encode()))
    assert_same_output(out, reference)
    assert set(stream_tables(out)["records"]["doc_id"]) == {f"stdin:{i}" for i in range(1, 31)}


def test_move_done_moves_committed_inputs(tmp_path):
    drop = make_corpus(tmp_path / "in", jsonl=5, txt=4, parquet=3)
    done = tmp_path / "done"
    result = run_stream([drop], tmp_path / "out", no_validate(move_done=done, max_batch_docs=3))
    assert result.exit_code == 0
    assert not [p for p in drop.rglob("*") if p.is_file()]
    assert sorted(p.name for p in done.iterdir()) == sorted(
        ["feed.jsonl", "rows.parquet", "empty.txt", "binary.txt", *(f"t{i:05d}.txt" for i in range(4))]
    )


def test_the_hook_sees_each_batch_before_its_commit(corpus, tmp_path):
    seen: list[tuple[int, int, bool]] = []

    class Hook:
        def on_batch(self, batch: int, records: pl.DataFrame, state_dir: Path) -> None:
            committed = (state_dir.parent / "commits" / batch_name(batch)).exists()
            seen.append((batch, records.height, committed))
            (state_dir / f"hook-{batch_name(batch)}.txt").write_text(str(records.height))

    out = tmp_path / "out"
    run_stream([corpus], out, no_validate(max_batch_docs=100), hook=Hook())
    parts = [pl.read_parquet(p).height for p in sorted((out / "records").glob("*.parquet"))]
    assert seen == [(k, n, False) for k, n in enumerate(parts)]


# --- the command line ----------------------------------------------------------------------------


def invoke(*args: Any, stdin: str | None = None):
    result = CliRunner().invoke(cli, [str(a) for a in args], input=stdin)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_cli_stream_and_status(corpus, reference, tmp_path):
    out = tmp_path / "out"
    result = invoke("stream", corpus, "--out", out, "--no-validate", "--max-batch-docs", "60")
    assert result.exit_code == 0, result.stderr
    documents = json.loads((reference / "summary.json").read_text())["documents_in"]
    assert (
        f"documents in      {documents}" in result.stdout and "batches           3 (last 2)" in result.stdout
    )
    assert "batch 0000000002" in result.stderr  # progress lines
    assert_same_output(out, reference)
    status = invoke("status", out)
    assert status.exit_code == 0
    assert "last committed    batch 0000000002" in status.stdout and "uncommitted       none" in status.stdout
    assert "pending inputs    0 files" in status.stdout and "records           " in status.stdout
    as_json = json.loads(invoke("status", out, "--json").stdout)
    assert as_json["last_committed_batch"] == 2 and as_json["totals"]["documents_in"] == documents
    (corpus.parent / "late.txt").write_text("x", encoding="utf-8")  # outside the source: not pending
    assert json.loads(invoke("status", out, "--json").stdout)["pending"]["files"] == 0


def test_status_counts_pending_inputs(tmp_path):
    drop = make_corpus(tmp_path / "in", jsonl=3, txt=2, parquet=0)
    out = tmp_path / "out"
    run_stream([drop], out, no_validate())
    (drop / "new.txt").write_text("今年新增企业10家。", encoding="utf-8")
    status = json.loads(invoke("status", out, "--json").stdout)
    assert status["pending"]["files"] == 1 and status["running_pid"] is None


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "no such file or folder"),
        ("empty", "no inputs found"),
        ("no-text-column", "has no `text` column"),
        ("other-sink", "holds a parquet stream"),
        ("locked", "already running"),
    ],
)
def test_unusable_invocations_exit_2(tmp_path, setup, message):
    source, out = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    args = ["stream", source, "--out", out, "--no-validate"]
    if setup == "missing":
        args[1] = tmp_path / "nope"
    if setup == "no-text-column":
        pq.write_table(pa.table({"body": ["x"]}), source / "a.parquet")
    if setup in ("other-sink", "locked"):
        (source / "a.txt").write_text("今年新增企业10家。", encoding="utf-8")
        run_stream([source], out, no_validate())
        args += ["--sink", "delta"] if setup == "other-sink" else []
    held = Checkpoint.open(out, sink="parquet") if setup == "locked" else None
    try:
        result = invoke(*args)
    finally:
        if held is not None:
            held.close()
    assert result.exit_code == 2 and message in result.stderr and result.stderr.count("\n") == 1


def test_status_of_a_folder_without_checkpoint_exits_2(tmp_path):
    result = invoke("status", tmp_path)
    assert result.exit_code == 2 and "no stream checkpoint" in result.stderr


def test_checkpoint_refuses_two_uncommitted_batches(tmp_path):
    cp = Checkpoint.open(tmp_path, sink="parquet")
    cp.write_plan(0, [])
    cp.write_plan(1, [])
    with pytest.raises(InputError, match="only the newest may"):
        cp.recover()
    cp.close()


def test_a_spool_cut_short_by_a_kill_keeps_its_whole_lines(tmp_path):
    rng = random.Random(5)
    lines = [json.dumps({"text": doc_text(i, rng)}, ensure_ascii=False) for i in range(5)]
    spool = tmp_path / "out" / "_checkpoint" / "spool"
    spool.mkdir(parents=True)
    (spool / ".stdin-000000000001.jsonl.tmp").write_text("\n".join(lines[:3]) + "\n" + lines[3][:9])
    run_stream(["-"], tmp_path / "out", no_validate(), stdin=io.BytesIO(lines[4].encode()))
    reference = tmp_path / "batch"  # the cut line is lost; the new input goes on from line 4
    run_extract(
        ["-"], reference, validate=False, stdin=io.BytesIO("\n".join([*lines[:3], lines[4]]).encode())
    )
    assert_same_output(tmp_path / "out", reference)
    assert sorted(set(stream_tables(tmp_path / "out")["records"]["doc_id"])) == [
        f"stdin:{i}" for i in range(1, 5)
    ]
