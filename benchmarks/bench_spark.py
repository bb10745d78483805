"""Spark (`local[2]`) against the embedded engine on one core: documents per second of extraction.

    .venv/bin/python benchmarks/bench_spark.py                       # 100,000 documents
    .venv/bin/python benchmarks/bench_spark.py --docs 20000 --json out.json

The documents are short and realistic (3-8 sentences of the seeds and the shared corpora with fresh
digits, as the Spark tests generate them), written once to Parquet. Then:

* embedded: `kpi.frame.extract_frame` over all of them in a child process pinned to one CPU;
* Spark: session start-up, a first batch of 2,000 documents (the Python workers start, import kpi
  and build the vocabulary), then the whole set through the path `kpi spark extract` takes
  (kpi.spark.batch.extract_staged: read, spread by doc_id, mapInArrow, cache) — each timed apart;
* the records of both are compared, all columns, as multisets; the run fails when they differ.

Validation is left out on both sides (its cost is in docs/validation.md and docs/spark.md). Not a
timed test: run it by hand; the machine should be otherwise idle.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
FIRST_BATCH = 2_000


def _generate(folder: Path, docs: int) -> tuple[Path, Path, int, int]:
    from spark_session import short_documents  # the tests' generator

    rows = list(short_documents(docs, seed=2026, prefix="bench"))
    table = pa.Table.from_pylist(rows)
    everything, first = folder / "docs.parquet", folder / "first.parquet"
    pq.write_table(table, everything, row_group_size=5_000)
    pq.write_table(table.slice(0, FIRST_BATCH), first)
    chars = [len(r["text"] or "") for r in rows]
    return everything, first, sum(chars), sum(chars[:FIRST_BATCH])


def embedded(docs: Path, out: Path) -> dict[str, float]:
    """Extract on one CPU (this process pins itself); records to `out`."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    import polars as pl

    from kpi.frame import extract_frame

    started = time.perf_counter()
    frame = pl.read_parquet(docs)
    records = extract_frame(frame)
    seconds = time.perf_counter() - started
    records.write_parquet(out)
    return {"seconds": seconds, "documents": frame.height, "records": records.height}


def _embedded_in_child(docs: Path, out: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--embedded", str(docs), str(out)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def spark_run(
    docs: Path, first: Path, out: Path, master: str, chars: int, first_chars: int
) -> dict[str, float]:
    from kpi.spark.batch import extract_staged
    from kpi.spark.session import spark_session

    started = time.perf_counter()
    spark = spark_session(master)
    timings = {"session_seconds": time.perf_counter() - started}

    started = time.perf_counter()
    result = extract_staged(spark, first, documents=FIRST_BATCH, chars=first_chars, validate=False)
    result.release()
    timings["first_batch_seconds"] = time.perf_counter() - started

    n = pq.read_metadata(docs).num_rows
    started = time.perf_counter()
    result = extract_staged(spark, docs, documents=n, chars=chars, validate=False)
    timings["warm_seconds"] = time.perf_counter() - started
    result.passed.write.parquet(out.as_uri())
    result.release()
    spark.stop()
    return timings


def _rows(table: pa.Table) -> Counter[str]:
    from kpi.record import RECORD_SCHEMA

    loose = pa.schema([f.with_nullable(True) for f in RECORD_SCHEMA])
    rows = table.select(RECORD_SCHEMA.names).cast(loose).to_pylist()
    return Counter(json.dumps(r, sort_keys=True, ensure_ascii=False, default=repr) for r in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument("--embedded", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.embedded:
        print(json.dumps(embedded(*args.embedded)))
        return 0

    with tempfile.TemporaryDirectory(prefix="kpi-bench-spark-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        docs, first, chars, first_chars = _generate(folder, args.docs)
        print(
            f"generated {args.docs:,} documents ({chars:,} characters) in {time.perf_counter() - started:.1f} s"
        )
        one = _embedded_in_child(docs, folder / "embedded.parquet")
        print(f"embedded, 1 core : {one['seconds']:.1f} s, {one['records']:,} records")
        spark = spark_run(docs, first, folder / "spark", args.master, chars, first_chars)
        same = _rows(pq.read_table(folder / "spark")) == _rows(pq.read_table(folder / "embedded.parquet"))
    load = os.getloadavg()
    numbers = {
        "documents": args.docs,
        "characters": chars,
        "records": one["records"],
        "records_equal": same,
        "embedded_one_core_seconds": round(one["seconds"], 2),
        "embedded_docs_per_second": round(args.docs / one["seconds"], 1),
        "spark_master": args.master,
        "spark_session_seconds": round(spark["session_seconds"], 2),
        "spark_first_batch_seconds": round(spark["first_batch_seconds"], 2),
        "spark_first_batch_documents": FIRST_BATCH,
        "spark_warm_seconds": round(spark["warm_seconds"], 2),
        "spark_warm_docs_per_second": round(args.docs / spark["warm_seconds"], 1),
        "speedup_warm": round(one["seconds"] / spark["warm_seconds"], 2),
        "load_average_after": [round(x, 2) for x in load],
        "cpus": os.cpu_count(),
    }
    print(json.dumps(numbers, indent=2))
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=2) + "\n", encoding="utf-8")
    if not same:
        print("RECORDS DIFFER between Spark and the embedded engine", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
