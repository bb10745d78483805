"""Stages 6–7 support — what a document says about itself: publication date (from the input, else the
first dateline in the page), region (from the input, else markers such as 港元 for Hong Kong), whether it
is a bulletin reviewing a named year, and its sections (a work report reviews last year, then plans
this year)."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import date
from functools import cache

from kpi.extractor.segment import Layout
from kpi.vocabulary import alternation, load

Mode = str  # "review" | "plan" | "none"
_YEAR = re.compile(r"((?:19|20)\d{2})年")
_HEADING_MAX = 40


@dataclass(frozen=True, slots=True)
class DocContext:
    published: date | None
    region: str | None
    bulletin_year: int | None
    _offsets: tuple[int, ...]
    _modes: tuple[tuple[Mode, int | None], ...]

    def section_at(self, offset: int) -> tuple[Mode, int | None]:
        """(mode, reference year) of the section holding `offset`."""
        k = bisect.bisect_right(self._offsets, offset) - 1
        if k < 0:
            if self.bulletin_year is not None:
                return "review", self.bulletin_year
            return "none", self.published.year if self.published else None
        return self._modes[k]


@cache
def _region_markers() -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((region, tuple(words)) for region, words in load().raw["cues"]["region"].items())


def detect_region(text: str) -> str | None:
    """A region named by unambiguous markers (Hong Kong / Macau feeds), else None."""
    head = text[:20000].lower()
    counts = [(sum(head.count(w.lower()) for w in words), region) for region, words in _region_markers()]
    best = max(counts, default=(0, None))
    return best[1] if best[0] >= 2 else None


def _bulletin_year(text: str) -> int | None:
    head = text[:600]
    for line in head.split("\n"):
        if any(w in line for w in load().bulletin_words):
            m = _YEAR.search(line)
            if m:
                return int(m.group(1))
    return None


@cache
def _section_pattern() -> re.Pattern[str]:
    v = load()
    return re.compile(
        f"(?P<review>{alternation(v.review_sections)})|(?P<plan>{alternation(v.plan_sections)})"
    )


def _sections(
    layout: Layout, published: date | None
) -> tuple[tuple[int, ...], tuple[tuple[Mode, int | None], ...]]:
    pattern = _section_pattern()
    offsets: list[int] = []
    modes: list[tuple[Mode, int | None]] = []
    for s in layout.paragraph_openers():
        m = pattern.search(s.text[:_HEADING_MAX])
        if m is None:
            continue
        year = _YEAR.search(s.text[: m.start() + 8])
        pub_year = published.year if published else None
        if m.lastgroup == "review":
            ref = int(year.group(1)) if year else (pub_year - 1 if pub_year else None)
        else:
            plan = next((y for name, y in load().plans.items() if name in s.text[: m.start() + 8]), None)
            ref = int(year.group(1)) if year else plan or pub_year  # "十五五"时期主要目标任务 -> 2030
        offsets.append(s.start)
        modes.append((m.lastgroup or "none", ref))
    return tuple(offsets), tuple(modes)


def document_context(text: str, layout: Layout, published: date | None, region: str | None) -> DocContext:
    if published is None and layout.datelines:
        first_offset, first_date = layout.datelines[0]
        published = first_date if first_offset < 3000 else None
    region = region or detect_region(text)
    bulletin = _bulletin_year(text)
    offsets, modes = ((), ()) if bulletin is not None else _sections(layout, published)
    return DocContext(published, region, bulletin, offsets, modes)
