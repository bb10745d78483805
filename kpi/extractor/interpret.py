"""Kind and period, decided in one place: from the mode of the quantity's paragraph (the document
model) and its clause's own words.

- A base value (从10.23年提高到…) is where things stood: `actual`, of its stated year.
- In a paragraph with a mode, the mode gives the kind and the year; a clause's own words still win:
  去年/已/截至 in a plan paragraph report a result, a named earlier year is a result too; a target
  word with a later year in a review paragraph sets a target. Estimates in a review (预计) are results.
- Elsewhere (news, feeds, pages) the cue words decide (`classify`), the period falls back on the
  publication year.
- A figure over several years (年均, 累计, 五年) of a plan period starts in the plan's first year."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import NamedTuple

from kpi.extractor import reach
from kpi.extractor.classify import classify, clause_of
from kpi.extractor.document import PLAN_YEARS, DocumentModel, Section
from kpi.extractor.period import baseline_year, is_baseline, names_plan, sentence_year
from kpi.extractor.segment import Sentence
from kpi.extractor.structure import NONE
from kpi.extractor.structure_vocab import structure
from kpi.vocabulary import alternation, load

_LEVEL_REACH = 8  # a level word stands right before its figure (达到, 提高到, 突破)


class Meaning(NamedTuple):
    kind: str
    period_year: int | None
    period_start: int | None


@cache
def _words() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The clause words that overrule a mode (result, target) and the words of a span of years."""
    s = structure()
    return (
        re.compile(alternation(s.override_actual)),
        re.compile(alternation(s.override_target)),
        re.compile(alternation(s.spans)),
    )


def _mode_kind(section: Section, clause: str, year: int | None, pub: date | None) -> str:
    actual_words, target_words, _ = _words()
    if section.kind == "actual":
        later = year is not None and section.year is not None and year > section.year
        return "target" if later and target_words.search(clause) else "actual"
    if actual_words.search(clause):
        return "actual"
    return "actual" if year is not None and pub is not None and year < pub.year else "target"


def _is_flow(clause: str, mention: str) -> bool:
    """A total over the period (城镇新增就业124.27万人), not a level reached (达到67.4%, 突破4500家,
    超过2.5万亿元) nor a stock (新能源装机1.7亿千瓦)."""
    levels, flows = _levels_and_flows()
    if levels.search(clause[-_LEVEL_REACH:]) or not mention[:1].isdigit():
        return False
    return bool(flows.search(clause))


@cache
def _levels_and_flows() -> tuple[re.Pattern[str], re.Pattern[str]]:
    return (
        re.compile(f"(?:{alternation(load().level_words)})\\s*$"),
        re.compile(alternation(structure().flows)),
    )


def _start(year: int | None, section: Section, before: str, mention: str) -> int | None:
    """The first year of the period: the plan's first for a span of a plan period (a total, an average
    or a change over it: 年均, 累计, 五年, or any flow in a plan-period paragraph), else `year`."""
    if year is None:
        return None
    plan_paragraph = section.start is not None and section.start != section.year and section.year == year
    if not _words()[2].search(before):
        return section.start if plan_paragraph and section.start and _is_flow(before, mention) else year
    if year in load().plans.values() and names_plan(before):
        return year - PLAN_YEARS + 1
    if section.start is not None and section.year == year:
        return section.start
    return year


def interpret(
    text: str, sentence: Sentence, start: int, end: int, doc: DocumentModel, pub: date | None
) -> Meaning:
    """Kind, period_year and period_start of the quantity at text[start:end]."""
    if is_baseline(text, start, end):  # 从10.23年提高到10.8年: the first is where things stood
        year = baseline_year(text, start)
        return Meaning("actual", year, year)
    section = doc.section_at(sentence.start)
    before = text[max(sentence.start, start - reach.SENTENCE_BEFORE) : start]
    clause = clause_of(before)
    clause_start = start - len(clause)
    named = sentence_year(
        text, sentence, start, pub, section.year, clause_start if section.mode != NONE else None
    )
    fallback = section.year if section.mode != NONE else (pub.year if pub else None)
    year = named if named is not None else fallback
    if section.mode == NONE:
        kind = classify(text, sentence, start, end, doc.published, year)
    else:
        kind = _mode_kind(section, clause, named, pub)
    return Meaning(kind, year, _start(year, section, clause, text[start:end]))
