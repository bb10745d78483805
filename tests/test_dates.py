"""The dateline adapter: its direct readings agree with dateparser, impossible dates are none."""

from __future__ import annotations

from datetime import date, datetime

import dateparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi.adapters.dates import parse_date

_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_SETTINGS = {"RELATIVE_BASE": datetime(2000, 1, 1), "PREFER_DAY_OF_MONTH": "first", "REQUIRE_PARTS": ["year", "month"]}


def _dateparser(text: str) -> date | None:
    parsed = dateparser.parse(text, languages=["zh", "en"], settings=_SETTINGS)
    return parsed.date() if parsed else None


def _rfc(d: date, hour: int, minute: int, second: int, zone: str) -> str:
    return f"{_DAYS[d.weekday()]}, {d.day:02d} {_MONTHS[d.month - 1]} {d.year} {hour:02d}:{minute:02d}:{second:02d} {zone}"


_zones = st.sampled_from(["GMT", "+0000", "+0800", "-0500", "+1400"])
_dates = st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31))


@settings(max_examples=40, deadline=None)
@given(_dates, st.integers(0, 23), st.integers(0, 59), st.integers(0, 59), _zones)
def test_rfc_822_as_dateparser_reads_it(d: date, hour: int, minute: int, second: int, zone: str) -> None:
    text = _rfc(d, hour, minute, second, zone)
    assert parse_date(text) == _dateparser(text) == d


@settings(max_examples=40, deadline=None)
@given(_dates)
def test_year_month_as_dateparser_reads_it(d: date) -> None:
    text = f"{d.year}年{d.month}月"
    assert parse_date(text) == _dateparser(text) == date(d.year, d.month, 1)


@pytest.mark.parametrize(
    "text",
    [
        "Wed, 39 Oct 2032 31:79:11 +2386",  # garbage a broken feed writes
        "Tue, 31 Apr 2002 10:21:09 GMT",  # no 31 April
        "Tue, 12 Apr 2009 87:71:93 GMT",  # no such hour
        "Tue, 12 Apr 2022 02:27:27 +2386",  # no such offset
        "2008年0月",
        "2017年13月",  # dateparser would read 2017-03-01
        "2023-02-30",
    ],
)
def test_impossible_dates_are_none(text: str) -> None:
    assert parse_date(text) is None


def test_other_forms_go_to_dateparser() -> None:
    assert parse_date("12 April 2022") == date(2022, 4, 12)
    assert parse_date("2023年4月18日 15:04") == date(2023, 4, 18)
