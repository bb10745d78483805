"""Stage 6 — reject what the rule book says is not a record: numbers in masked spans (furniture,
mojibake), inside names, slogans, ordinals and dates (the blocklist), years written as quantities,
durations that are not indicators, small counts in Chinese numerals (enumerations: 四个方面), and
amounts that qualify the noun of a later count (亿元以上企业12个, 20亿元项目1个)."""

from __future__ import annotations

import bisect
import re
from decimal import Decimal
from functools import cache

from kpi.extractor import reach
from kpi.extractor.clause import marks
from kpi.extractor.resolve import Quantity
from kpi.extractor.segment import Layout
from kpi.vocabulary import alternation, load

_YEAR_MIN, _YEAR_MAX = Decimal(1900), Decimal(2100)
# Counts in Chinese numerals below this are enumerations and names (四个方面, 新政十八条), not KPIs.
_CHINESE_COUNT_MIN = Decimal(100)
_CHINESE_SMALL_OK = frozenset({"percent", "pp", "times", "rank"})  # 三成, 两倍, 第一
_CJK = re.compile(r"[\u4e00-\u9fff]")


@cache
def _time_kpi_words() -> tuple[str, ...]:
    return load().time_kpi_words


@cache
def _qualifier_gap() -> re.Pattern[str]:
    """Text between an amount and a later count that makes the amount a qualifier of the counted noun."""
    joiners = alternation(load().qualifier.joiners)
    return re.compile(rf"^(?:(?:{joiners})[\u4e00-\u9fff“”\"]{{0,12}}|[\u4e00-\u9fff“”\"]{{1,12}})$")


@cache
def _qualifier_breakers() -> tuple[str, ...]:
    return load().qualifier.breakers


def blocked_spans(text: str, positions: list[int]) -> list[tuple[int, int]]:
    """Spans of blocked names near the given number positions (scanning the whole text is slower)."""
    windows: list[tuple[int, int]] = []
    for pos in sorted(positions):
        s, e = max(0, pos - reach.BLOCK_BEFORE), min(len(text), pos + reach.BLOCK_AFTER)
        opening = text.rfind("《", max(0, pos - reach.TITLE_BEFORE), pos)
        if opening != -1 and opening < s and text.rfind("》", opening, pos) == -1:
            s = opening
        if windows and s <= windows[-1][1]:
            windows[-1] = (windows[-1][0], e)
        else:
            windows.append((s, e))
    blocked = load().blocked
    return [m.span() for s, e in windows for m in blocked.finditer(text, s, e)]


def _in_blocked(spans: list[tuple[int, int]], pos: int) -> bool:
    k = bisect.bisect_right(spans, (pos, 1 << 62)) - 1
    while k >= 0:
        s, e = spans[k]
        if s <= pos < e:
            return True
        if e <= pos and s < pos - reach.BLOCKED_LOOKBACK:
            return False
        k -= 1
    return False


def _is_time_indicator(q: Quantity, text: str) -> bool:
    if q.surface_unit in ("岁", "周岁") or q.value != q.value.to_integral_value():
        return True
    before = text[max(0, q.start - reach.CUE_BEFORE) : q.start]
    return any(w in before for w in _time_kpi_words())


@cache
def _qualifier_vocab() -> tuple[tuple[str, ...], frozenset[str], tuple[str, ...], tuple[str, ...]]:
    q = load().qualifier
    return q.followers, frozenset(q.threshold_dimensions), q.preceders, q.marks


def is_qualifier(q: Quantity, text: str) -> bool:
    """A size class (26兆瓦级), a bracket (100万元至300万元部分), an example (比如30%), or a bounded
    threshold written before its noun (500万元以上固定资产)."""
    followers, threshold_dims, preceders, marks = _qualifier_vocab()
    after = text[q.end : q.end + reach.QUALIFIER_AFTER]
    if after.startswith(followers) or text[max(0, q.start - reach.QUALIFIER_BEFORE) : q.start].rstrip(
        " (（"
    ).endswith(preceders):
        return True
    bounded = q.comparator not in ("=", "~", "between")
    if bounded and after[:1] == "的" and _CJK.match(after[1:2]):  # 城区人口超过50万的城市
        return True
    if q.dimension in threshold_dims and bounded and not after.startswith(marks):  # 突破万亿元大关
        return bool(after) and _CJK.match(after[0]) is not None
    return False


def is_set_size(q: Quantity, text: str) -> bool:
    """A count whose clause closes with 之一: the size of a set its subject is one of."""
    if q.dimension not in ("count", "person"):
        return False
    members = load().qualifier.members
    reach_end = q.end + reach.MEMBER_AFTER
    if all(text.find(m, q.end, reach_end) < 0 for m in members):
        return False
    line_end = text.find("\n", q.end, reach_end)
    stop = reach_end if line_end < 0 else line_end
    end = marks().mark.search(text, q.end, stop)
    clause = text[q.end : end.start() if end else stop]
    return clause.endswith(members)


def keep(q: Quantity, text: str, layout: Layout, blocked: list[tuple[int, int]]) -> bool:
    """False when the quantity is not a record by the rule book's §1."""
    if layout.is_masked(q.start, q.end):
        return False
    if q.unit != "rank" and _in_blocked(blocked, q.num_start):
        return False
    if q.unit == "year" and _YEAR_MIN <= q.value <= _YEAR_MAX:  # 2023年, 二〇二三年: a date
        return False
    if q.dimension == "time" and not _is_time_indicator(q, text):
        return False
    if q.chinese and q.dimension in ("count", "person", "time") and q.value < _CHINESE_COUNT_MIN:
        return False
    if q.chinese and q.value < 10 and q.dimension not in _CHINESE_SMALL_OK:  # 最后一公里 is a metaphor
        return False
    return not (is_qualifier(q, text) or is_set_size(q, text))


def drop_qualifiers(quantities: list[Quantity], text: str) -> list[Quantity]:
    """Drop an amount that is followed, in the same clause, by a noun and a count of that noun."""
    gap, breakers = _qualifier_gap(), _qualifier_breakers()
    out = []
    for i, q in enumerate(quantities):
        nxt = quantities[i + 1] if i + 1 < len(quantities) else None
        if (
            nxt is not None
            and nxt.dimension in ("count", "person")
            and q.dimension not in ("count", "person")
        ):
            between = text[q.end : nxt.start]
            if between and gap.match(between) and not any(b in between for b in breakers):
                continue
        out.append(q)
    return out


def drop_overlaps(quantities: list[Quantity]) -> list[Quantity]:
    """Earlier-listed quantities win over later ones that overlap them (ranks and phrases first)."""
    taken: list[tuple[int, int]] = []  # sorted, disjoint
    out = []
    for q in quantities:
        k = bisect.bisect_left(taken, (q.start, q.start))
        if (k > 0 and taken[k - 1][1] > q.start) or (k < len(taken) and taken[k][0] < q.end):
            continue
        taken.insert(k, (q.start, q.end))
        out.append(q)
    return sorted(out, key=lambda q: q.start)
