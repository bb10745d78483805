"""Records the tests write by hand: one plain target record, changed where a test needs it.

Import into a test module with `from record_builders import percent_record, record`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from kpi.record import Record, make_record_id

# 今年力争认定高新技术企业130家。: a count target of 2024, its mention at the start of the text.
PLAIN: dict[str, Any] = {
    "doc_id": "d1",
    "published": date(2024, 1, 5),
    "region": None,
    "sentence": "今年力争认定高新技术企业130家。",
    "mention": "130家",
    "span_start": 0,
    "indicator": "高新技术企业",
    "indicator_id": None,
    "value": 130.0,
    "value_max": None,
    "unit": "count",
    "counter": "家",
    "dimension": "count",
    "comparator": "=",
    "kind": "target",
    "period_year": 2024,
}


def record(**fields: Any) -> Record:
    """PLAIN with `fields` changed; span_end and record_id follow from doc_id, span_start and mention."""
    values = {**PLAIN, **fields}
    values["span_end"] = values["span_start"] + len(values["mention"])
    values["record_id"] = make_record_id(values["doc_id"], values["span_start"], values["span_end"])
    return Record(**values)


def percent_record(
    kind: str, value: float, *, doc: str, published: str, year: int | None, at: int = 0, **fields: Any
) -> Record:
    """A percentage of 全国 as the tracking tests write them: indicator_id gdp_growth, the mention
    (`5.5%` unless given) at `at`, the sentence the mention alone unless given; `fields` change the rest."""
    mention = fields.pop("mention", f"{value:g}%")
    percent = {
        "doc_id": doc,
        "published": date.fromisoformat(published),
        "region": "全国",
        "sentence": mention,
        "mention": mention,
        "span_start": at,
        "indicator": None,
        "indicator_id": "gdp_growth",
        "value": value,
        "unit": "percent",
        "counter": None,
        "dimension": "percent",
        "kind": kind,
        "period_year": year,
    }
    return record(**{**percent, **fields})


def gdp_growth_record(
    kind: str, value: float, *, doc: str, published: str, year: int, **fields: Any
) -> Record:
    """国内生产总值增长5.5%: the growth a report aims at (about: ~) or reports (=), as percent_record."""
    return percent_record(
        kind,
        value,
        doc=doc,
        published=published,
        year=year,
        **{
            "sentence": f"国内生产总值增长{value:g}%",
            "indicator": "国内生产总值",
            "comparator": "~" if kind == "target" else "=",
            **fields,
        },
    )
