"""Benchmark: `kpi.extract` on one core, and `kpi extract` end to end (not a timed test).

    .venv/bin/python benchmarks/bench_extract.py                 # 10 MB corpus, built into a temp dir if missing
    .venv/bin/python benchmarks/bench_extract.py --mb 2 --no-cli
    .venv/bin/python benchmarks/bench_extract.py --corpus corpus.jsonl --profile 300 --json out.json

1. In process: loads the corpus (benchmarks/make_corpus.py), warms up on a few generated documents that
   are NOT in the measured set (imports, OpenCC, vocabulary regexes), then times every document with
   `time.process_time()` (CPU seconds of this single-threaded process) and reports characters/s and
   documents/s per core, records/s, and the peak RSS of the process (the corpus is held in memory too).
2. End to end: `python -m kpi extract CORPUS --out DIR --quiet --workers 1` in a subprocess (reading,
   extraction, validation with Great Expectations, Parquet writing), timed by the wall clock, with the
   child's CPU seconds and peak RSS from `resource.getrusage(RUSAGE_CHILDREN)`.
3. `--profile N`: cProfile over N measured documents; the top 15 functions by own time (tottime).

`kpi extract --workers N` against `--workers 1` (speed-up, parallel efficiency, memory of the process
tree, identical tables) is benchmarks/bench_parallel.py.
"""

from __future__ import annotations

import cProfile
import io
import itertools
import json
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_corpus import corpus_parser, ensure_corpus, generate_documents

WARMUP_DOCS = 5


def _mb(kilobytes: int) -> float:
    """ru_maxrss is in KiB on Linux, in bytes on macOS."""
    return kilobytes / (2**20 if sys.platform == "darwin" else 2**10)


def load_corpus(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _call(extract: Any, doc: dict[str, Any]) -> list[Any]:
    published = date.fromisoformat(doc["published"]) if doc.get("published") else None
    return extract(doc["text"], doc_id=doc["id"], published=published, region=doc.get("region"))


def bench_in_process(docs: list[dict[str, Any]]) -> dict[str, float]:
    from kpi.extractor.extract import extract

    # Warm-up documents come from another seed (other sentences order, other digits, other ids).
    warmup = itertools.islice(generate_documents(10**12, seed=9_999, prefix="warmup"), WARMUP_DOCS)
    for doc in warmup:
        _call(extract, doc)
    chars = sum(len(d["text"]) for d in docs)
    records = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for doc in docs:
        records += len(_call(extract, doc))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {
        "documents": len(docs),
        "characters": chars,
        "records": records,
        "cpu_seconds": cpu,
        "wall_seconds": wall,
        "chars_per_cpu_second": chars / cpu,
        "docs_per_cpu_second": len(docs) / cpu,
        "records_per_cpu_second": records / cpu,
        "peak_rss_mb": _mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
    }


def bench_cli(corpus: Path, chars: int) -> dict[str, Any]:
    out = Path(tempfile.mkdtemp(prefix="kpi-bench-out-"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "kpi", "extract", str(corpus), "--out", str(out), "--quiet", "--workers", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - wall0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"kpi extract failed ({proc.returncode}):\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {
        "exit_code": proc.returncode,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "chars_per_wall_second": chars / wall,
        "chars_per_cpu_second": chars / cpu,
        "peak_rss_mb": _mb(after.ru_maxrss),
        "records": summary.get("records"),
        "quarantined": summary.get("quarantined"),
        "dead_letters": summary.get("dead_letters"),
        "out": str(out),
    }


def profile(docs: list[dict[str, Any]], top: int = 15) -> str:
    from kpi.extractor.extract import extract

    profiler = cProfile.Profile()
    profiler.enable()
    for doc in docs:
        _call(extract, doc)
    profiler.disable()
    buf = io.StringIO()
    pstats.Stats(profiler, stream=buf).sort_stats("tottime").print_stats(top)
    return buf.getvalue()


def _report(corpus: Path, inproc: dict[str, float], cli: dict[str, Any] | None) -> str:
    lines = [
        f"corpus: {corpus} — {inproc['documents']:,} documents, {inproc['characters']:,} characters",
        "",
        "| kpi.extract, one core (in process) | |",
        "|---|---|",
        f"| CPU seconds | {inproc['cpu_seconds']:.1f} (wall {inproc['wall_seconds']:.1f}) |",
        f"| characters / s / core | {inproc['chars_per_cpu_second']:,.0f} |",
        f"| documents / s / core | {inproc['docs_per_cpu_second']:,.1f} |",
        f"| records / s / core | {inproc['records_per_cpu_second']:,.0f} ({inproc['records']:,} records) |",
        f"| peak RSS (process, corpus in memory) | {inproc['peak_rss_mb']:,.0f} MB |",
    ]
    if cli:
        lines += [
            "",
            "| `kpi extract CORPUS --out DIR --quiet --workers 1` (subprocess) | |",
            "|---|---|",
            f"| wall seconds | {cli['wall_seconds']:.1f} |",
            f"| CPU seconds (child, all threads) | {cli['cpu_seconds']:.1f} |",
            f"| characters / s (wall) | {cli['chars_per_wall_second']:,.0f} |",
            f"| characters / s (CPU) | {cli['chars_per_cpu_second']:,.0f} |",
            f"| peak RSS (child) | {cli['peak_rss_mb']:,.0f} MB |",
            (
                f"| records / quarantined / dead letters | {cli['records']:,} / {cli['quarantined']:,} / "
                f"{cli['dead_letters']:,} (exit {cli['exit_code']}) |"
            ),
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = corpus_parser(__doc__.split("\n\n")[0], mb=10)
    ap.add_argument("--no-cli", action="store_true", help="skip the end-to-end `kpi extract` run")
    ap.add_argument(
        "--profile", type=int, default=0, metavar="N", help="cProfile N documents, print the top 15"
    )
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = ap.parse_args(argv)

    corpus = ensure_corpus(args.corpus, mb=args.mb, seed=args.seed)
    docs = load_corpus(corpus)
    inproc = bench_in_process(docs)
    cli = None if args.no_cli else bench_cli(corpus, int(inproc["characters"]))
    print(_report(corpus, inproc, cli))
    if args.profile:
        print("\ncProfile, top 15 by tottime over", min(args.profile, len(docs)), "documents:\n")
        print(profile(docs[: args.profile]))
    if args.json:
        args.json.write_text(json.dumps({"in_process": inproc, "cli": cli}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
