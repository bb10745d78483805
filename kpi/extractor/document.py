"""The model of a document that every record reads from: its publication date, its region, its genre
(work report, bulletin, other) and, for each paragraph, what it does — review of a year, review of a
plan period, goals of a plan period, targets or tasks of a year — with the years it speaks of."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import date

from kpi.extractor import reach
from kpi.extractor.region import detect_region
from kpi.extractor.segment import Layout
from kpi.extractor.structure import NONE, decode, heading_modes, is_work_report
from kpi.extractor.structure_vocab import structure
from kpi.taxonomy import local_currency, normalise_region
from kpi.vocabulary import load

PLAN_YEARS = 5  # a five-year plan (十四五: 2021-2025)
_YEAR = re.compile(r"((?:19|20)\d{2})年")


@dataclass(frozen=True, slots=True)
class Section:
    """What a paragraph does: its mode, the kind its quantities have unless their clause says
    otherwise, the year it speaks of, and the first year of its period (a plan period's first)."""

    mode: str
    kind: str | None
    year: int | None
    start: int | None


@dataclass(frozen=True, slots=True)
class DocumentModel:
    published: date | None
    region: str | None
    genre: str  # "work_report" | "bulletin" | "other"
    bulletin_year: int | None
    currency: str | None  # what a bare 元 means in the region where it is not CNY (HKD, MOP)
    _offsets: tuple[int, ...]
    _sections: tuple[Section, ...]

    def section_at(self, offset: int) -> Section:
        """The section (paragraph mode) holding `offset`."""
        k = bisect.bisect_right(self._offsets, offset) - 1
        return self._sections[max(k, 0)]


def _published(layout: Layout) -> date | None:
    """The date of the line that names the body a report was delivered to (…人民代表大会…上) where the
    head has one, else the first dateline near the top."""
    head = [(o, d) for o, d in layout.datelines if o < reach.DATELINE_REACH]
    for offset, d in head:
        line_end = layout.text.find("\n", offset)
        line = layout.text[offset : line_end if line_end != -1 else None]
        if any(w in line for w in structure().institutions):
            return d
    return head[0][1] if head else None


def _bulletin_year(text: str) -> int | None:
    s = structure()
    for line in text[: s.bulletin_head_chars].split("\n"):
        if len(line) <= s.bulletin_title_max_chars and any(w in line for w in s.bulletin_words):
            m = _YEAR.search(line)
            if m:
                return int(m.group(1))
    return None


def _plan_years(pub_year: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """(first, last) year of the plan that ended before `pub_year` and of the one after it."""
    ends = sorted(set(load().plans.values()))
    ended = max((e for e in ends if e < pub_year), default=pub_year - 1)
    coming = min((e for e in ends if e >= pub_year), default=ended + PLAN_YEARS)
    return (ended - PLAN_YEARS + 1, ended), (coming - PLAN_YEARS + 1, coming)


def section_for(mode: str, published: date | None) -> Section:
    """The years a mode speaks of in a document published on `published`."""
    spec = structure().mode(mode) if mode != NONE else None
    if published is None:
        return Section(mode, spec.kind if spec else None, None, None)
    y = published.year
    ended, coming = _plan_years(y)
    first, last = {
        "review_year": (y - 1, y - 1),
        "review_plan": ended,
        "goals_plan": coming,
    }.get(mode, (y, y))
    return Section(mode, spec.kind if spec else None, last, first)


def _paragraph_sections(
    layout: Layout, published: date | None, report: bool
) -> tuple[tuple[int, ...], tuple[Section, ...]]:
    starts, paragraphs = [], []
    text = layout.text
    ends = layout.line_starts[1:] + [len(text) + 1]
    for start, end in zip(layout.line_starts, ends):
        paragraph = text[start : end - 1].strip()
        if paragraph:
            starts.append(start)
            paragraphs.append(paragraph)
    modes = decode(paragraphs, published.year if published else None) if report else heading_modes(paragraphs)
    by_mode = {m: section_for(m, published) for m in set(modes)}
    sections = tuple(by_mode[m] for m in modes)
    return tuple(starts), sections


def document_model(
    text: str, raw: str, layout: Layout, published: date | None, region: str | None
) -> DocumentModel:
    """Read what a document says about itself; `published` and `region` from the input win."""
    published = published or _published(layout)
    region = normalise_region(region) if region else detect_region(text, raw)
    bulletin = _bulletin_year(text)
    currency = local_currency(region) if region else None
    if bulletin is not None:
        section = Section("review_year", "actual", bulletin, bulletin)
        return DocumentModel(published, region, "bulletin", bulletin, currency, (0,), (section,))
    report = is_work_report(text)
    offsets, sections = _paragraph_sections(layout, published, report)
    if not offsets:
        offsets, sections = (0,), (section_for(NONE, published),)
    genre = "work_report" if report else "other"
    return DocumentModel(published, region, genre, None, currency, offsets, sections)
