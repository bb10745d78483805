"""Generate a non-repeating benchmark corpus (JSON lines: id, text, published, region) from real documents.

    .venv/bin/python benchmarks/make_corpus.py --out /tmp/kpi-bench/corpus.jsonl            # >= 10 MB
    .venv/bin/python benchmarks/make_corpus.py --out corpus.jsonl --mb 50 --seed 3

Sources: the seed documents, the dev corpus and the tracking corpus of ../shared (raw text, as crawled:
HTML, Markdown, traditional script, page furniture and all). Every document is split into sentences (at
。！？； and line breaks); the sentences of all documents are shuffled together with a seeded RNG; every run
of digits is replaced by a random run of the same length (a 4-digit 19xx/20xx stays a plausible year,
1990–2035); sentences are then assembled into documents of 2,000–20,000 characters with paragraph breaks.
So the text reads like the sources (same vocabulary, same noise, same density of numbers) but no two
documents are equal and no number sequence repeats. "MB" counts characters: --mb 10 writes at least
10 × 2**20 characters of text.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
MIN_DOC, MAX_DOC = 2_000, 20_000
_SENTENCE = re.compile(r"[^。！？!?；;\n]*(?:[。！？!?；;]+|\n|$)")
_DIGITS = re.compile(r"\d+")
_YEAR = re.compile(r"(?:19|20)\d\d")


def source_documents(shared: Path = SHARED) -> list[dict[str, str | None]]:
    """The raw source documents: {text, published, region}."""
    docs: list[dict[str, str | None]] = []
    for path in sorted((shared / "seeds").glob("*.txt")):
        docs.append({"text": path.read_text(encoding="utf-8"), "published": None, "region": None})
    for jsonl in (
        shared / "corpus" / "dev" / "input.jsonl",
        shared / "corpus" / "tracking" / "documents.jsonl",
    ):
        with jsonl.open(encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                docs.append({"text": d["text"], "published": d.get("published"), "region": d.get("region")})
    if not docs:
        raise SystemExit(f"no source documents under {shared}")
    return docs


def split_sentences(text: str) -> list[str]:
    """Sentences with their terminator (a line break ends one too); empty pieces dropped."""
    return [s for s in _SENTENCE.findall(text) if s.strip()]


def vary_digits(sentence: str, rng: random.Random) -> str:
    """Each digit run becomes a random run of the same length; 19xx/20xx become a year in 1990–2035."""

    def replace(m: re.Match[str]) -> str:
        run = m.group(0)
        if len(run) == 4 and _YEAR.fullmatch(run):
            return str(rng.randint(1990, 2035))
        first = str(rng.randint(1, 9)) if len(run) > 1 else str(rng.randint(0, 9))
        return first + "".join(str(rng.randint(0, 9)) for _ in range(len(run) - 1))

    return _DIGITS.sub(replace, sentence)


def _sentence_stream(pool: list[str], rng: random.Random) -> Iterator[str]:
    """The pool, reshuffled on every pass, each sentence with fresh digits."""
    order = list(pool)
    while True:
        rng.shuffle(order)
        for sentence in order:
            yield vary_digits(sentence, rng)


def _published(rng: random.Random) -> str:
    return (date(2015, 1, 1) + timedelta(days=rng.randint(0, 4000))).isoformat()


def generate_documents(
    min_chars: int, *, seed: int = 7, prefix: str = "bench"
) -> Iterator[dict[str, str | None]]:
    """Documents (id, text, published, region) until their texts hold at least `min_chars` characters."""
    rng = random.Random(seed)
    sources = source_documents()
    pool = [s for d in sources for s in split_sentences(str(d["text"]))]
    regions = sorted({str(d["region"]) for d in sources if d["region"]}) + [None]  # type: ignore[list-item]
    stream = _sentence_stream(pool, rng)
    seen: set[int] = set()
    total, n = 0, 0
    while total < min_chars:
        size = rng.randint(MIN_DOC, MAX_DOC)
        parts: list[str] = []
        length = 0
        while length < size:
            sentence = next(stream)
            if not sentence.endswith("\n") and rng.random() < 0.15:  # a paragraph break now and then
                sentence += "\n"
            parts.append(sentence)
            length += len(sentence)
        text = "".join(parts)
        if hash(text) in seen:  # vanishingly rare; keeps the "no two documents are equal" promise
            continue
        seen.add(hash(text))
        n += 1
        total += len(text)
        yield {
            "id": f"{prefix}-{n:06d}",
            "text": text,
            "published": _published(rng),
            "region": rng.choice(regions),
        }


def write_corpus(out: Path, *, mb: float = 10, seed: int = 7) -> tuple[int, int]:
    """Write the corpus; returns (documents, characters)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    docs = chars = 0
    tmp = out.with_suffix(out.suffix + ".part")
    with tmp.open("w", encoding="utf-8") as f:
        for doc in generate_documents(int(mb * 2**20), seed=seed):
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")
            docs += 1
            chars += len(str(doc["text"]))
    tmp.replace(out)
    return docs, chars


def ensure_corpus(path: Path | None, *, mb: float, seed: int) -> Path:
    """`path`, or the cached corpus of `mb` MiB and `seed` in the temp folder, built when missing."""
    import tempfile

    corpus = path or Path(tempfile.gettempdir()) / "kpi-bench-extract" / f"corpus-{mb:g}mb-seed{seed}.jsonl"
    if not corpus.exists():
        print(f"building {corpus} …", file=sys.stderr)
        write_corpus(corpus, mb=mb, seed=seed)
    return corpus


def corpus_parser(description: str, *, mb: float) -> argparse.ArgumentParser:
    """A benchmark's argument parser with the corpus options `ensure_corpus` takes: --mb, --seed, --corpus."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--mb", type=float, default=mb, help=f"corpus size in 2**20 characters (default {mb:g})")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--corpus", type=Path, help="an existing corpus JSONL (default: built in a temp dir)")
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="the JSONL file to write")
    ap.add_argument("--mb", type=float, default=10, help="at least this many 2**20 characters (default 10)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    docs, chars = write_corpus(args.out, mb=args.mb, seed=args.seed)
    print(f"{args.out}: {docs} documents, {chars:,} characters", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
