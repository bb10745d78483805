"""Property tests for the number parser (kpi.adapters.numerals) and a fuzz of the whole extractor.

The parser must be exact (Decimal in, Decimal out: 1.24万 is 12400, not 12400.000000000002), must agree with
cn2an on every Chinese numeral it writes, and must fail only with NumberError. The extractor must never raise,
whatever the text, and every record it gives must point at its mention in the normalised text."""

from __future__ import annotations

import math
from decimal import Decimal

import cn2an
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kpi.adapters.numerals import (
    MAGNITUDES,
    NumberError,
    magnitude,
    parse_arabic,
    parse_chinese,
    parse_number,
)
from kpi.extractor.extract import extract
from kpi.extractor.normalise import normalise
from kpi.record import make_record_id

# The first call loads OpenCC and builds the vocabulary regexes: no per-example deadline.
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

integers = st.integers(min_value=0, max_value=10**15)
decimals = st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False, allow_infinity=False)
magnitude_runs = st.text(alphabet="十百千万亿", min_size=1, max_size=3)


def plain(d: Decimal) -> str:
    """A decimal as the text writes it (never 1E+1)."""
    return format(d, "f")


# --- Arabic numerals ----------------------------------------------------------------------------


@FAST
@given(integers)
@example(1821)
def test_arabic_integer_with_thousands_separators(n: int) -> None:
    assert parse_arabic(f"{n:,}") == n
    assert parse_arabic(str(n)) == n


@FAST
@given(decimals)
def test_arabic_decimal_is_exact(d: Decimal) -> None:
    assert parse_arabic(plain(d)) == d


@FAST
@given(decimals)
@example(Decimal("1.24"))
def test_arabic_decimal_with_wan_is_exact(d: Decimal) -> None:
    """str(d) + 万 is d × 10000 exactly; as a float it is the float of that exact product."""
    value = parse_arabic(plain(d) + "万")
    assert value == d * 10000
    assert float(value) == float(d * 10000)


@FAST
@given(integers)
@example(1821)
def test_thousands_separators_then_magnitude(n: int) -> None:
    assert parse_arabic(f"{n:,}万") == n * 10_000  # 1,821万
    assert parse_arabic(f"{n:,}亿") == n * 100_000_000


@FAST
@given(st.integers(min_value=1, max_value=9999), st.integers(min_value=1, max_value=9999))
@example(8, 2000)
def test_compound_magnitudes(yi: int, wan: int) -> None:
    assert parse_arabic(f"{yi}亿{wan}万") == yi * 100_000_000 + wan * 10_000  # 8亿2000万


# --- magnitude folding -------------------------------------------------------------------------


@FAST
@given(magnitude_runs)
@example("万亿")
@example("百万")
def test_magnitude_is_the_product_of_its_characters(chars: str) -> None:
    assert magnitude(chars) == math.prod(MAGNITUDES[c] for c in chars)


@FAST
@given(decimals, magnitude_runs)
def test_magnitude_folds_into_the_value(d: Decimal, chars: str) -> None:
    assert parse_arabic(plain(d) + chars) == d * magnitude(chars)


def test_named_magnitudes() -> None:
    assert magnitude("") == 1
    assert magnitude("万亿") == 10**12
    assert parse_arabic("3.9亿") == Decimal(390000000)
    assert parse_arabic("63.6万亿") == Decimal(63600000000000)


# --- Chinese numerals --------------------------------------------------------------------------


@FAST
@given(st.integers(min_value=0, max_value=99_999_999))
@example(300)
@example(10)
@example(10_001)
def test_chinese_integer_round_trip(n: int) -> None:
    surface = cn2an.an2cn(n)
    assert parse_chinese(surface) == n
    assert parse_number(surface) == n


@FAST
@given(st.integers(min_value=0, max_value=9999), st.integers(min_value=1, max_value=99))
def test_chinese_decimal_round_trip(whole: int, hundredths: int) -> None:
    """三点五 → 3.5 exactly: cn2an's float is turned back into the shortest exact decimal."""
    d = Decimal(whole) + Decimal(hundredths) / 100
    assert parse_chinese(cn2an.an2cn(plain(d))) == d


@pytest.mark.parametrize(
    ("surface", "value"),
    [
        ("三百", 300),
        ("一百二十五", 125),
        ("两千", 2000),
        ("两百", 200),
        ("三点五", Decimal("3.5")),
        ("十", 10),
    ],
)
def test_chinese_examples(surface: str, value: Decimal) -> None:
    assert parse_chinese(surface) == value


# --- errors ------------------------------------------------------------------------------------

NUMBERISH = st.text(alphabet="零〇一二两三四五六七八九十百千万亿点0123456789.,%-+ 第个元ab", max_size=12)


@FAST
@given(st.one_of(st.text(max_size=20), NUMBERISH))
@example("")
@example("万")
@example("1.2.3")
@example("点")
def test_only_number_error_escapes(text: str) -> None:
    for parse in (parse_arabic, parse_chinese, parse_number):
        try:
            value = parse(text)
        except NumberError:
            continue
        assert isinstance(value, Decimal)


@pytest.mark.parametrize("surface", ["", " ", "abc", "万", "1.2.3", "12万x", "x12"])
def test_not_numbers(surface: str) -> None:
    with pytest.raises(NumberError):
        parse_arabic(surface)


# --- the whole extractor ----------------------------------------------------------------------

# Pieces of real text (numbers, units, comparators, cues, names, markup, mojibake), "|"-separated.
_PIECES = (
    "3.9|1,821|8|2000|12|0.5|2023|2035|100|1/3|三百|两千|一|十五|百分之|五|成|亿|万|万亿|千|元|亿元|美元|港元|%|‰|"
    "个百分点|倍|家|个|人|名|位|人次|户|万千瓦|亿斤|公顷|微克/立方米|平方公里|吨|岁|年|月|日|第|季度|以上|以内|"
    "左右|超|逾|约|近|不低于|多|余|-|—|至|~|、|，|,|。|；|增长|下降|降到|力争|确保|去年|今年|明年|全年|十四五|"
    "比|排名|全省|居世界首位|翻一番|“|”|《|》|(|)|經(jīng)濟(jì)|億|萬|<p>|</p>|&#123;|&nbsp;|![](x.png)|"
    "[链接](http://a.b)|鍏ㄥ勾|电话：|84683100|2022-11-03|推荐新闻|5G|G60|“1+2+n”"
)
TOKENS = [*_PIECES.split("|"), "\n", " ", "\u3000", "\u200b", "\ufffd"]
mixes = st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)


def assert_spans(text: str, doc_id: str) -> None:
    records = extract(text, doc_id=doc_id)
    normalised = normalise(text).text
    for r in records:
        assert normalised[r.span_start : r.span_end] == r.mention
        assert r.record_id == make_record_id(doc_id, r.span_start, r.span_end)
        assert math.isfinite(r.value)


@FUZZ
@given(st.text(max_size=200))
def test_extract_never_raises_on_any_text(text: str) -> None:
    assert_spans(text, "fuzz")


@FUZZ
@given(mixes)
@example("全年招引亿元以上企业12个，其中20亿元项目1个，外资到账3000万美元。")
@example("增长6%-6.5%，下降46.8%、60.8%，约8億2000萬元。")
def test_extract_never_raises_on_number_soup(text: str) -> None:
    assert_spans(text, "soup")
