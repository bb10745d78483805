"""`extract(text, doc_id=…, published=…)` (exposed as `kpi.extract`): the extractor's one entry point.

normalise → layout → document model → find → resolve → reject → indicator → interpret (kind and
period) → records.
Each stage is a module of `kpi.extractor`; this one only wires them together."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from functools import cache

from kpi.extractor import reach
from kpi.extractor.document import DocumentModel, document_model
from kpi.extractor.find import find_fixed, find_implicit, find_quantities, find_ranks
from kpi.extractor.indicator import sentence_indicators
from kpi.extractor.interpret import interpret
from kpi.extractor.normalise import normalise
from kpi.extractor.reject import blocked_spans, drop_overlaps, drop_qualifiers, keep
from kpi.extractor.resolve import (
    Quantity,
    complete_units,
    resolve,
    resolve_fixed,
    resolve_implicit,
    resolve_rank,
    share_unit,
)
from kpi.extractor.segment import Layout, Sentence, layout
from kpi.record import Record, make_record_id
from kpi.taxonomy import indicator_id_for
from kpi.vocabulary import alternation, load

_SIGNED = ("percent", "pp")


@cache
def _sign_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    v = load()
    decrease = re.compile(f"(?:{alternation(v.decrease_words)})[了为达是\\s]*$")
    level = re.compile(f"(?:{alternation(v.level_words)})[了\\s]*$")
    return decrease, level


def _quantities(text: str, lay: Layout) -> dict[int, list[Quantity]]:
    """The document's record-worthy quantities, grouped by the start of their sentence."""
    found: list[Quantity | None] = [resolve_rank(m) for m in find_ranks(text)]
    found += [resolve_fixed(m) for m in find_fixed(text)]
    resolved = complete_units([resolve(m) for m in find_quantities(text)], text)
    found += resolved
    found += [shared for q in resolved if q is not None for shared in share_unit(q, text)]
    found += [resolve_implicit(m, text) for m in find_implicit(text, lay.boundaries)]
    candidates = drop_overlaps([q for q in found if q is not None])
    blocked = blocked_spans(text, [q.num_start for q in candidates])
    by_sentence: dict[int, list[Quantity]] = {}
    for q in candidates:
        if keep(q, text, lay, blocked):
            by_sentence.setdefault(lay.sentence_at(q.start).start, []).append(q)
    return {start: drop_qualifiers(qs, text) for start, qs in by_sentence.items()}


_LIST_JOINER = re.compile(r"^[、和及与\s]*$")
# 不低于740元/月和485元/月, 约有320间酒店和180间宾馆: the second item of a pair shares the first's bound
_PAIR_JOINER = re.compile(r"^(?:/[\u4e00-\u9fff]{1,2}|[\u4e00-\u9fff]{1,4})?[和及与]\s*$")


def _inherit_comparator(q: Quantity, previous: Quantity | None, text: str) -> Quantity:
    if previous is None or q.comparator != "=" or previous.comparator in ("=", "between"):
        return q
    if previous.start == previous.num_start or not _PAIR_JOINER.match(text[previous.end : q.start]):
        return q  # only a bound written before the first number (不低于, 约) reaches over the pair
    return replace(q, comparator=previous.comparator)


def _is_decrease(q: Quantity, text: str, floor: int, previous: tuple[Quantity, bool] | None) -> bool:
    """A change after 下降/减少/回落…; in a list (下降46.8%、60.8%) the sign carries to the next item."""
    if q.dimension not in _SIGNED:
        return False
    if (
        previous is not None
        and previous[0].dimension == q.dimension
        and _LIST_JOINER.match(text[previous[0].end : q.start])
    ):
        return previous[1]
    before = text[max(floor, q.start - reach.CUE_BEFORE) : q.start]
    decrease, level = _sign_patterns()
    return bool(decrease.search(before)) and not level.search(before)


def _unit(q: Quantity, sentence: Sentence, ctx: DocumentModel) -> str:
    if not q.local_currency or ctx.currency is None:
        return q.unit
    local = ctx.currency
    if local and "人民币" not in sentence.text:
        return local
    return q.unit


def extract(
    text: str, *, doc_id: str, published: date | None = None, region: str | None = None
) -> list[Record]:
    """Every KPI record in `text` (a raw document as crawled), in text order.

    `published` is the reference for relative periods (今年, 去年); when None it is detected in the
    page, never taken from the clock. `region` is copied to the records, else detected."""
    norm = normalise(text)
    t = norm.text
    lay = layout(t)
    ctx = document_model(t, text, lay, published, region)
    records: list[Record] = []
    for start, quantities in _quantities(t, lay).items():
        sentence = lay.sentence_at(start)
        floor, previous = sentence.start, None
        signed: list[tuple[Quantity, bool]] = []
        for q in quantities:
            q = _inherit_comparator(q, previous[0] if previous else None, t)
            negative = _is_decrease(q, t, floor, previous)
            signed.append((q, negative))
            floor, previous = q.end, (q, negative)
        indicators = sentence_indicators(
            t, sentence.start, sentence.end, [q for q, _ in signed], [neg for _, neg in signed]
        )
        pub = _published_at(sentence, lay, ctx)
        for (q, negative), indicator in zip(signed, indicators, strict=True):
            records.append(_record(t, sentence, q, ctx, pub, doc_id, negative, indicator))
    return records


def _published_at(sentence: Sentence, lay: Layout, ctx: DocumentModel) -> date | None:
    """The date the sentence speaks from: a dateline before it (never before the document's own)."""
    pub = lay.date_before(sentence.start) or ctx.published
    if ctx.published and pub and pub < ctx.published:
        pub = ctx.published
    return pub


def _record(
    t: str,
    sentence: Sentence,
    q: Quantity,
    ctx: DocumentModel,
    pub: date | None,
    doc_id: str,
    negative: bool,
    indicator: str | None,
) -> Record:
    meaning = interpret(t, sentence, q.start, q.end, ctx, pub)
    unit = _unit(q, sentence, ctx)
    indicator_id = indicator_id_for(indicator, unit=unit)
    value = -q.value if negative else q.value
    return Record(
        record_id=make_record_id(doc_id, q.start, q.end),
        doc_id=doc_id,
        published=ctx.published,
        region=ctx.region,
        sentence=sentence.text,
        mention=t[q.start : q.end],
        span_start=q.start,
        span_end=q.end,
        indicator=indicator,
        indicator_id=indicator_id,
        value=float(value),
        value_max=float(q.value_max) if q.value_max is not None else None,
        unit=unit,
        counter=q.counter if q.dimension in ("count", "person") else None,
        dimension=q.dimension,
        comparator=q.comparator,
        kind=meaning.kind,
        period_year=meaning.period_year,
        period_start=meaning.period_start,
    )
