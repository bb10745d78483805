"""Shared by the Spark tests: skip conditions, one SparkSession for the whole test run, and a generator
of short realistic documents (sentences of the shared corpora with fresh digits).

Import the fixture into a test module with `from spark_session import spark  # noqa: F401`.
"""

from __future__ import annotations

import importlib.util
import os
import random
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
HAVE_PYSPARK = importlib.util.find_spec("pyspark") is not None
HAVE_JAVA = shutil.which("java") is not None or bool(
    os.environ.get("JAVA_HOME") and Path(os.environ["JAVA_HOME"], "bin", "java").exists()
)
needs_spark = pytest.mark.skipif(
    not (HAVE_PYSPARK and HAVE_JAVA),
    reason="needs pyspark (pip install -e '.[spark]') and Java 17+",
)
SPARK_MASTER = "local[2]"


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """One local SparkSession for every Spark test in the run."""
    if not (HAVE_PYSPARK and HAVE_JAVA):
        pytest.skip("needs pyspark and Java")
    from kpi.spark.session import spark_session

    session = spark_session(SPARK_MASTER)
    yield session
    session.stop()


def _make_corpus():
    spec = importlib.util.spec_from_file_location("make_corpus", ROOT / "benchmarks" / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def short_documents(n: int, *, seed: int = 11, prefix: str = "gen") -> Iterator[dict[str, str | None]]:
    """`n` documents (id, text, published, region) of 3-8 sentences from the seeds and the shared
    corpora, most of them holding a number, every digit run replaced by a fresh one (make_corpus)."""
    corpus = _make_corpus()
    rng = random.Random(seed)
    sources = corpus.source_documents(SHARED)
    sentences = [s.strip() for d in sources for s in corpus.split_sentences(str(d["text"]))]
    sentences = [s for s in sentences if 6 <= len(s) <= 300]
    with_numbers = [s for s in sentences if any(c.isdigit() for c in s)]
    regions = sorted({str(d["region"]) for d in sources if d["region"]}) + [None]
    for i in range(n):
        picked = [
            rng.choice(with_numbers if rng.random() < 0.7 else sentences) for _ in range(rng.randint(3, 8))
        ]
        text = "\n".join(corpus.vary_digits(s, rng) for s in picked)
        published = None if rng.random() < 0.1 else (date(2016, 1, 1) + timedelta(days=rng.randint(0, 3500)))
        yield {
            "id": f"{prefix}-{i:06d}",
            "text": text,
            "published": published.isoformat() if published else None,
            "region": rng.choice(regions),
        }
