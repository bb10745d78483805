"""Benchmark: validate generated records with the shipped suite (not a timed test).

    .venv/bin/python benchmarks/bench_validation.py                 # 100k and 1M rows, median of 3
    .venv/bin/python benchmarks/bench_validation.py --rows 10000 --repeat 1

Each size runs in its own subprocess, so its peak RSS is its own. Timed: `validate_records(df)`
end to end — polars -> pandas conversion, GX (COMPLETE result format, every failing row's index), and
the split into passed and quarantined rows; wall and CPU time (the box is shared, so the load average
is printed too). Reported apart: the import of Great Expectations plus loading the suite and the
context (paid once per process), and the generation of the records (not timed).
About 1% of the generated rows are broken on purpose, in ways the suite must catch.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import date

import numpy as np
import polars as pl

# (unit, dimension, counter, low, high, whole)
POOL = (
    ("CNY", "money", None, 1e4, 1e12, False),
    ("USD", "money", None, 1e3, 1e10, False),
    ("percent", "percent", None, -30.0, 200.0, False),
    ("pp", "pp", None, -5.0, 5.0, False),
    ("count", "count", "家", 1, 5000, True),
    ("person", "person", "人", 1, 1e6, True),
    ("person_time", "person", "人次", 1, 1e7, True),
    ("t", "physical", None, 1, 1e8, False),
    ("year", "time", None, 1, 30, True),
)
BAD_KINDS = ("unit_in_set", "record_id_unique", "count_value_non_negative", "target_year_in_horizon")


def make_records(n: int, *, seed: int = 7, bad_fraction: float = 0.01) -> pl.DataFrame:
    """n records with RECORD_SCHEMA; about `bad_fraction` of them broken (one of BAD_KINDS each)."""
    from kpi.record import COLUMNS, RECORD_SCHEMA, polars_schema

    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(POOL), n)
    pool = pl.DataFrame(
        [dict(zip(("unit", "dimension", "counter", "low", "high", "whole"), p, strict=True)) for p in POOL]
    ).with_row_index("pick")
    low, high = pool["low"].to_numpy()[pick], pool["high"].to_numpy()[pick]
    value = low + (high - low) * rng.random(n)
    value = np.where(pool["whole"].to_numpy()[pick], np.floor(value), np.round(value, 2))
    between = rng.random(n) < 0.05
    value_max = np.where(between, value + np.where(pool["whole"].to_numpy()[pick], 1.0, 0.5), np.nan)
    published_year = rng.integers(2015, 2025, n)
    kind_target = rng.random(n) < 0.6
    period_year = np.where(
        kind_target, published_year + rng.integers(0, 6, n), published_year - rng.integers(0, 2, n)
    )
    doc = np.arange(n) // 20
    start = (np.arange(n) % 20) * 64
    df = pl.DataFrame(
        {
            "record_id": [f"{x:016x}" for x in rng.permutation(n) * 2654435761 + 12345],
            "doc_id": pl.Series(doc).cast(pl.String).str.pad_start(8, "0"),
            "published": pl.Series([date(int(y), 6, 1) for y in range(2015, 2025)])[published_year - 2015],
            "region": pl.Series(rng.choice(["北京市", "上海市", "香港特别行政区", None], n)),
            "value": value,
            "value_max": pl.Series(value_max).fill_nan(None),
            "span_start": start,
            "comparator": np.where(
                between, "between", np.array(["=", ">=", ">", "~"])[rng.integers(0, 4, n)]
            ),
            "kind": np.where(kind_target, "target", "actual"),
            "period_year": pl.Series(period_year).cast(pl.Int32),
            "pick": pick,
        }
    ).join(
        pool.select("pick", "unit", "dimension", "counter").cast({"pick": pl.Int64}), on="pick", how="left"
    )
    df = df.with_columns(
        mention=pl.col("value").cast(pl.Int64).cast(pl.String) + pl.coalesce("counter", "unit"),
        indicator=pl.lit("高新技术企业"),
        indicator_id=pl.lit(None, dtype=pl.String),
    ).with_columns(
        sentence="今年力争认定" + pl.col("indicator") + pl.col("mention") + "。",
        span_end=pl.col("span_start") + pl.col("mention").str.len_chars().cast(pl.Int64),
    )
    df = _break_rows(df, rng, bad_fraction)
    return df.select(COLUMNS).cast(dict(polars_schema(RECORD_SCHEMA)))


def _break_rows(df: pl.DataFrame, rng: np.random.Generator, bad_fraction: float) -> pl.DataFrame:
    n = df.height
    bad = rng.choice(n, int(n * bad_fraction), replace=False)
    groups = np.array_split(bad, len(BAD_KINDS))
    ids = df["record_id"].to_numpy().copy()
    if len(groups[1]) > 1:
        ids[groups[1]] = ids[groups[1][0]]  # one record_id repeated
    idx = pl.Series(np.arange(n))
    return df.with_columns(
        record_id=pl.Series(ids),
        unit=pl.when(idx.is_in(groups[0])).then(pl.lit("furlong")).otherwise("unit"),
        value=pl.when(idx.is_in(groups[2])).then(-5.0).otherwise("value"),
        value_max=pl.when(idx.is_in(groups[2])).then(None).otherwise("value_max"),
        comparator=pl.when(idx.is_in(groups[2])).then(pl.lit("=")).otherwise("comparator"),
        dimension=pl.when(idx.is_in(groups[2])).then(pl.lit("count")).otherwise("dimension"),
        kind=pl.when(idx.is_in(groups[3])).then(pl.lit("target")).otherwise("kind"),
        period_year=pl.when(idx.is_in(groups[3])).then(pl.lit(2013, pl.Int32)).otherwise("period_year"),
    ).with_columns(
        # keep the negative-count rows consistent in everything but the sign
        unit=pl.when(idx.is_in(groups[2])).then(pl.lit("count")).otherwise("unit"),
        counter=pl.when(idx.is_in(groups[2])).then(pl.lit("家")).otherwise("counter"),
    )


def run_one(rows: int, repeat: int) -> dict:
    t0 = time.perf_counter()
    from kpi.validation import default_suite_path, validate_records
    from kpi.validation.gx import _context, import_gx, load_suite

    import_gx()
    load_suite(default_suite_path())
    _context()
    startup = time.perf_counter() - t0
    t0 = time.perf_counter()
    df = make_records(rows)
    generate = time.perf_counter() - t0
    validate_records(df.head(100))  # first run pays GX's lazily imported modules; counted as startup
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    times, cpu, outcome = [], [], None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        outcome = validate_records(df)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    assert outcome is not None
    assert outcome.passed.height + outcome.quarantine.height == rows
    counts: dict[str, int] = {}
    for names in outcome.quarantine["failed_expectations"].to_list():
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    return {
        "rows": rows,
        "startup_s": round(startup, 2),
        "generate_s": round(generate, 2),
        "validate_s": [round(t, 3) for t in times],
        "median_s": round(statistics.median(times), 3),
        "cpu_median_s": round(statistics.median(cpu), 3),  # less sensitive to other load on the box
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "rows_per_s": int(rows / statistics.median(times)),
        "passed": outcome.passed.height,
        "quarantined": outcome.quarantine.height,
        "failed_by_name": dict(sorted(counts.items())),
        "errors": outcome.errors,
        "rss_before_validation_mb": rss_before,  # GX, the generated frame, the generator's leftovers
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.rows[0], args.repeat)))
        return
    for rows in args.rows:
        cmd = [sys.executable, __file__, "--child", "--rows", str(rows), "--repeat", str(args.repeat)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
