"""Benchmark: `kpi extract --workers N` against `--workers 1` (not a timed test).

    .venv/bin/python benchmarks/bench_parallel.py                      # ~3.5 M characters, N = 1 and 2
    .venv/bin/python benchmarks/bench_parallel.py --workers 1,2,4 --repeat 5 --mb 10
    .venv/bin/python benchmarks/bench_parallel.py --corpus corpus.jsonl --validate --json out.json

Runs `python -m kpi extract CORPUS --out DIR --quiet --workers N` (without validation unless
--validate) in a subprocess, `--repeat` times for each N, alternating the values of N so a load that
comes and goes falls on all of them. While a run goes, the process tree (kpi, its forkserver and
its workers) is sampled every 50 ms from /proc: peak memory is the largest sum of the tree's resident
sets, CPU the sum of the last CPU time seen of every process in it (Linux; elsewhere the peak RSS and
CPU of the children from getrusage).

Prints, for each N: the best and median wall time, characters per second (wall), characters per
second per core (wall x N), characters per CPU second of the tree, the speed-up against N = 1 (best
wall times), the parallel efficiency (speed-up / N), peak tree memory, and whether the three tables
are identical to N = 1's (all columns, same order). The load average before and after says how much
other work shared the machine: on a loaded machine the wall ratio understates the speed-up.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_corpus import corpus_parser, ensure_corpus

TABLES = ("records", "quarantine", "dead_letter")
SAMPLE_EVERY = 0.05  # seconds; sampling more often costs the measured run CPU
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(_children(p))
    return found


def _cpu_and_rss(pid: int) -> tuple[float, int] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        rss_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS, rss_pages * PAGE


def run_once(corpus: Path, workers: int, validate: bool) -> dict[str, Any]:
    out = Path(tempfile.mkdtemp(prefix=f"kpi-bench-w{workers}-"))
    cmd = [sys.executable, "-m", "kpi", "extract", str(corpus), "--out", str(out), "--quiet"]
    cmd += ["--workers", str(workers)] + ([] if validate else ["--no-validate"])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    cpu: dict[int, float] = {}
    peak_rss = 0
    procfs = Path("/proc/self/stat").exists()
    while proc.poll() is None:
        if procfs:
            rss = 0
            for pid in _tree(proc.pid):
                seen = _cpu_and_rss(pid)
                if seen is not None:
                    cpu[pid] = max(cpu.get(pid, 0.0), seen[0])
                    rss += seen[1]
            peak_rss = max(peak_rss, rss)
        time.sleep(SAMPLE_EVERY)
    wall = time.perf_counter() - started
    stderr = proc.stderr.read() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"kpi extract --workers {workers} failed ({proc.returncode}):\n{stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    usage_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {
        "workers": workers,
        "wall_seconds": wall,
        # sampling misses the last few ms of each process; getrusage misses the forkserver's workers
        "cpu_seconds": max(sum(cpu.values()), usage_cpu),
        "peak_tree_rss_mb": (peak_rss or after.ru_maxrss * 1024) / 2**20,
        "records": summary["records"],
        "characters": summary.get("chars") or None,
        "out": str(out),
    }


def same_tables(a: Path, b: Path) -> bool:
    import polars as pl

    for table in TABLES:
        left, right = pl.read_parquet(a / f"{table}.parquet"), pl.read_parquet(b / f"{table}.parquet")
        if not left.equals(right, null_equal=True):
            return False
    return True


def corpus_chars(path: Path) -> int:
    with path.open(encoding="utf-8") as f:
        return sum(len(json.loads(line)["text"]) for line in f if line.strip())


def main(argv: list[str] | None = None) -> int:
    ap = corpus_parser(__doc__.split("\n\n")[0], mb=3.4)
    ap.add_argument("--workers", default="1,2", help="comma-separated values of N (default 1,2)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per N (default 3)")
    ap.add_argument("--validate", action="store_true", help="validate too (default: --no-validate)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = ap.parse_args(argv)

    corpus = ensure_corpus(args.corpus, mb=args.mb, seed=args.seed)
    chars = corpus_chars(corpus)
    counts = sorted({int(n) for n in args.workers.split(",")})
    if 1 not in counts:
        counts.insert(0, 1)
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    runs: dict[int, list[dict[str, Any]]] = {n: [] for n in counts}
    for _ in range(args.repeat):
        for n in counts:
            runs[n].append(run_once(corpus, n, args.validate))
    load_after = os.getloadavg() if hasattr(os, "getloadavg") else None

    base = min(r["wall_seconds"] for r in runs[1])
    reference = Path(runs[1][0]["out"])
    rows = []
    for n in counts:
        best = min(runs[n], key=lambda r: r["wall_seconds"])
        speedup = base / best["wall_seconds"]
        rows.append(
            {
                "workers": n,
                "best_wall_seconds": best["wall_seconds"],
                "median_wall_seconds": statistics.median(r["wall_seconds"] for r in runs[n]),
                "chars_per_second": chars / best["wall_seconds"],
                "chars_per_second_per_core": chars / best["wall_seconds"] / n,
                "chars_per_cpu_second": chars / best["cpu_seconds"],
                "cpu_seconds": best["cpu_seconds"],
                "speedup": speedup,
                "efficiency": speedup / n,
                "peak_tree_rss_mb": max(r["peak_tree_rss_mb"] for r in runs[n]),
                "identical_to_one_worker": all(same_tables(reference, Path(r["out"])) for r in runs[n]),
                "records": best["records"],
            }
        )
    load = (
        f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
        if load_before and load_after
        else "load average unknown"
    )
    print(
        f"corpus: {corpus} — {chars:,} characters; {os.cpu_count()} CPUs; {load}; "
        f"best of {args.repeat} runs each, {'with' if args.validate else 'without'} validation\n"
    )
    print(
        "| workers | wall s (best / median) | chars/s | chars/s per core | chars per CPU s | speed-up "
        "| efficiency | peak tree RSS | same records as 1 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['workers']} | {r['best_wall_seconds']:.2f} / {r['median_wall_seconds']:.2f} "
            f"| {r['chars_per_second']:,.0f} | {r['chars_per_second_per_core']:,.0f} "
            f"| {r['chars_per_cpu_second']:,.0f} | {r['speedup']:.2f}× | {r['efficiency']:.0%} "
            f"| {r['peak_tree_rss_mb']:,.0f} MB | {'yes' if r['identical_to_one_worker'] else 'NO'} |"
        )
    if args.json:
        payload = {
            "corpus": str(corpus),
            "characters": chars,
            "load": [load_before, load_after],
            "rows": rows,
        }
        args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return 0 if all(r["identical_to_one_worker"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
