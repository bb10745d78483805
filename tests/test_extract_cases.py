"""The extractor against a corpus of real sentences, as the rule book (shared/spec/ANNOTATION.md) reads them.

`cases/extract.jsonl` — one case a line, grouped by origin (the rule book's own examples, the seed documents,
the dev corpus with its gold, the tracking corpus):

    {"id", "origin", "text", "published": "YYYY-MM-DD" | null, "region": str | null,
     "expected": [{"mention", "value", "unit", "comparator", "kind", "period_year", "value_max"?, "counter"?}],
     "optional"?: [{"mention", "value", "unit"}], "why"?: str, "xfail"?: str}

`expected` is the exact set of records the text must give. A record matches an expected entry when value
(exactly, as the Decimal-derived float) and unit are equal; then comparator, kind, period_year and value_max
(absent = null) must be equal, and counter when given. `kind` and `period_year` may be lists of accepted
answers (the gold's convention). The record's mention must contain the expected one or lie inside it (scope
words such as 全国 in 全国第9 may be kept). `optional` lists records the rule book leaves optional (neither
required nor an error). A case with `xfail` is a known miss of the current engine, marked strict: it must
keep failing until the engine is fixed, then the marker goes.

`cases/negatives.jsonl` — texts that must give no record at all, or (with `span`) no record overlapping
that span of the normalised text; every entry says `why`.

Every record either file produces must also satisfy the record contract: `normalised[span_start:span_end]
== mention`, `record_id == make_record_id(doc_id, span_start, span_end)`, and a value without float
artefacts (1.24万 is 12400.0, never 12400.000000000002)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kpi.extractor.extract import extract
from kpi.extractor.normalise import normalise
from kpi.record import COMPARATORS, DIMENSIONS, KINDS, Record, make_record_id
from kpi.vocabulary import load

CASES = Path(__file__).parent / "cases"


def _read(name: str) -> list[dict[str, Any]]:
    with (CASES / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


EXTRACT_CASES = _read("extract.jsonl")
NEGATIVE_CASES = _read("negatives.jsonl")


def _params(rows: list[dict[str, Any]]) -> list[Any]:
    out = []
    for row in rows:
        label = " ".join(row["text"][:30].split())
        marks = [pytest.mark.xfail(strict=True, reason=row["xfail"])] if row.get("xfail") else []
        out.append(pytest.param(row, id=f"{row['id']} {label}", marks=marks))
    return out


def _run(row: dict[str, Any]) -> list[Record]:
    published = date.fromisoformat(row["published"]) if row.get("published") else None
    records = extract(row["text"], doc_id=row["id"], published=published, region=row.get("region"))
    assert_record_contract(row["text"], row["id"], records)
    return records


def assert_record_contract(text: str, doc_id: str, records: list[Record]) -> None:
    """The span, id and value invariants every record must satisfy."""
    normalised = normalise(text).text
    for r in records:
        assert normalised[r.span_start : r.span_end] == r.mention, r
        assert r.record_id == make_record_id(doc_id, r.span_start, r.span_end), r
        # A value computed with Decimal has the few digits of its surface; a float product shows ~17.
        assert len(Decimal(repr(r.value)).normalize().as_tuple().digits) <= 15, r.value
        assert r.comparator in COMPARATORS and r.kind in KINDS and r.dimension in DIMENSIONS, r
        assert (r.value_max is not None) == (r.comparator == "between"), r


def _accepts(want: Any, got: Any) -> bool:
    return got in want if isinstance(want, list) else got == want


def _show(records: list[Record]) -> str:
    return "\n".join(
        f"  {r.mention!r} value={r.value!r} unit={r.unit} comparator={r.comparator} kind={r.kind} "
        f"period_year={r.period_year} value_max={r.value_max} counter={r.counter}"
        for r in records
    )


def _take(expected: dict[str, Any], pool: list[Record]) -> Record | None:
    """The first record of the pool with the expected value and unit, preferring one whose mention fits."""
    same = [r for r in pool if r.value == float(expected["value"]) and r.unit == expected["unit"]]
    fitting = [r for r in same if expected["mention"] in r.mention or r.mention in expected["mention"]]
    found = (fitting or same or [None])[0]
    if found is not None:
        pool.remove(found)
    return found


def _field_problems(e: dict[str, Any], r: Record) -> list[str]:
    problems = [
        f"{e['mention']}: {name} is {getattr(r, name)!r}, expected {e.get(name)!r}"
        for name in ("comparator", "kind", "period_year")
        if not _accepts(e[name], getattr(r, name))
    ]
    for name in ("period_start", "region", "published"):  # checked where the case states them
        got = getattr(r, name)
        got = got.isoformat() if isinstance(got, date) else got
        if name in e and not _accepts(e[name], got):
            problems.append(f"{e['mention']}: {name} is {got!r}, expected {e[name]!r}")
    if r.value_max != e.get("value_max"):
        problems.append(f"{e['mention']}: value_max is {r.value_max!r}, expected {e.get('value_max')!r}")
    if "counter" in e and r.counter != e["counter"]:
        problems.append(f"{e['mention']}: counter is {r.counter!r}, expected {e['counter']!r}")
    if e["mention"] not in r.mention and r.mention not in e["mention"]:
        problems.append(f"mention is {r.mention!r}, expected {e['mention']!r}")
    return problems


@pytest.mark.parametrize("case", _params(EXTRACT_CASES))
def test_extract_case(case: dict[str, Any]) -> None:
    records = _run(case)
    pool = list(records)
    problems: list[str] = []
    for e in case["expected"]:
        r = _take(e, pool)
        if r is None:
            problems.append(f"missing {e['mention']!r} ({e['value']} {e['unit']})")
        else:
            problems += _field_problems(e, r)
    for o in case.get("optional", []):
        _take(o, pool)
    problems += [f"unexpected {r.mention!r} ({r.value!r} {r.unit})" for r in pool]
    assert not problems, "\n".join(problems) + "\nproduced:\n" + _show(records)


@pytest.mark.parametrize("case", _params(NEGATIVE_CASES))
def test_negative_case(case: dict[str, Any]) -> None:
    records = _run(case)
    if "span" in case:
        normalised = normalise(case["text"]).text
        key = normalise(case["span"]).text
        start = normalised.find(key)
        assert start >= 0, f"span {key!r} not in the normalised text"
        records = [r for r in records if r.span_start < start + len(key) and r.span_end > start]
    assert not records, f"{case['why']}\nproduced:\n" + _show(records)


def test_case_files_are_well_formed() -> None:
    """Ids are unique; every negative and every xfail says why; units, kinds and comparators are valid."""
    ids = [c["id"] for c in EXTRACT_CASES + NEGATIVE_CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert len(EXTRACT_CASES) >= 150 and len(NEGATIVE_CASES) >= 40
    units = set(load().unit_dimensions)
    for c in EXTRACT_CASES + NEGATIVE_CASES:
        assert c["origin"] and c["text"], c["id"]
        assert c.get("xfail", "x").strip(), c["id"]
        if c.get("published"):
            date.fromisoformat(c["published"])
    for c in NEGATIVE_CASES:
        assert c.get("why", "").strip(), c["id"]
    for c in EXTRACT_CASES:
        for e in c["expected"]:
            assert e["unit"] in units, (c["id"], e)
            assert e["comparator"] in COMPARATORS, (c["id"], e)
            kinds = e["kind"] if isinstance(e["kind"], list) else [e["kind"]]
            assert set(kinds) <= set(KINDS), (c["id"], e)
            assert ("value_max" in e) == (e["comparator"] == "between"), (c["id"], e)


def test_value_is_the_decimal_float() -> None:
    """1.24万 folds to exactly 12400.0 and 9.56‰ to exactly 0.956 (Decimal arithmetic, then one float())."""
    records = extract("1.24万户4.09万人，出生率为9.56‰。", doc_id="exact")
    assert [r.value for r in records] == [12400.0, 40900.0, 0.956]


def test_package_attribute_extract_is_the_function() -> None:
    import kpi
    import kpi.extractor.extract  # what any pipeline module does

    assert callable(kpi.extract)
    assert kpi.extract("今年力争认定高新技术企业130家。", doc_id="d")[0].value == 130.0
