"""Numbers as written in Chinese text -> exact Decimal values. The only module that imports cn2an.

Arabic digits (with thousands separators and magnitude characters: 3.9亿, 1,821万, 8亿2000万) are
folded here with Decimal arithmetic; Chinese numerals (三百, 一百二十五, 两千) go through cn2an, whose
float result is converted back to an exact Decimal."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

MAGNITUDES: dict[str, Decimal] = {
    "十": Decimal(10),
    "百": Decimal(100),
    "千": Decimal(1000),
    "万": Decimal(10_000),
    "亿": Decimal(100_000_000),
}
CHINESE_NUMERAL_CHARS = "零〇一二两三四五六七八九十百千万亿点"
_SEGMENT = re.compile(r"(\d+(?:\.\d+)?)([十百千万亿]*)")
_PLAIN = re.compile(r"\d+(?:\.\d+)?")


class NumberError(ValueError):
    """Raised when a surface is not a number this adapter understands."""


@lru_cache(maxsize=256)
def magnitude(chars: str) -> Decimal:
    """Fold a run of magnitude characters: 万亿 -> 1e12, 百万 -> 1e6."""
    factor = Decimal(1)
    for ch in chars:
        factor *= MAGNITUDES[ch]
    return factor


@lru_cache(maxsize=4096)
def parse_arabic(surface: str) -> Decimal:
    """'3.9亿' -> 390000000, '1,821万' -> 18210000, '8亿2000万' -> 820000000, '12' -> 12."""
    text = surface.replace(",", "").replace(" ", "")
    if _PLAIN.fullmatch(text):  # the common case: digits, perhaps a decimal point
        return Decimal(text)
    if not text or not text[0].isdigit():
        raise NumberError(surface)
    total = Decimal(0)
    pos = 0
    for m in _SEGMENT.finditer(text):
        if m.start() != pos:
            raise NumberError(surface)
        total += Decimal(m.group(1)) * magnitude(m.group(2))
        pos = m.end()
    if pos != len(text):
        raise NumberError(surface)
    return total


@lru_cache(maxsize=4096)
def parse_chinese(surface: str) -> Decimal:
    """'三百' -> 300, '一百二十五' -> 125, '两千' -> 2000, '三点五' -> 3.5 (via cn2an, made exact)."""
    import cn2an

    try:
        value = cn2an.cn2an(surface, "smart")
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise NumberError(surface) from exc
    return _exact(value)


def _exact(value: float) -> Decimal:
    if isinstance(value, int):
        return Decimal(value)
    # cn2an returns floats: round-trip through repr gives the shortest exact decimal (3.5, not 3.4999…)
    return Decimal(repr(float(value))).normalize()


def parse_number(surface: str) -> Decimal:
    """Any supported surface: Arabic, Chinese numerals, or Arabic followed by magnitudes."""
    s = surface.strip()
    if not s:
        raise NumberError(surface)
    if s[0].isdigit():
        return parse_arabic(s)
    return parse_chinese(s)
