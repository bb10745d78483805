"""Benchmark: `kpi stream` against `kpi extract` on one generated corpus (not a timed test).

    .venv/bin/python benchmarks/bench_stream.py --mb 200               # work folder /tmp/kpi-bench-stream
    .venv/bin/python benchmarks/bench_stream.py --mb 5 --drops 3       # a quick look
    .venv/bin/python benchmarks/bench_stream.py --mb 200 --skip batch latency   # stream memory only

Measured, each command in its own subprocess as a user runs it (start-up included), both from a frozen
copy of the package (WORK/snapshot):

* throughput: documents/s and characters/s of `kpi extract CORPUS` and of `kpi stream CORPUS` (no
  --follow: it exits when everything is committed), default options, validation on; the stream's
  output is checked against the batch's (row counts, the same record ids);
* memory: the resident set of the whole process tree, sampled every 0.2 s: the peak, and the values at
  25/50/75/99 % of the run (flat = it does not grow with the length of the stream);
* latency: `kpi stream DROP --follow` with the default trigger, once it is ready; a document of the
  corpus is written under a hidden name and renamed into DROP, then the seconds until a committed batch
  covers it, for --drops files at random gaps.

The corpus is benchmarks/make_corpus.py's (the documents of ../shared cut into sentences, shuffled,
digits varied; 2,000–20,000 characters each) as one JSON-lines file of about --mb MB, which the stream
reads in line ranges. It is generated into WORK once and reused while its size matches.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BYTES_PER_CHAR = 2.75  # UTF-8 JSON lines of the corpus, measured (28.9 MB for 10.5 M characters)
# Runs `python -m kpi` from a frozen copy of the package (WORK/snapshot), not the editable install, so
# that edits made to the working tree while the benchmark runs do not change the code under measurement.
LAUNCH = (
    "import runpy, sys; "
    "sys.meta_path[:] = [f for f in sys.meta_path if '__editable__' not in getattr(f, '__module__', '')]; "
    "sys.path.insert(0, sys.argv.pop(1)); "
    "runpy.run_module('kpi', run_name='__main__', alter_sys=True)"
)


def generate(corpus: Path, megabytes: int) -> tuple[int, int]:
    """benchmarks/make_corpus.py's corpus of about `megabytes` MB of JSON lines; (documents, characters).
    Reused while its size matches."""
    stamp = corpus.with_suffix(".json")
    if stamp.exists() and corpus.exists():
        meta = json.loads(stamp.read_text())
        if meta["mb"] == megabytes:
            return meta["documents"], meta["chars"]
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from make_corpus import write_corpus

    documents, chars = write_corpus(corpus, mb=megabytes / BYTES_PER_CHAR)
    stamp.write_text(json.dumps({"mb": megabytes, "documents": documents, "chars": chars}))
    return documents, chars


def snapshot(work: Path) -> list[str]:
    """Copy the package to WORK/snapshot; the command prefix that runs `python -m kpi` from there."""
    target = work / "snapshot"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(ROOT / "kpi", target / "kpi", ignore=shutil.ignore_patterns("__pycache__"))
    git = ["git", "-C", str(ROOT)]
    commit = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], check=False, capture_output=True, text=True
    )
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "kpi"], check=False, capture_output=True, text=True
    )
    (target / "VERSION").write_text(
        commit.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")
    )
    return [sys.executable, "-c", LAUNCH, str(target)]


# --- measuring a process tree ------------------------------------------------------------------------


def tree_rss_mb(pid: int) -> float:
    """Resident memory of `pid` and all its descendants, in MB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total / 1024


def measure(cmd: list[str], label: str) -> dict:
    """Run `cmd`, sampling the tree's RSS; wall seconds, peak and quartile RSS."""
    print(f"[{label}] {' '.join(cmd)}", file=sys.stderr, flush=True)
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples: list[tuple[float, float]] = []
    while proc.poll() is None:
        samples.append((time.perf_counter() - started, tree_rss_mb(proc.pid)))
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    out, err = proc.communicate()
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{label} failed ({proc.returncode}):\n{err[-2000:]}")
    rss = [r for _, r in samples if r > 0]
    quarter = (
        [round(rss[min(len(rss) - 1, int(len(rss) * q))], 1) for q in (0.25, 0.5, 0.75, 0.99)] if rss else []
    )
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),  # user + system of the whole tree: less sensitive to other load
        "peak_rss_mb": round(max(rss, default=0), 1),
        "rss_mb_at_25_50_75_99_percent": quarter,
        "exit_code": proc.returncode,
        "stdout": out,
    }


# --- latency -------------------------------------------------------------------------------------------


def latency(kpi: list[str], work: Path, corpus: Path, drops: int, gap: float) -> dict:
    """Seconds from a file landing in a watched folder to a committed batch covering it (default options)."""
    drop, out = work / "drop", work / "latency-out"
    for folder in (drop, out):
        shutil.rmtree(folder, ignore_errors=True)
    drop.mkdir(parents=True)
    proc = subprocess.Popen(
        [*kpi, "stream", str(drop), "--out", str(out), "--follow"],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    ready = threading.Event()
    lines: list[str] = []

    def watch() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if "waiting for new input" in line:
                ready.set()

    threading.Thread(target=watch, daemon=True).start()
    if not ready.wait(120):
        proc.kill()
        raise SystemExit("the stream did not become ready:\n" + "".join(lines))
    rng, seen = random.Random(7), []
    with corpus.open(encoding="utf-8") as source:
        documents = [next(source) for _ in range(drops)]
    commits = out / "_checkpoint" / "commits"
    for i, line in enumerate(documents):
        temp, final = drop / f".drop{i}.jsonl.tmp", drop / f"drop{i}.jsonl"
        temp.write_text(line, encoding="utf-8")
        before = len(_markers(commits))
        landed = time.perf_counter()
        temp.rename(final)
        while not _committed(out, str(final), before):
            time.sleep(0.01)
        seen.append(time.perf_counter() - landed)
        time.sleep(gap * rng.random())
    proc.terminate()
    proc.wait(60)
    return {
        "drops": drops,
        "document_chars": [len(json.loads(line)["text"]) for line in documents],
        "median_s": round(statistics.median(seen), 2),
        "max_s": round(max(seen), 2),
        "all_s": [round(x, 2) for x in seen],
        "exit_code_after_sigterm": proc.returncode,
    }


def _markers(commits: Path) -> list[Path]:
    """The commit markers (not the temporary file of one being written)."""
    return sorted(p for p in commits.iterdir() if not p.name.startswith("."))


def _committed(out: Path, path: str, before: int) -> bool:
    for marker in _markers(out / "_checkpoint" / "commits")[before:]:
        plan = json.loads((out / "_checkpoint" / "offsets" / f"{marker.name}.json").read_text())
        if any(s["file"]["abspath"] == path for s in plan["slices"]):
            return True
    return False


def compare(batch: Path, stream: Path) -> dict:
    """Row counts of both outputs, and whether the records are the same set of record ids."""
    import polars as pl

    result = {}
    for table in ("records", "quarantine", "dead_letter"):
        a = pl.scan_parquet(batch / f"{table}.parquet")
        b = pl.scan_parquet(stream / table / "*.parquet")
        result[table] = [a.select(pl.len()).collect().item(), b.select(pl.len()).collect().item()]
    ids = [
        pl.scan_parquet(p).select("record_id").collect()["record_id"].sort()
        for p in (batch / "records.parquet", stream / "records" / "*.parquet")
    ]
    result["same_record_ids"] = ids[0].equals(ids[1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=int, default=200, help="corpus size in MB of JSON lines (default 200)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/kpi-bench-stream"))
    parser.add_argument("--drops", type=int, default=10, help="files dropped for the latency figure")
    parser.add_argument("--gap", type=float, default=3.0, help="most seconds between two drops")
    parser.add_argument(
        "--repeat", type=int, default=1, help="run batch and stream this many times, alternating"
    )
    parser.add_argument("--skip", nargs="*", default=[], choices=["batch", "stream", "latency"])
    parser.add_argument(
        "--stream-args", default="", help="extra options for kpi stream, e.g. '--max-batch-bytes 4194304'"
    )
    args = parser.parse_args()

    work = args.work
    corpus = work / "corpus.jsonl"
    documents, chars = generate(corpus, args.mb)
    kpi = snapshot(work)
    report: dict = {
        "kpi": (work / "snapshot" / "VERSION").read_text(),
        "corpus": {"mb": round(corpus.stat().st_size / 2**20, 1), "documents": documents, "chars": chars},
        "stream_args": args.stream_args,
    }
    commands = {
        "batch": [*kpi, "extract", str(corpus), "--out", str(work / "batch"), "-q"],
        "stream": [
            *kpi,
            "stream",
            str(corpus),
            "--out",
            str(work / "stream"),
            "-q",
            *args.stream_args.split(),
        ],
    }
    runs: dict[str, list[dict]] = {name: [] for name in commands if name not in args.skip}
    for _ in range(args.repeat):  # alternating, so a change in the machine's load hits both alike
        for name, done in runs.items():
            shutil.rmtree(work / name, ignore_errors=True)
            run = measure(commands[name], name)
            run["docs_per_s"] = round(documents / run["seconds"], 1)
            run["chars_per_s"] = round(chars / run["seconds"])
            done.append(run)
    for name, done in runs.items():
        report[name] = done[0] if len(done) == 1 else {"runs": done}
    if len(runs) == 2:
        ratios = [
            (b["seconds"] / s["seconds"], b["cpu_seconds"] / s["cpu_seconds"])
            for b, s in zip(runs["batch"], runs["stream"], strict=True)
        ]
        report["stream_throughput_vs_batch"] = {
            "wall": [round(w, 3) for w, _ in ratios],
            "cpu": [round(c, 3) for _, c in ratios],
            "median_wall": round(statistics.median(w for w, _ in ratios), 3),
            "median_cpu": round(statistics.median(c for _, c in ratios), 3),
        }
        report["outputs"] = compare(work / "batch", work / "stream")
    if "latency" not in args.skip:
        report["latency"] = latency(kpi, work, corpus, args.drops, args.gap)
    for name, done in runs.items():
        print(f"--- {name} summary ---\n{done[-1]['stdout']}", file=sys.stderr)
        for run in done:
            del run["stdout"]
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
