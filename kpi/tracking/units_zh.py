"""Values as a Chinese reader writes them: 616亿斤, 64.1万人, 5.5%, 7140万亩 — never 6.16e10 or `jin`.

>>> say(616e8, "jin"), say(641000, "person"), say(5.5, "percent"), say(1.1e8, "mu")
('616亿斤', '64.1万人', '5.5%', '1.1亿亩')
>>> say(9e11, "CNY"), say(-2.5, "percent"), say(0.9, "pp"), say(18000, "count", counter="家")
('9000亿元', '-2.5%', '0.9个百分点', '1.8万家')
>>> scale_for([616e8, 620e8], "jin")
Scale(divisor=100000000, label='亿斤')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, NamedTuple

from kpi.vocabulary import read_toml


def _load() -> dict[str, Any]:
    return read_toml("unit_words")  # its tables checked at load (kpi.vocabulary.TABLES)


_DATA = _load()
WORDS: dict[str, str] = dict(_DATA["words"])
# Units written with 万/亿 in front when large; the others (%, 个百分点, 倍, 微克/立方米, 年 …) never are.
_MAGNIFIED = frozenset(_DATA["magnified"]["codes"])
_MAGNITUDES = tuple(sorted(((int(v), k) for k, v in _DATA["magnitudes"].items()), reverse=True))
_MAG_WORDS = "|".join(re.escape(w) for w in _DATA["counter"]["magnitude_words"])
_COUNTER = re.compile(rf"\d[\d.,]*\s*(?:{_MAG_WORDS})?\s*([\u4e00-\u9fff])")
_NOT_COUNTERS = frozenset(_DATA["counter"]["not_counters"])


class Scale(NamedTuple):
    """Divide values by `divisor`, then write `label` after them (an axis of 亿斤)."""

    divisor: int
    label: str


def word(unit: str, counter: str | None = None) -> str:
    """The unit in words: 斤 for `jin`, the measure word (家, 项) for a `count` when known."""
    if unit == "count" and counter:
        return counter
    return WORDS.get(unit, unit)


def counter_of(mention: str | None) -> str | None:
    """The measure word after the number of a count as written: 家 in 突破1.8万家."""
    found = _COUNTER.search(mention or "")
    return found.group(1) if found and found.group(1) not in _NOT_COUNTERS else None


def scale_for(values: Iterable[float | None], unit: str, counter: str | None = None) -> Scale:
    """The magnitude that writes the largest of `values` with at most four digits before the point."""
    top = max((abs(v) for v in values if v is not None), default=0.0)
    if unit in _MAGNIFIED:
        for divisor, prefix in _MAGNITUDES:
            if top >= divisor:
                return Scale(divisor, prefix + word(unit, counter))
    return Scale(1, word(unit, counter))


def plain(number: float, digits: int = 4) -> str:
    """A number without exponent or float noise: 871.6, 0.9, -2.5, 1300."""
    text = format(Decimal(repr(round(number, digits))).normalize(), "f")
    return "0" if text in ("-0", "0") else text


def say(value: float, unit: str, *, counter: str | None = None) -> str:
    """One value in words, its own magnitude chosen: 616亿斤, 5.5%."""
    divisor, label = scale_for([value], unit, counter)
    return f"{plain(value / divisor)}{label}"
