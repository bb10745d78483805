"""Date strings found in pages -> dates. The only module that imports dateparser.

The engine never reads today's date: every call passes an explicit reference date, so relative
words resolve deterministically (dateparser's RELATIVE_BASE).

dateparser costs 1-12 ms a call; the forms datelines take most often (numeric dates, 2023年4月, RFC 822
feed dates) are read here directly, the same way dateparser reads them (tests/test_dates.py holds them
to that), and an impossible date in one of those forms is no date."""

from __future__ import annotations

import re
from datetime import date, datetime
from email.utils import parsedate_tz
from functools import lru_cache

_ISO = re.compile(r"^\s*((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")
_YEAR_MONTH = re.compile(r"^\s*((?:19|20)\d{2})年(\d{1,2})月\s*$")
_RFC_822 = re.compile(r"^\s*(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} ")
_FIXED_REFERENCE = datetime(2000, 1, 1)
_MAX_OFFSET_SECONDS = 14 * 3600


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _rfc_822(text: str) -> date | None:
    parts = parsedate_tz(text)
    if parts is None:
        return None
    year, month, day, hour, minute, second, *_, offset = parts
    if hour > 23 or minute > 59 or second > 59 or abs(offset or 0) > _MAX_OFFSET_SECONDS:
        return None
    return _date(year, month, day)  # the calendar date as written, as dateparser gives it


@lru_cache(maxsize=1024)
def parse_date(text: str, reference: date | None = None) -> date | None:
    """Parse a dateline ('2022-11-03 15:04', '2023年4月18日', 'Tue, 12 Apr 2022 02:27:27 GMT')."""
    if m := _ISO.match(text):
        return _date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _YEAR_MONTH.match(text):
        return _date(int(m.group(1)), int(m.group(2)), 1)  # PREFER_DAY_OF_MONTH first
    if _RFC_822.match(text):
        return _rfc_822(text)
    import dateparser

    base = datetime.combine(reference, datetime.min.time()) if reference else _FIXED_REFERENCE
    parsed = dateparser.parse(
        text,
        languages=["zh", "en"],
        settings={"RELATIVE_BASE": base, "PREFER_DAY_OF_MONTH": "first", "REQUIRE_PARTS": ["year", "month"]},
    )
    return parsed.date() if parsed else None
