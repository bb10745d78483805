"""Date strings found in pages -> dates. The only module that imports dateparser.

The engine never reads today's date: every call passes an explicit reference date, so relative
words resolve deterministically (dateparser's RELATIVE_BASE)."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

_ISO = re.compile(r"^\s*((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")
_FIXED_REFERENCE = datetime(2000, 1, 1)


@lru_cache(maxsize=1024)
def parse_date(text: str, reference: date | None = None) -> date | None:
    """Parse a dateline ('2022-11-03 15:04', '2023年4月18日', 'Tue, 12 Apr 2022 02:27:27 GMT')."""
    m = _ISO.match(text)
    if m:  # fast path for the common numeric form; dateparser is slow to start
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    import dateparser

    base = datetime.combine(reference, datetime.min.time()) if reference else _FIXED_REFERENCE
    parsed = dateparser.parse(
        text,
        languages=["zh", "en"],
        settings={"RELATIVE_BASE": base, "PREFER_DAY_OF_MONTH": "first", "REQUIRE_PARTS": ["year", "month"]},
    )
    return parsed.date() if parsed else None
