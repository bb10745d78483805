"""What each paragraph of a document does: review of a year, review of a plan period, goals of a plan
period, targets of a year, tasks of a year — decoded over the whole paragraph sequence.

Every paragraph's evidence (its heading words, the years and plans it names, the aspect of its verbs:
done 建成/新增/实现 against planned 力争/确保/要) scores each mode; the report's order (reviews before
plans, goals before the year's targets) scores each change of mode; Viterbi finds the best sequence.
So an excerpt cut below its heading reads as the whole report does, and one stray heading word cannot
flip a section. The evidence is vocabulary (`vocab/structure.toml`)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from operator import add

from kpi.extractor.structure_vocab import ModeSpec, structure
from kpi.first_chars import class_led, guarded
from kpi.vocabulary import alternation, load, word_branches

NONE = "none"
_YEAR = re.compile(r"((?:19|20)\d{2})年")
# A figure, not a year; it opens with a digit (not after a digit or a point), so the engine skips to one.
_NUMBER = re.compile(r"\d(?<![\d.]\d)\d*(?:\.\d+)?(?![\d.]*年)")


@dataclass(frozen=True, slots=True)
class _Scanner:
    """One pass over a paragraph finds every word of evidence: years, plan names, mode words and aspect
    words (each word knows the modes it counts for and its aspect weight). Modes are indices into
    `structure().modes`, and a paragraph's evidence is a list in that order."""

    pattern: re.Pattern[str]  # mode and aspect words
    marks: re.Pattern[str]  # years and plan names, whose place matters
    headings: re.Pattern[str]
    heading_modes: dict[str, tuple[int, ...]]  # heading word -> the modes it opens
    modes: dict[str, tuple[int, ...]]  # word -> the modes whose `words` hold it
    aspect: dict[str, float]  # word -> done weight minus planned weight
    bias: tuple[float, ...]  # each mode's prior
    aspect_sign: tuple[int, ...]  # +1 for a mode of results, -1 for one of plans
    index: dict[str, int]  # mode name -> index


@cache
def _scanner() -> _Scanner:
    s = structure()
    index = {m.name: i for i, m in enumerate(s.modes)}
    words = {w for m in s.modes for w in m.words} | set(s.done) | set(s.planned)
    pattern = re.compile(guarded(alternation(words)))
    modes = {w: tuple(i for i, m in enumerate(s.modes) if w in m.words) for w in words}
    aspect = {w: s.done.get(w, 0.0) - s.planned.get(w, 0.0) for w in words}
    heads = {h for m in s.modes for h in m.headings}
    heading_modes = {h: tuple(i for i, m in enumerate(s.modes) if h in m.headings) for h in heads}
    # a year 19xx年/20xx年 or a plan's name (a year is the one that ends with 年)
    marks = re.compile(class_led([("1", r"9\d\d年"), ("2", r"0\d\d年"), *word_branches(load().plans)]))
    head_starts = re.escape("".join(sorted({h[0] for h in heads})))
    headings = re.compile(f"(?=[{head_starts}])(?=({alternation(heads)}))")
    bias = tuple(m.bias for m in s.modes)
    sign = tuple(1 if m.kind == "actual" else -1 for m in s.modes)
    return _Scanner(pattern, marks, headings, heading_modes, modes, aspect, bias, sign, index)


def _opened(opener: str) -> set[int]:
    """The modes whose heading words stand in a paragraph's opening."""
    scan = _scanner()
    return {mode for h in scan.headings.findall(opener) for mode in scan.heading_modes[h]}


def _is_base(text: str, year_start: int) -> bool:
    """A year written after a comparison or start word (比2024年, 快于2024年, 从2020年) is no topic."""
    return text[max(0, year_start - 3) : year_start].endswith(tuple(load().baseline_before))


def is_work_report(text: str) -> bool:
    """Whether the document is a work report or an excerpt of one (its signals reach the threshold)."""
    s = structure()
    return sum(w for signal, w in s.work_report_signals.items() if signal in text) >= s.genre_threshold


def _plan_modes(name: str, pub_year: int | None) -> str | None:
    """The plan that has ended is reviewed; the one to come sets goals; the current one says nothing."""
    end = load().plans[name]
    if pub_year is None or end == pub_year:
        return None
    return "review_plan" if end < pub_year else "goals_plan"


def _year_mode(year: int, pub_year: int) -> tuple[str, ...]:
    if year == pub_year - 1:
        return ("review_year",)
    if year == pub_year:
        return ("targets_year", "tasks_year")
    if year > pub_year:
        return ("goals_plan",)
    return ("review_plan",)


def emissions(paragraph: str, pub_year: int | None) -> list[float]:
    """The evidence of one paragraph for each mode (its prior where it says nothing), read from its first
    `evidence_chars` (the evidence is capped long before; a paragraph the length of a page costs no more)."""
    s, scan = structure(), _scanner()
    sc, index = s.scoring, scan.index
    paragraph = paragraph[: sc.evidence_chars]
    score = list(scan.bias)
    for mode in _opened(paragraph[: sc.heading_chars]):
        score[mode] += sc.heading_weight
    words: dict[int, int] = {}
    aspect = 0.0
    found = scan.pattern.findall(paragraph)
    if found:
        for word, n in Counter(found).items():
            aspect += scan.aspect[word] * n
            for mode in scan.modes[word]:
                words[mode] = words.get(mode, 0) + n
    aspect += sc.number_weight * len(_NUMBER.findall(paragraph))
    years: dict[int, int] = {}
    for match in scan.marks.finditer(paragraph):
        found_mark = match.group()
        if not found_mark.endswith("年"):
            name = _plan_modes(found_mark, pub_year)
            if name:
                score[index[name]] += (
                    sc.plan_heading_weight if match.start() < sc.plan_heading_chars else sc.plan_word_weight
                )
        elif pub_year is not None and not _is_base(paragraph, match.start()):
            for name in _year_mode(int(found_mark[:-1]), pub_year):
                years[index[name]] = years.get(index[name], 0) + 1
    for mode, n in words.items():  # words, then years, then aspect: each score sums in this order
        score[mode] += min(n * sc.word_weight, sc.word_cap)
    for mode, n in years.items():
        score[mode] += min(n * sc.year_weight, sc.year_cap)
    if aspect:
        aspect = max(-sc.aspect_cap, min(sc.aspect_cap, aspect * sc.aspect_weight))
        for mode, sign in enumerate(scan.aspect_sign):
            score[mode] += sign * aspect
    return score


def heading_modes(paragraphs: Sequence[str]) -> list[str]:
    """Outside a report, only headings speak: each paragraph takes the mode of the last heading at or
    before it (none before the first)."""
    s, mode, out = structure(), NONE, []
    for p in paragraphs:
        opened = _opened(p[: s.scoring.heading_chars])
        mode = s.modes[min(opened)].name if opened else mode
        out.append(mode)
    return out


def plan_periods_open(pub_year: int | None) -> bool:
    """A report reviews a plan period and sets the next one's goals only the year after a plan ended."""
    return pub_year is None or (pub_year - 1) in load().plans.values()


def decode(paragraphs: Sequence[str], pub_year: int | None) -> list[str]:
    """The most likely mode of each paragraph (Viterbi over emissions and the report's order)."""
    s = structure()
    if not paragraphs:
        return []
    open_ = plan_periods_open(pub_year)
    kept = [i for i, m in enumerate(s.modes) if open_ or not m.plan_period]
    modes: list[ModeSpec] = [s.modes[i] for i in kept]
    into = [[s.transitions.cost(a, b) for a in modes] for b in modes]  # into[to][from]
    first = emissions(paragraphs[0], pub_year)
    best = [first[i] for i in kept]
    back: list[list[int]] = []
    for paragraph in paragraphs[1:]:
        em = emissions(paragraph, pub_year)
        step, ptr = [], []
        for i, costs in zip(kept, into):
            cand = list(map(add, best, costs))
            top = max(cand)
            step.append(top + em[i])
            ptr.append(cand.index(top))
        best = step
        back.append(ptr)
    k = best.index(max(best))
    path = [k]
    for ptr in reversed(back):
        k = ptr[k]
        path.append(k)
    return [modes[i].name for i in reversed(path)]
