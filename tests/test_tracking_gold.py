"""The tracker reproduces corpus/tracking/pairs.gold.jsonl.

Records are built from the gold pairs (each target and result placed in its real sentence of the
report), plus distractors a real extraction also yields: span figures, repeats, other years and
regions, later restatements of a target. `test_end_to_end` runs the real extractor instead.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from record_builders import percent_record

from kpi.record import Record, records_to_arrow
from kpi.tracking import build_tracking

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "tracking"
if not CORPUS.exists():  # a clone with shared/ beside the repository
    CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "tracking"
pytestmark = pytest.mark.skipif(not (CORPUS / "pairs.gold.jsonl").exists(), reason="shared corpus not found")

_SENTENCE_END = re.compile(r"[。！？；\n]")


def _load(name: str) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in (CORPUS / name).read_text(encoding="utf-8").splitlines() if line.strip()
    ]


@pytest.fixture(scope="module")
def docs() -> dict[str, dict[str, Any]]:
    return {d["id"]: d for d in _load("documents.jsonl")}


@pytest.fixture(scope="module")
def gold() -> list[dict[str, Any]]:
    return _load("pairs.gold.jsonl")


def _record(
    doc: dict[str, Any],
    context: str,
    mention: str,
    *,
    kind: str,
    year: int,
    q: dict[str, Any] | None = None,
    indicator_id: str | None = None,
    value: float | None = None,
    unit: str = "percent",
    comparator: str = "=",
) -> Record:
    """A record for `mention` inside `context` of `doc`, in the whole sentence that holds it."""
    text = doc["text"]
    at = text.index(context) + context.index(mention)
    start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, at)), default=0)
    end = _SENTENCE_END.search(text, at)
    sentence = text[start : end.end() if end else len(text)]
    q = q or {}
    return percent_record(
        kind,
        float(q.get("value", value)),
        doc=doc["id"],
        published=doc["published"],
        year=year,
        at=at,
        region=doc["region"],
        sentence=sentence,
        mention=mention,
        indicator_id=indicator_id,
        value_max=q.get("value_max"),
        unit=q.get("unit", unit),
        comparator=q.get("comparator", comparator),
    )


def _gold_records(
    docs: dict[str, dict[str, Any]], gold: list[dict[str, Any]], *, with_ids: bool
) -> list[Record]:
    out: list[Record] = []
    for pair in gold:
        iid = pair["indicator_id"] if with_ids else None
        actuals = pair.get("actual_conflicts") or ([pair["actual"]] if pair.get("actual") else [])
        out += [
            _record(
                docs[q["doc_id"]],
                q["context"],
                q["mention"],
                kind=kind,
                year=pair["period_year"],
                q=q,
                indicator_id=iid,
            )
            for kind, q in [("target", pair["target"]), *(("actual", a) for a in actuals)]
        ]
    return out


# Real figures of the reports that a correct tracker must not take as results or targets.
DISTRACTORS: list[dict[str, Any]] = [
    # five-year figures in the 2023 review (README: "not results for the year and not conflicts")
    {
        "doc": "national-2023",
        "context": "城镇新增就业年均1270多万人",
        "mention": "1270多万人",
        "kind": "actual",
        "year": 2022,
        "value": 12700000,
        "unit": "person",
        "id": "urban_new_jobs",
    },
    {
        "doc": "national-2023",
        "context": "粮食产量连年稳定在1.3万亿斤以上",
        "mention": "1.3万亿斤以上",
        "kind": "actual",
        "year": 2022,
        "value": 1.3e12,
        "unit": "jin",
        "comparator": ">=",
        "id": "grain_output",
    },
    {
        "doc": "national-2023",
        "context": "居民消费价格年均上涨2.1%",
        "mention": "2.1%",
        "kind": "actual",
        "year": 2022,
        "value": 2.1,
        "id": "cpi_growth",
    },
    {
        "doc": "national-2023",
        "context": "五年年均增长5.2%",
        "mention": "5.2%",
        "kind": "actual",
        "year": 2022,
        "value": 5.2,
        "id": "gdp_growth",
    },
    # the same result stated twice agrees and collapses
    {
        "doc": "national-2025",
        "context": "国内生产总值达到134.9万亿元、增长5%",
        "mention": "5%",
        "kind": "actual",
        "year": 2024,
        "value": 5,
        "id": "gdp_growth",
    },
    # the 2024 result restated in the 2025 target paragraph's explanation is a target, not a result
    {
        "doc": "national-2025",
        "context": "经济增长预期目标为5%左右",
        "mention": "5%左右",
        "kind": "target",
        "year": 2025,
        "value": 5,
        "comparator": "~",
        "id": "gdp_growth",
    },
    # a figure for 2023 in the 2025 report (published two years later) is no result for 2023
    {
        "doc": "national-2025",
        "context": "居民人均可支配收入实际增长5.1%",
        "mention": "5.1%",
        "kind": "actual",
        "year": 2023,
        "value": 5.1,
        "id": "urban_surveyed_unemployment_rate",
    },
    # a span target of the 2026 Hunan report (十五五 planning: 年均)
    {
        "doc": "hunan-2026",
        "context": "地区生产总值年均增长5%—5.5%",
        "mention": "5%—5.5%",
        "kind": "target",
        "year": 2026,
        "value": 5,
        "comparator": "between",
        "id": "gdp_growth",
    },
    # a sub-group figure and a cumulative figure
    {
        "doc": "hunan-2026",
        "context": "地方一般公共预算收入累计超1.6万亿元",
        "mention": "超1.6万亿元",
        "kind": "actual",
        "year": 2025,
        "value": 1.6e12,
        "unit": "CNY",
        "comparator": ">",
        "id": None,
    },
]


def _distractors(docs: dict[str, dict[str, Any]], *, with_ids: bool) -> list[Record]:
    return [
        _record(
            docs[d["doc"]],
            d["context"],
            d["mention"],
            kind=d["kind"],
            year=d["year"],
            value=d["value"],
            unit=d.get("unit", "percent"),
            comparator=d.get("comparator", "="),
            indicator_id=d["id"] if with_ids else None,
        )
        for d in DISTRACTORS
    ]


def _frame(records: list[Record]) -> pl.DataFrame:
    return pl.from_arrow(records_to_arrow(records))  # type: ignore[return-value]


def _documents(docs: dict[str, dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"id": d["id"], "published": date.fromisoformat(d["published"]), "region": d["region"]}
            for d in docs.values()
        ]
    )


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def compare_to_gold(tracking: pl.DataFrame, gold: list[dict[str, Any]]) -> list[str]:
    """One line per gold pair the tracking table does not reproduce exactly."""
    rows = {(r["region"], r["indicator_id"], r["period_year"]): r for r in tracking.iter_rows(named=True)}
    wrong = []
    for pair in gold:
        key = (pair["region"], pair["indicator_id"], pair["period_year"])
        row = rows.get(key)
        actual = (pair.get("actual") or {}).get("value")
        conflicts = [c["value"] for c in pair.get("actual_conflicts") or []]
        if row is None:
            wrong.append(f"{key}: missing")
        elif not (
            _close(row["target_value"], pair["target"]["value"])
            and _close(row["actual_value"], actual)
            and row["status"] == pair["status"]
            and len(row["actual_conflicts"]) == len(conflicts)
            and all(_close(x, y) for x, y in zip(row["actual_conflicts"], conflicts, strict=False))
        ):
            got = (row["target_value"], row["actual_value"], row["status"], row["actual_conflicts"])
            wrong.append(
                f"{key}: got {got}, gold {(pair['target']['value'], actual, pair['status'], conflicts)}"
            )
    return wrong


@pytest.mark.parametrize("with_ids", [True, False], ids=["ids-from-records", "ids-from-taxonomy"])
def test_gold_pairs_reproduced(docs, gold, with_ids: bool) -> None:
    records = _gold_records(docs, gold, with_ids=with_ids) + _distractors(docs, with_ids=with_ids)
    tracking = build_tracking(_frame(records), documents=_documents(docs))
    assert compare_to_gold(tracking, gold) == []


def test_gold_counts(docs, gold) -> None:
    tracking = build_tracking(_frame(_gold_records(docs, gold, with_ids=True)), documents=_documents(docs))
    counts = dict(tracking.group_by("status").len().iter_rows())
    assert counts == {"met": 18, "missed": 3, "unclear": 5, "pending": 15}


def test_pending_needs_no_documents_frame_when_records_cover_the_reports(docs, gold) -> None:
    """Without the documents frame, the records' own documents say which reports exist."""
    tracking = build_tracking(
        _frame(_gold_records(docs, gold, with_ids=True) + _distractors(docs, with_ids=True))
    )
    assert compare_to_gold(tracking, gold) == []


def test_order_of_records_does_not_matter(docs, gold) -> None:
    """A result may arrive before its target."""
    records = _gold_records(docs, gold, with_ids=True) + _distractors(docs, with_ids=True)
    tracking = build_tracking(_frame(list(reversed(records))), documents=_documents(docs))
    assert compare_to_gold(tracking, gold) == []


def test_end_to_end(docs, gold) -> None:
    """`kpi.extract` over the six reports, then the tracker: the fraction of gold pairs reproduced."""
    from kpi.extractor.extract import extract

    records: list[Record] = []
    for d in docs.values():
        published = date.fromisoformat(d["published"])
        records += extract(d["text"], doc_id=d["id"], published=published, region=d["region"])
    tracking = build_tracking(_frame(records), documents=_documents(docs))
    wrong = compare_to_gold(tracking, gold)
    fraction = 1 - len(wrong) / len(gold)
    print(f"end to end: {len(gold) - len(wrong)}/{len(gold)} gold pairs exact ({fraction:.0%})")
    assert not wrong, "\n".join(wrong)
