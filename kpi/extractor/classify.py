"""Stage 5 — target or actual, from the cue words nearest the quantity, then the document's structure.

Order of evidence: any cue before the quantity in its clause, or after it in the clause; a strong cue
before it in its sentence, then in its paragraph; the section (a plan sets targets, a review and a
bulletin report results); last, the period against the publication date."""

from __future__ import annotations

import re
from functools import cache

from kpi.extractor.context import DocContext
from kpi.extractor.segment import Sentence
from kpi.vocabulary import alternation, load

_CLAUSE_BREAK = re.compile(r"[,，:：;；]")


@cache
def _cues(strong_only: bool, in_section: bool = False) -> re.Pattern[str]:
    kind = load().raw["cues"]["kind"]
    neutral = load().raw["cues"].get("neutral", {}).get("words", [])
    target = set(kind["target"]) | set(kind["target_weak"])
    actual = set(kind["actual"]) | set(kind["actual_weak"])
    if strong_only:
        target -= set(kind["target_weak"])
        actual -= set(kind["actual_weak"])
    if in_section:
        neutral = list(neutral) + list(kind["section_ignores"])
    return re.compile(f"(?P<neutral>{alternation(neutral)})|(?P<target>{alternation(target)})|(?P<actual>{alternation(actual)})")


def last_cue(text: str, *, strong_only: bool = True, in_section: bool = False) -> str | None:
    kind = None
    for m in _cues(strong_only, in_section).finditer(text):
        if m.lastgroup != "neutral":
            kind = m.lastgroup
    return kind


def _first_cue(text: str) -> str | None:
    for m in _cues(False).finditer(text):
        if m.lastgroup != "neutral":
            return m.lastgroup
    return None


def _clause_end(text: str, start: int, stop: int) -> int:
    m = _CLAUSE_BREAK.search(text, start, stop)
    return m.start() if m else stop


def classify(
    text: str,
    sentence: Sentence,
    start: int,
    end: int,
    ctx: DocContext,
    period_year: int | None,
) -> str:
    """'target' or 'actual' for the quantity at text[start:end]."""
    if ctx.bulletin_year is not None:
        return "actual"
    mode, _ = ctx.section_at(sentence.start)
    sec = mode != "none"
    before = text[sentence.start : start]
    clause_start = max((m.end() for m in _CLAUSE_BREAK.finditer(before)), default=0)
    clause = before[clause_start:]
    kind = last_cue(clause, in_section=sec)
    if not sec:  # weak cues (同比, 完成) decide only outside a review or a plan: 比上年增加 is planned in a plan
        kind = kind or last_cue(clause, strong_only=False) or _first_cue(text[end : _clause_end(text, end, sentence.end)])
    if mode == "none":  # inside a review or a plan only the clause overrides the section
        kind = kind or last_cue(before)
        kind = kind or last_cue(text[sentence.line_start : sentence.start])
    if kind:
        return kind
    if mode == "plan":
        return "target"
    if mode == "review":
        return "actual"
    return _by_period(text[sentence.start : start], ctx, period_year)


def _by_period(before: str, ctx: DocContext, period_year: int | None) -> str:
    """No cue and no section: a later year is planned; so is the current year early in the year,
    unless the sentence reports a part of it (1-2月, 一季度, 以来)."""
    published = ctx.published
    if period_year is None or published is None:
        return "actual"
    if period_year > published.year:
        return "target"
    early = published.month <= load().raw["cues"]["partial_period"]["early_months"]
    if period_year == published.year and early and not _partial_period().search(before):
        return "target"
    return "actual"


@cache
def _partial_period() -> re.Pattern[str]:
    words = load().raw["cues"]["partial_period"]["words"]
    return re.compile(rf"\d{{1,2}}月|{alternation(words)}")
