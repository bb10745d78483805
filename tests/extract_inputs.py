"""`kpi extract` on awkward inputs, for test_bad_input (a stand-in extractor) and test_messy_input
(the real one): the run, its summary with the counts that must balance, and inputs written for it.

A layout (LAYOUTS) gives one id twice: it writes its files under a folder and returns the inputs, the
source the id stood at first and the source of the repeat (the dead letter).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from click.testing import CliRunner, Result

from kpi.cli import cli

Layout = tuple[list[Path], str, str]


def run(*args: object, stdin: bytes | None = None) -> Result:
    """`kpi extract ARGS`, which never shows a traceback."""
    result = CliRunner().invoke(cli, ["extract", *map(str, args)], input=stdin)
    assert "Traceback" not in result.output + result.stderr, result.stderr
    return result


def summary_of(out: Path) -> dict:
    """summary.json of the run into `out`, once its counts are checked against each other and the tables."""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["documents_in"] == summary["documents_processed"] + summary["dead_letters"]
    assert summary["dead_letters"] == sum(summary["dead_letters_by_reason"].values())
    assert pl.read_parquet(out / "dead_letter.parquet").height == summary["dead_letters"]
    assert pl.read_parquet(out / "records.parquet").height == summary["records"]
    return summary


def jsonl(path: Path, *lines: str | dict) -> Path:
    """A JSON lines file of `lines` (dicts are dumped, strings written as they are)."""
    body = [json.dumps(x, ensure_ascii=False) if isinstance(x, dict) else x for x in lines]
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    return path


def within_jsonl(d: Path, doc_id: str, first: str, again: str) -> Layout:
    rows = ({"id": doc_id, "text": first}, {"id": doc_id, "text": again})
    return [jsonl(d / "in.jsonl", *rows)], "in.jsonl:1", "in.jsonl:2"


def across_inputs(d: Path, doc_id: str, first: str, again: str) -> Layout:
    (d / f"{doc_id}.txt").write_text(again, encoding="utf-8")
    inputs = [jsonl(d / "in.jsonl", {"id": doc_id, "text": first}), d / f"{doc_id}.txt"]
    return inputs, "in.jsonl:1", f"{doc_id}.txt"


def two_extensions(d: Path, doc_id: str, first: str, again: str) -> Layout:
    (d / "docs").mkdir()
    (d / "docs" / f"{doc_id}.html").write_text(first, encoding="utf-8")
    (d / "docs" / f"{doc_id}.txt").write_text(again, encoding="utf-8")
    return [d / "docs"], f"{doc_id}.html", f"{doc_id}.txt"


LAYOUTS = [within_jsonl, across_inputs, two_extensions]
