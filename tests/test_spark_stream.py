"""`kpi spark stream`: SIGKILLed three times while a micro-batch is in flight, restarted, and still every
record exactly once in `DIR/records/*.parquet` as a plain Parquet reader sees it.

The stream runs as `python -m kpi spark stream` in its own process group; a kill takes the driver, the
JVM and the Python workers at once. The kills land (1) while batch 0 extracts, (2) right after a batch
published its records file but not the other two, (3) right after a batch wrote everything, when Spark
has not necessarily committed it. The expected tables come from `kpi extract` on the same folder.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from spark_session import SPARK_MASTER, needs_spark, short_documents

from kpi.pipeline import run_extract
from kpi.record import OUTPUT_SCHEMAS

PART = re.compile(r"part-\d{10}\.parquet")
WAIT = 240  # seconds for any one step; a loaded CI box starts Spark slowly


def _rows(table: pa.Table, schema: pa.Schema) -> Counter[str]:
    loose = pa.schema([f.with_nullable(True) for f in schema])
    rows = table.select(schema.names).cast(loose).to_pylist()
    return Counter(json.dumps(r, sort_keys=True, ensure_ascii=False, default=repr) for r in rows)


def _inputs(folder: Path) -> list[Path]:
    """12 files: JSON lines (one with broken lines), a Parquet file, text files (one undecodable)."""
    folder.mkdir()
    docs = list(short_documents(300, seed=21, prefix="s"))
    files = []
    for i in range(8):
        path = folder / f"docs-{i:02d}.jsonl"
        lines = [json.dumps(d, ensure_ascii=False) for d in docs[i * 30 : (i + 1) * 30]]
        if i == 3:
            lines[5:5] = ["{broken", json.dumps({"id": "s-empty", "text": " "})]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files.append(path)
    pq.write_table(pa.Table.from_pylist(docs[240:290]), folder / "docs-08.parquet")
    files.append(folder / "docs-08.parquet")
    for d in docs[290:292]:
        files.append(folder / f"{d['id']}.txt")
        files[-1].write_text(str(d["text"]), encoding="utf-8")
    files.append(folder / "noise.txt")
    files[-1].write_bytes(b"\x00\xff" * 50)
    return files


def _drop(files: list[Path], source: Path) -> None:
    """Move complete files into the watched folder (a rename is atomic)."""
    for path in files:
        os.replace(path, source / path.name)


class Stream:
    """One `python -m kpi spark stream` process in its own process group, stderr to a file."""

    def __init__(self, source: Path, out: Path, log: Path, *extra: str) -> None:
        self.log = log
        command = [sys.executable, "-m", "kpi", "spark", "stream", str(source), "--out", str(out)]
        command += ["--master", SPARK_MASTER, "--max-files-per-trigger", "6", "--trigger-interval", "0.5"]
        with log.open("ab") as err:
            self.proc = subprocess.Popen(
                [*command, *extra], stdout=subprocess.PIPE, stderr=err, start_new_session=True
            )

    def wait_for(self, pattern: str, after: int = 0) -> int:
        """Wait until stderr (from byte `after`) matches `pattern`; returns the end of the match."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            text = self.log.read_bytes()
            if match := re.compile(pattern.encode()).search(text, after):
                return match.end()
            if self.proc.poll() is not None:
                pytest.fail(
                    f"the stream ended (rc {self.proc.returncode}) before {pattern!r}:\n{text.decode()}"
                )
            time.sleep(0.02)
        pytest.fail(f"no {pattern!r} within {WAIT} s:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL the whole process group (driver, JVM, Python workers) and wait until it is gone."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        deadline = time.monotonic() + 30
        while (alive := _running_in_group(self.proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive, f"processes of the killed stream still run: {alive}"


def _running_in_group(pgid: int) -> list[int]:
    """Processes of process group `pgid` that are not zombies (an orphaned JVM waits to be reaped)."""
    running = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            running.append(int(stat.parent.name))
    return running


@needs_spark
def test_stream_killed_three_times_loses_and_duplicates_nothing(tmp_path: Path):
    source, out, log = tmp_path / "src", tmp_path / "out", tmp_path / "stream.log"
    source.mkdir()
    files = _inputs(tmp_path / "incoming")
    _drop(files[:6], source)

    first = Stream(source, out, log)  # 1: killed while batch 0 extracts
    mark = first.wait_for(r"batch 0: started")
    time.sleep(1.0)
    first.kill()
    assert "batch 0: done" not in log.read_text()

    _drop(files[6:9], source)
    second = Stream(source, out, log)  # 2: killed between two tables of a batch
    mark = second.wait_for(r"batch \d+: records written", mark)
    second.kill()

    _drop(files[9:], source)
    third = Stream(source, out, log)  # 3: killed once a batch wrote everything, maybe before Spark's commit
    mark = third.wait_for(r"batch \d+: done", mark)
    third.kill()

    last = Stream(source, out, log, "--available-now")
    stdout, _ = last.proc.communicate(timeout=WAIT)
    assert last.proc.returncode == 0, log.read_text()[-3000:]
    assert "documents in" in stdout.decode()

    expected = tmp_path / "expected"
    run_extract([source], expected)
    for name, schema in OUTPUT_SCHEMAS.items():
        names = sorted(p.name for p in (out / name).iterdir())
        assert names and all(PART.fullmatch(n) for n in names), names  # no temporary or empty leftovers
        got = pq.read_table(sorted((out / name).glob("*.parquet")))  # a plain glob, no Spark metadata
        assert _rows(got, schema) == _rows(pq.read_table(expected / f"{name}.parquet"), schema), name
    records = pq.read_table(out / "records").column("record_id").to_pylist()
    assert len(records) == len(set(records)) > 500
    assert pq.read_table(out / "dead_letter").num_rows == 3


def test_a_file_the_batch_job_refuses_is_one_dead_letter(tmp_path: Path):
    from kpi.spark.stream import _items, _local_path

    pq.write_table(pa.table({"body": ["x"]}), tmp_path / "no-text.parquet")
    (tmp_path / "ok.txt").write_text("全年新增就业1322万人。", encoding="utf-8")
    items = list(_items([tmp_path / "no-text.parquet", tmp_path / "gone.txt", tmp_path / "ok.txt"], 1000))
    assert [getattr(i, "reason_code", "document") for i in items] == [
        "missing_text",
        "unreadable",
        "document",
    ]
    assert items[0].source == str(tmp_path / "no-text.parquet") and "text" in items[0].detail
    assert _local_path("file:/tmp/a%20b/c.jsonl") == Path("/tmp/a b/c.jsonl")


def _feed(path: Path, ids: list[str]) -> None:
    lines = (
        json.dumps({"id": i, "text": f"{2019 + n}年全年新增就业{1300 + n}万人。"}) for n, i in enumerate(ids)
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_an_id_another_file_or_an_earlier_batch_took_is_a_duplicate(tmp_path: Path):
    from kpi.spark.stream import _claimed, _items
    from kpi.stream.seen import StreamIds

    _feed(tmp_path / "a.jsonl", ["x", "y"])
    _feed(tmp_path / "b.jsonl", ["z", "x"])
    (tmp_path / "c.txt").write_text("全年新增就业1322万人。", encoding="utf-8")
    _feed(tmp_path / "d.jsonl", ["c", "z"])
    ids = StreamIds(tmp_path / "ids")
    (tmp_path / "ids").mkdir()
    ids.begin()
    first = list(_claimed(_items([tmp_path / "a.jsonl", tmp_path / "b.jsonl"], 1000), ids, 1000))
    assert [(i.doc_id, getattr(i, "detail", "")) for i in first][-1] == (
        "x",
        f"the id 'x' was already taken by {tmp_path / 'a.jsonl'}:1",
    )
    ids.write(0)
    ids.fold(0)
    later = StreamIds.load(tmp_path / "ids", range(1))  # batch 1 after a restart
    later.begin()
    items = list(_claimed(_items([tmp_path / "c.txt", tmp_path / "d.jsonl"], 1000), later, 1000))
    assert [getattr(i, "reason_code", "document") for i in items] == [
        "document",
        "duplicate_id",
        "duplicate_id",
    ]
    assert items[1].detail == f"the id 'c' was already taken by {tmp_path / 'c.txt'}"
    assert items[2].detail == f"the id 'z' was already taken by {tmp_path / 'b.jsonl'}:1"
    assert json.loads(items[2].raw) == {
        "id": "z",
        "text": "2020年全年新增就业1301万人。",
        "published": None,
        "region": None,
    }
