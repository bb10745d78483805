"""Stage 4 — find candidate quantities: a number (Arabic, Chinese or mixed, 百分之…, ranges) with its
magnitude, unit and the comparator words touching it. The regex is built from the vocabulary once;
resolving what the match means is left to `resolve`."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from kpi.extractor import reach
from kpi.first_chars import class_led
from kpi.vocabulary import Vocabulary, alternation, load, word_branches

# Linear time by construction (issue 11: a run of 2,000 digits took a minute, cubic in the run). Every
# repetition is bounded (a real number is at most a few dozen characters) and no two quantifiers can
# take the same character, so a match attempt at one position costs O(1) whatever the text holds:
# - digit runs are possessive: a shorter prefix is followed by a digit, and nothing after a number starts
#   with one (so the number `8亿2000万`'s second part may not start right after a digit either);
# - a Chinese numeral is split at its first 一…十 (the run before it holds none), so the split is unique;
# - a number does not start inside a run of its characters: every end reachable from inside the run is
#   reachable from the run's start, which finditer tried first, unless an earlier match ended inside
#   the run, which only a unit or suffix ending in such a character (μg/m3) does: after those, it may.
_DIGITS, _DECIMALS, _GROUPS, _CN_LEN = 20, 12, 6, 30
_CN_REQUIRED = "一二两三四五六七八九十"
_CN_CHARS = "零〇一二两三四五六七八九十百千万亿"
_FRACTION = rf"\.(?!(?:19|20)\d\d年)\d{{1,{_DECIMALS}}}+"  # not 4.2024年 (item 4, a year)
_MAG = r"[十百千万亿]{0,4}"
# A number may also start right after a thousands group (百分之0,378|0位): where the comma form ends.
_AFTER_GROUP = r"|(?<=,\d{3})"
_SPACE = r"[ \t]*+"  # possessive: what follows (a number, unit, suffix, 成) never starts with a blank
_ORDINAL = "第"  # the ordinal mark of a rank (全国第3, 第一位)
_PLACES = "位名"  # the counters of a place in a ranking (居第3位, 前进5名)
_TOP = "前"  # the mark of a top N in a ranking (全国前三)


def _run_start(run: str, enders: list[str], also: str = "") -> str:
    """A guard: not inside a run of characters matching `run`, unless right after one of the words that
    end a match (or after `also`)."""
    after = "".join(f"|(?<={re.escape(w)})" for w in sorted(enders) if re.fullmatch(run, w[-1]))
    return f"(?:(?<!{run}){after}{also})"


def _arabic(enders: list[str]) -> str:
    """1,821.5 or 12 or 3.9: a bounded, possessive run of digits."""
    integer = _run_start(r"\d", enders, _AFTER_GROUP) + rf"\d{{1,{_DIGITS}}}+"
    grouped = (
        rf"\d{{1,3}}+(?:,\d{{3}}){{1,{_GROUPS}}}+(?:\.\d{{1,{_DECIMALS}}}+)?"  # nothing after starts with ,
    )
    return rf"{grouped}|{integer}(?:{_FRACTION})?"


def _chinese(enders: list[str]) -> str:
    """三百, 一百二十五, 零点五: a bounded run of numerals holding at least one of 一…十."""
    lead = "".join(c for c in _CN_CHARS if c not in _CN_REQUIRED)
    return (
        rf"{_run_start(f'[{_CN_CHARS}]', enders)}[{lead}]{{0,4}}[{_CN_REQUIRED}][{_CN_CHARS}]{{0,{_CN_LEN}}}"
        rf"(?:点[零〇一二三四五六七八九]{{1,{_DECIMALS}}})?"
    )


@dataclass(frozen=True, slots=True)
class Patterns:
    quantity: re.Pattern[str]
    rank: re.Pattern[str]
    rank_anchor: re.Pattern[str]
    fixed: re.Pattern[str]
    implicit: re.Pattern[str]


@cache
def patterns() -> Patterns:
    return build_patterns(load())


def _unit_end(v: Vocabulary) -> str:
    """After a unit: it does not begin a noun for people (20万人口, 300万户籍人口 count the noun, through
    `find_implicit`; 人 and 户 there are no units)."""
    surfaces = sorted((s for s, u in v.units.items() if not u.prefix), key=len, reverse=True)
    words = []
    for noun in (n for n in v.person_nouns if n not in v.units):  # 户籍人口 is a unit of its own
        unit = next((s for s in surfaces if noun.startswith(s) and len(noun) > len(s)), None)
        if unit is not None:
            words.append(f"(?<={re.escape(unit)}){re.escape(noun[len(unit) :])}")
    return f"(?!{'|'.join(words)})" if words else ""


def _rank_patterns(v: Vocabulary, suffix: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The rank regex (cues.toml [rank]) and the anchor every rank holds."""
    rank_vocab = v.rank_cues
    scopes = alternation(rank_vocab.scopes)
    verbs = alternation(rank_vocab.verbs)
    first = alternation(rank_vocab.first)
    followers = alternation(rank_vocab.ordinal_followers)
    ordinal_verbs = alternation(rank_vocab.verbs + rank_vocab.evaluations)
    rank_starts = "".join(
        sorted(
            {w[0] for w in rank_vocab.verbs + rank_vocab.evaluations + rank_vocab.scopes + rank_vocab.first}
        )
    )
    rank = rf"""
        (?=[{re.escape(rank_starts)}])
        (?:(?P<verb>{verbs})(?:{_ORDINAL})?{_SPACE}(?P<vnum>\d{{1,{_DIGITS}}})(?!\d){_SPACE}(?P<vunit>[{_PLACES}])(?P<vsuf>{suffix})?)
      | (?:(?P<overb>{ordinal_verbs})[至到为]?(?P<oscope>{scopes})?{_ORDINAL}(?P<onum>\d{{1,3}}|[一二三四五六七八九十]{{1,3}})[{_PLACES}]?(?!{followers}|\d))  # 排名第八, 跃升至第4位
      | (?:(?P<scope>{scopes}){_ORDINAL}(?P<snum>\d{{1,{_DIGITS}}}+|[一二三四五六七八九十]{{1,{_DIGITS}}})(?!{followers}|\d))
      | (?:(?P<tverb>{verbs})?(?P<tscope>{scopes}){_TOP}(?P<tnum>\d{{1,3}}|[一二三四五六七八九十]{{1,3}})(?:[{_PLACES}]|强)?(?![%‰\d]|{followers}))  # 稳居全国前三, 全球前20名: a top N
      | (?:(?P<fverb>{verbs})?(?P<fscope>{scopes})?(?P<first>{first}))
    """
    # Every rank holds one of these, so `find_ranks` searches only around them: the ordinal mark, a word
    # of first place, the 前 of a top N (全国前三), or a number with its place counter. The mark comes
    # first: 第一位 anchors at its 第.
    firsts = [w for w in rank_vocab.first if not w.startswith(_ORDINAL)]
    rank_anchor = class_led(
        [
            (_ORDINAL, ""),
            *word_branches(firsts),
            (_TOP, r"(?=[\d一二三四五六七八九十])"),
            (r"\d", rf"{_SPACE}[{_PLACES}]"),
        ]
    )
    return re.compile(rank, re.VERBOSE), re.compile(rank_anchor)


def build_patterns(v: Vocabulary) -> Patterns:
    prefix = alternation(w for w, c in v.prefix_comparators.items() if c != "=")
    suffix = alternation(v.suffix_comparators)
    inner = alternation(v.inner_comparators)
    units = alternation(s for s, u in v.units.items() if not u.prefix)
    prefix_units = alternation(s for s, u in v.units.items() if u.prefix)
    bounding = [w for w, c in v.prefix_comparators.items() if c != "="]  # plain verbs stay out of mentions
    starts = "".join(sorted({w[0] for w in bounding + [s for s, u in v.units.items() if u.prefix]}))
    enders = [s for s, u in v.units.items() if not u.prefix] + list(v.suffix_comparators)
    arabic, chinese = _arabic(enders), _chinese(enders)
    unit_end = _unit_end(v)
    quantity = rf"""
        (?=[\d零〇一二两三四五六七八九十百千万亿{re.escape(starts)}])  # fast skip of positions that cannot start one
        (?:(?P<pre>{prefix}){_SPACE})?
        (?:
            (?P<punit>{prefix_units})(?P<pnum>{arabic}|{chinese})         # 百分之五
          | (?:
                (?P<num>{arabic})(?P<inner>{inner})?(?P<mag>{_MAG})     # 3.9亿, 1300多, 6600多万
                (?:(?:(?<!\d){_AFTER_GROUP})(?P<num2>\d{{1,{_DIGITS}}}+(?:\.\d{{1,{_DECIMALS}}}+)?)(?P<mag2>[十百千万]{{1,4}}))?  # 8亿2000万
                (?P<inner_after>{inner})?                                # 2.4万余
                (?:(?P<lo_unit>{units})?(?P<sep>[-—–~～至到])(?P<hi>{arabic})(?P<hi_mag>{_MAG})(?(lo_unit)(?={_SPACE}(?P=lo_unit))))?
              | (?P<cnum>{chinese})(?P<cinner>{inner})?                      # 三百, 一千多
              | (?(pre)(?P<bare>[百千万亿]{{1,3}})|(?!))                 # 超千亿元: a bare magnitude after a comparator
              | (?<![{_CN_CHARS}\d])(?P<ibare>[百千万]{{1,2}})(?P<iinner>{inner})  # 千余家: a bare magnitude, then 余/多
            )
            {_SPACE}(?:(?P<cheng>成)(?P<tail>\d)(?![\d.])|(?P<unit>{units}){unit_end})  # 4成7, or the unit
        )
        (?:{_SPACE}(?P<suf>{suffix}))?
    """
    rank, rank_anchor = _rank_patterns(v, suffix)
    fixed = alternation(v.fixed)
    implicit = rf"""
        (?=[\d{re.escape(starts)}])
        (?:(?P<pre>{prefix}){_SPACE})?
        (?<![\d.])(?<!\d,)(?P<num>{arabic})(?P<inner>{inner})?(?P<mag>[万亿]{{1,4}})(?P<inner_after>{inner})?
        (?!{_SPACE}(?:(?:{units}){unit_end}|[十百千万亿\d.]))          # no unit follows
        (?:{_SPACE}(?P<suf>{suffix}))?
    """
    return Patterns(
        implicit=re.compile(implicit, re.VERBOSE),
        quantity=re.compile(quantity, re.VERBOSE),
        rank=rank,
        rank_anchor=rank_anchor,
        fixed=re.compile(f"(?P<phrase>{fixed})") if fixed else re.compile(r"(?!)"),
    )


def find_quantities(text: str) -> list[re.Match[str]]:
    """Every quantity-shaped match in the text, in order."""
    return list(patterns().quantity.finditer(text))


def find_ranks(text: str) -> list[re.Match[str]]:
    """Ranks, searched only near the characters every rank contains (a full scan is slow)."""
    rank, out, last_end = patterns().rank, [], 0
    for anchor in patterns().rank_anchor.finditer(text):
        start = max(last_end, anchor.start() - reach.RANK_BEFORE)
        for m in rank.finditer(text, start, min(len(text), anchor.end() + reach.RANK_AFTER)):
            if m.start() <= anchor.start() < m.end() or m.start() <= anchor.end() - 1 < m.end():
                out.append(m)
                last_end = m.end()
                break
    return out


def find_fixed(text: str) -> list[re.Match[str]]:
    return list(patterns().fixed.finditer(text))


@cache
def _people() -> re.Pattern[str]:
    return re.compile(alternation(load().person_nouns))


def find_implicit(text: str, boundaries: Sequence[int]) -> list[re.Match[str]]:
    """Numbers with 万/亿 and no unit (减少1000万以上), in the sentences (starting at `boundaries`) a noun
    for people reaches: `resolve_implicit` keeps one only with such a noun within PERSON_BEFORE characters
    before it or PERSON_AFTER after it, and none crosses a sentence boundary, so other sentences are not
    searched (one scan for the nouns instead of one for the numbers)."""
    spans: list[tuple[int, int]] = []
    last = len(text) - 1
    for noun in _people().finditer(text):
        first = bisect_right(boundaries, max(0, noun.start() - reach.PERSON_AFTER)) - 1
        k = bisect_right(boundaries, min(last, noun.end() + reach.PERSON_BEFORE))
        start, end = boundaries[first], boundaries[k] if k < len(boundaries) else len(text)
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    implicit = patterns().implicit
    return [m for start, end in spans for m in implicit.finditer(text, start, end)]
