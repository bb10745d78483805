"""Target or actual from the cue words nearest a quantity, for text outside a report's structure (news,
feeds, pages): `kpi.extractor.interpret` calls it where the document model has no paragraph mode.

Evidence, strongest first: a strong cue before the quantity in its clause; a weak cue there (完成,
建议: ambiguous words that only speak for their own clause); a strong cue earlier in the sentence; a
comparison word (同比, 比上年) in the clause or a cue right after the quantity; a strong cue earlier in
the paragraph. Last, the period against the publication date."""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from kpi.extractor import reach
from kpi.extractor.segment import Sentence
from kpi.vocabulary import alternation, load

_CLAUSE_MARKS = ",，:：;；"
_CLAUSE_BREAK = re.compile(f"[{_CLAUSE_MARKS}]")
STRONG, WEAK, ALL = "strong", "weak", "all"


@cache
def _cues(strength: str) -> re.Pattern[str]:
    """Cue words of a strength and above (`weak` includes strong ones, `all` comparisons too)."""
    kind = load().kind_cues
    neutral = list(load().neutral_words)
    weak_t, weak_a, comparison = set(kind.target_weak), set(kind.actual_weak), set(kind.comparison)
    target = set(kind.target) - weak_t
    actual = set(kind.actual) - weak_a - comparison
    if strength in (WEAK, ALL):
        target |= weak_t
        actual |= weak_a
    if strength == ALL:
        actual |= comparison
    starts = re.escape("".join(sorted({w[0] for w in neutral + list(target) + list(actual)})))
    return re.compile(
        f"(?=[{starts}])(?:(?P<neutral>{alternation(neutral)})|(?P<target>{alternation(target)})|(?P<actual>{alternation(actual)}))"
    )


def last_cue(text: str, strength: str = STRONG) -> str | None:
    kind = None
    for m in _cues(strength).finditer(text):
        if m.lastgroup != "neutral":
            kind = m.lastgroup
    return kind


def _first_cue(text: str) -> str | None:
    for m in _cues(ALL).finditer(text):
        if m.lastgroup != "neutral":
            return m.lastgroup
    return None


def _clause_end(text: str, start: int, stop: int) -> int:
    m = _CLAUSE_BREAK.search(text, start, stop)
    return m.start() if m else stop


def clause_of(before: str) -> str:
    """The clause a quantity stands in: the text after the last clause mark before it."""
    return before[1 + max(map(before.rfind, _CLAUSE_MARKS)) :]


def classify(
    text: str, sentence: Sentence, start: int, end: int, published: date | None, period_year: int | None
) -> str:
    """'target' or 'actual' for the quantity at text[start:end], from its cue words."""
    before = text[max(sentence.start, start - reach.SENTENCE_BEFORE) : start]
    clause = clause_of(before)
    kind = (
        last_cue(clause)
        or last_cue(clause, WEAK)
        or last_cue(before)
        or last_cue(clause, ALL)
        or _first_cue(text[end : _clause_end(text, end, min(sentence.end, end + reach.CLAUSE_AFTER))])
        or last_cue(text[max(sentence.line_start, sentence.start - reach.PARAGRAPH_BEFORE) : sentence.start])
    )
    return kind or _by_period(before, published, period_year)


def _by_period(before: str, published: date | None, period_year: int | None) -> str:
    """No cue: a later year is planned; so is the current year early in the year, unless the sentence
    reports a part of it (1-2月, 一季度, 以来)."""
    if period_year is None or published is None:
        return "actual"
    if period_year > published.year:
        return "target"
    early = published.month <= load().partial_period.early_months
    if period_year == published.year and early and not _partial_period().search(before):
        return "target"
    return "actual"


@cache
def _partial_period() -> re.Pattern[str]:
    words = load().partial_period.words
    return re.compile(rf"\d{{1,2}}月|{alternation(words)}")
