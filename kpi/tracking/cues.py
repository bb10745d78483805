"""Which figures are a span of years's (年均, 累计, 五年来 …) and so not one year's result or target.

The words are data (`vocab/tracking.toml`), loaded once into a frozen dataclass that checks itself at
load (`kpi.vocabulary.table`): an unknown or missing key, a wrong type or an empty list fails naming the
file and the key.

>>> is_span_figure("城镇新增就业年均1270多万人", 8)
True
>>> is_span_figure("全年国内生产总值增长3%，城镇新增就业1206万人", 21)
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

from kpi.vocabulary import Words, read_toml, table


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


@dataclass(frozen=True)
class SpanCues:
    """The [span] table of `tracking.toml`, with its compiled patterns."""

    cues: Words
    sentence_cues: Words
    clause_marks: str
    cue_re: re.Pattern[str] = field(init=False)
    sentence_cue_re: re.Pattern[str] = field(init=False)
    clause_re: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cue_re", re.compile(_alternation(self.cues)))
        object.__setattr__(self, "sentence_cue_re", re.compile(_alternation(self.sentence_cues)))
        object.__setattr__(self, "clause_re", re.compile(f"[{re.escape(self.clause_marks)}]"))


@dataclass(frozen=True, slots=True)
class Tracking:
    """`vocab/tracking.toml`, one field per table."""

    span: SpanCues


@cache
def tracking() -> Tracking:
    """The tables of `vocab/tracking.toml`, loaded and checked once."""
    return Tracking(span=table(SpanCues, "tracking", "span", read_toml("tracking")["span"]))


def span_cues() -> SpanCues:
    """The span cues of `vocab/tracking.toml`."""
    return tracking().span


@lru_cache(maxsize=65536)
def is_span_figure(sentence: str, mention_start: int, subject_start: int | None = None) -> bool:
    """Whether the number at `mention_start` is a figure for a span of years.

    A cue counts in the number's own clause, between its indicator (at `subject_start`) and the number,
    or in the sentence's first clause when the number comes after it (五年来，…)."""
    cues = span_cues()
    marks = [m.end() for m in cues.clause_re.finditer(sentence, 0, mention_start)]
    clause_start = marks[-1] if marks else 0
    lo = clause_start if subject_start is None else min(clause_start, subject_start)
    if cues.cue_re.search(sentence, lo, mention_start):
        return True
    first_end = marks[0] if marks else 0
    return bool(first_end and cues.sentence_cue_re.search(sentence, 0, first_end))
