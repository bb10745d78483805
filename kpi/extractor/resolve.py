"""Stage 5 — resolve a found match into a quantity: exact value with magnitudes folded in, canonical
unit, counter and dimension, comparator, and the sign of a change rate."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache

from kpi.adapters.numerals import NumberError, magnitude, parse_arabic, parse_number
from kpi.extractor import reach
from kpi.vocabulary import Vocabulary, load

_TEN = Decimal(10)


# Not frozen: a frozen dataclass sets each field through object.__setattr__, and some 40,000 are built
# per 3 M characters. Stages never change one; they build another with `replace`.
@dataclass(slots=True, kw_only=True)
class Quantity:
    start: int  # mention span, comparator words included
    end: int
    num_start: int  # the number itself (for blocklist and overlap checks)
    value: Decimal
    value_max: Decimal | None
    unit: str
    dimension: str
    counter: str | None
    comparator: str
    surface_unit: str
    chinese: bool  # written in Chinese numerals
    has_magnitude: bool
    local_currency: bool  # a bare 元 whose currency depends on the region


def _comparator(v: Vocabulary, g: dict[str, str | None]) -> str:
    if g.get("sep"):
        return "between"
    if g.get("suf"):
        return v.suffix_comparators[g["suf"]]  # type: ignore[index]
    inner = g.get("inner") or g.get("cinner") or g.get("iinner") or g.get("inner_after")
    if inner:
        return v.inner_comparators[inner]
    if g.get("pre"):
        return v.prefix_comparators[g["pre"]]  # type: ignore[index]
    return "="


def _value(g: dict[str, str | None]) -> tuple[Decimal, Decimal | None, bool, bool]:
    """(value, value_max, chinese, has_magnitude) before the unit's scale is applied."""
    if pnum := g.get("pnum"):
        return parse_number(pnum), None, not pnum[0].isdigit(), False
    if bare := g.get("bare") or g.get("ibare"):
        return magnitude(bare), None, True, True
    if cnum := g.get("cnum"):
        return parse_number(cnum), None, True, any(c in "万亿" for c in cnum)
    mag = g.get("mag") or ""
    value = parse_arabic(g["num"]) * magnitude(mag)  # type: ignore[arg-type]
    if g.get("num2"):
        value += parse_arabic(g["num2"]) * magnitude(g["mag2"] or "")  # type: ignore[arg-type]
    high = None
    if g.get("hi"):
        high = parse_arabic(g["hi"]) * magnitude(g.get("hi_mag") or mag)  # type: ignore[arg-type]
        if not g.get("hi_mag") and mag:  # 1至2万 -> both ends in 万
            value = parse_arabic(g["num"]) * magnitude(mag)  # type: ignore[arg-type]
    return value, high, False, bool(mag or g.get("mag2"))


def resolve(m: re.Match[str]) -> Quantity | None:
    """The quantity a match stands for, or None when the surface is not a number of ours."""
    v = load()
    g = m.groupdict()
    surface = g.get("unit") or g.get("punit") or g.get("cheng") or ""
    unit = v.units[surface]
    try:
        value, high, chinese, has_mag = _value(g)
    except (NumberError, ArithmeticError):
        return None
    if g.get("cheng") and g.get("tail"):
        value = value * _TEN + Decimal(g["tail"])  # type: ignore[arg-type]
        unit = replace(unit, scale=Decimal(1))
    if unit.needs_magnitude and not has_mag:
        return None
    if g.get("lo_unit") and g["lo_unit"] != surface:  # 6%-6.5%, 100万元至300万元: one unit on both ends
        return None
    value *= unit.scale
    if high is not None:
        high *= unit.scale
        if high <= value:
            return None
    num_group = (
        "num"
        if g["num"]
        else "cnum"
        if g["cnum"]
        else "bare"
        if g["bare"]
        else "ibare"
        if g["ibare"]
        else "punit"
    )
    num_start = m.start(num_group)
    start = m.start() if g.get("pre") and v.prefix_comparators.get(g["pre"]) != "=" else num_start  # type: ignore[arg-type]
    return Quantity(
        start=start,
        end=m.end(),
        num_start=num_start,
        value=value,
        value_max=high,
        unit=unit.code,
        dimension=unit.dimension,
        counter=surface if unit.counter else None,
        comparator=_comparator(v, g),
        surface_unit=surface,
        chinese=chinese,
        has_magnitude=has_mag,
        local_currency=unit.local,
    )


def _whole(
    start: int,
    end: int,
    num_start: int,
    value: Decimal,
    unit: str,
    dimension: str,
    comparator: str,
    *,
    chinese: bool = False,
    has_magnitude: bool = False,
) -> Quantity:
    """A quantity with one value, no counter and no written unit of its own (a rank, a fixed phrase,
    an implicit count of people)."""
    return Quantity(
        start=start,
        end=end,
        num_start=num_start,
        value=value,
        value_max=None,
        unit=unit,
        dimension=dimension,
        counter=None,
        comparator=comparator,
        surface_unit="",
        chinese=chinese,
        has_magnitude=has_magnitude,
        local_currency=False,
    )


def resolve_rank(m: re.Match[str]) -> Quantity | None:
    v = load()
    g = m.groupdict()
    try:
        if g.get("first"):
            if not (g.get("fscope") or g.get("fverb")):  # 摆在…的首位 is no ranking
                return None
            value = Decimal(1)
        else:
            value = parse_number(g.get("vnum") or g.get("onum") or g.get("snum") or g.get("tnum") or "")
    except NumberError:
        return None
    comparator = v.suffix_comparators[g["vsuf"]] if g.get("vsuf") else "="  # type: ignore[index]
    if g.get("tnum"):  # 全国前三: a place of 3 or better
        comparator = "<="
    return _whole(m.start(), m.end(), m.start(), value, "rank", "rank", comparator)


def resolve_fixed(m: re.Match[str]) -> Quantity:
    """A phrase that is a quantity on its own (翻一番 -> 2 times)."""
    v = load()
    spec = v.fixed[m.group("phrase")]
    dim = v.unit_dimensions[spec.code]
    return _whole(m.start(), m.end(), m.start(), spec.value, spec.code, dim, "=", chinese=True)


# Searched in the reach.SHARED_BEFORE characters before a quantity only, and bounded as the numbers of `find` are.
_LIST_JOINERS = "、和及与,，"
_SHARED = re.compile(
    rf"(?<![\d.,])(?P<num>\d{{1,20}}(?:\.\d{{1,12}})?)(?P<mag>[十百千万亿]{{0,4}})[ \t]*[{_LIST_JOINERS}][ \t]*$"
)


def _after_joiner(text: str, pos: int) -> bool:
    """Whether a list joiner (and blanks) stands right before `pos`: only then can `_SHARED` end there."""
    k = pos
    while k > 0 and text[k - 1] in " \t":
        k -= 1
    return k > 0 and text[k - 1] in _LIST_JOINERS


_JOINED = re.compile(rf"[ \t]*[{_LIST_JOINERS}][ \t]*")


def complete_units(quantities: list[Quantity | None], text: str) -> list[Quantity | None]:
    """In a list whose last item writes the whole unit once (高于全省2.2个和3.7个百分点), an item written
    with the start of it (2.2个) takes the whole unit: its unit is that word cut short, not a counter."""
    out, units = list(quantities), load().units
    for i in range(len(out) - 1, 0, -1):
        q, prev = out[i], out[i - 1]
        if (
            q is None
            or prev is None
            or prev.surface_unit == q.surface_unit
            or not q.surface_unit.startswith(prev.surface_unit)
            or prev.value_max is not None
            or not _JOINED.fullmatch(text, prev.end, q.start)
        ):
            continue
        value = prev.value / units[prev.surface_unit].scale * units[q.surface_unit].scale
        out[i - 1] = replace(
            prev,
            value=value,
            unit=q.unit,
            dimension=q.dimension,
            counter=q.counter,
            surface_unit=q.surface_unit,
        )
    return out


def share_unit(q: Quantity, text: str) -> list[Quantity]:
    """Bare numbers listed right before a quantity take its unit: 分别高4.2和0.7个百分点,
    净减少10.6万、3.8万、3.3万平方公里."""
    if q.dimension in ("rank", "time") or q.value_max is not None:
        return []
    scale = load().units[q.surface_unit].scale if q.surface_unit in load().units else Decimal(1)
    shared, start = [], q.start
    while _after_joiner(text, start) and (
        m := _SHARED.search(text, max(0, start - reach.SHARED_BEFORE), start)
    ):
        value = parse_arabic(m.group("num")) * magnitude(m.group("mag")) * scale
        end = m.start() + len(m.group("num")) + len(m.group("mag"))
        shared.append(
            replace(
                q, start=m.start(), end=end, num_start=m.start(), value=value, comparator="=", chinese=False
            )
        )
        start = m.start()
    return shared


@cache
def _person_nouns() -> tuple[str, ...]:
    return load().person_nouns


def _threshold_after(text: str, end: int, nouns: tuple[str, ...], v: Vocabulary) -> bool:
    """覆盖20万人口以上的县: the number, its noun and a bound then 的 and a noun are a class of that noun."""
    noun = next((n for n in sorted(nouns, key=len, reverse=True) if text.startswith(n, end)), None)
    if noun is None:
        return False
    rest = text[end + len(noun) : end + len(noun) + reach.QUALIFIER_AFTER + 2]
    bound = next((w for w in v.suffix_comparators if rest.startswith(w)), None)
    return bound is not None and rest[len(bound) : len(bound) + 1] == "的"


def resolve_implicit(m: re.Match[str], text: str) -> Quantity | None:
    """A unitless 万/亿 number next to a noun for people is a count of people."""
    nouns = _person_nouns()
    before = text[max(0, m.start() - reach.PERSON_BEFORE) : m.start()]
    after = text[m.end() : m.end() + reach.PERSON_AFTER]
    if not (any(n in before for n in nouns) or after.startswith(nouns) or after[2:].startswith(nouns)):
        return None
    v, g = load(), m.groupdict()
    if _threshold_after(text, m.end(), nouns, v):
        return None
    value = parse_arabic(g["num"]) * magnitude(g["mag"])
    start = m.start() if g.get("pre") else m.start("num")
    unit = v.units["人"]
    return _whole(
        start,
        m.end(),
        m.start("num"),
        value,
        unit.code,
        unit.dimension,
        _comparator(v, g),
        has_magnitude=True,
    )
