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
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import NamedTuple

from kpi.vocabulary import VocabularyError, checked, load, mapping, read_toml

_NAME = "unit_words"


@dataclass(frozen=True, slots=True)
class UnitWords:
    """`vocab/unit_words.toml`, checked at load: unknown and missing keys, wrong types and empty lists
    fail naming the file and the key."""

    words: dict[str, str]  # [words]: unit code -> its word, for every unit code of units.toml
    # [magnified]: units written with 万/亿 in front when large; the others (%, 个百分点, 倍, 微克/立方米, 年 …)
    # never are
    magnified: frozenset[str]
    magnitudes: tuple[tuple[int, str], ...]  # [magnitudes]: (factor, word), largest first
    counter: re.Pattern[str]  # [counter]: a number, maybe its magnitude words, and the character after
    not_counters: frozenset[str]  # [counter]: characters after a number that are no measure word


@cache
def unit_words() -> UnitWords:
    """The tables of `vocab/unit_words.toml`, loaded and checked once."""
    data = read_toml(_NAME)
    words = checked(_NAME, "words", data["words"], **dict.fromkeys(load().unit_dimensions, "str"))
    magnified = checked(_NAME, "magnified", data["magnified"], codes="Words")["codes"]
    unknown = sorted(set(magnified) - set(words))
    if unknown:
        raise VocabularyError(f"{_NAME}.toml [magnified] codes: {unknown} are not units of [words]")
    counter = checked(_NAME, "counter", data["counter"], not_counters="str", magnitude_words="Words")
    magnitude_words = "|".join(re.escape(w) for w in counter["magnitude_words"])
    magnitudes = mapping(_NAME, "magnitudes", data["magnitudes"], "int")
    return UnitWords(
        words=words,
        magnified=frozenset(magnified),
        magnitudes=tuple(sorted(((v, k) for k, v in magnitudes.items()), reverse=True)),
        counter=re.compile(rf"\d[\d.,]*\s*(?:{magnitude_words})?\s*([\u4e00-\u9fff])"),
        not_counters=frozenset(counter["not_counters"]),
    )


class Scale(NamedTuple):
    """Divide values by `divisor`, then write `label` after them (an axis of 亿斤)."""

    divisor: int
    label: str


def word(unit: str, counter: str | None = None) -> str:
    """The unit in words: 斤 for `jin`, the measure word (家, 项) for a `count` when known."""
    if unit == "count" and counter:
        return counter
    return unit_words().words.get(unit, unit)


def counter_of(mention: str | None) -> str | None:
    """The measure word after the number of a count as written: 家 in 突破1.8万家."""
    found = unit_words().counter.search(mention or "")
    return found.group(1) if found and found.group(1) not in unit_words().not_counters else None


def scale_for(values: Iterable[float | None], unit: str, counter: str | None = None) -> Scale:
    """The magnitude that writes the largest of `values` with at most four digits before the point."""
    top = max((abs(v) for v in values if v is not None), default=0.0)
    if unit in unit_words().magnified:
        for divisor, prefix in unit_words().magnitudes:
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
