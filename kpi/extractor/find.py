"""Stage 2 — find candidate quantities: a number (Arabic, Chinese or mixed, 百分之…, ranges) with its
magnitude, unit and the comparator words touching it. The regex is built from the vocabulary once;
resolving what the match means is left to `resolve`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from kpi.vocabulary import Vocabulary, alternation, load

_ARABIC = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.(?!(?:19|20)\d\d年)\d+)?"  # not 4.2024年 (item 4, a year)
_CN = r"[零〇一二两三四五六七八九十百千万亿]*[一二两三四五六七八九十][零〇一二两三四五六七八九十百千万亿]*(?:点[零〇一二三四五六七八九]+)?"
_MAG = r"[十百千万亿]*"


@dataclass(frozen=True, slots=True)
class Match:
    """One raw match: the groups of the quantity regex with absolute offsets."""

    start: int
    end: int
    groups: dict[str, str | None]
    spans: dict[str, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class Patterns:
    quantity: re.Pattern[str]
    rank: re.Pattern[str]
    fixed: re.Pattern[str]


@cache
def patterns() -> Patterns:
    return build_patterns(load())


def build_patterns(v: Vocabulary) -> Patterns:
    prefix = alternation(w for w, c in v.prefix_comparators.items() if c != "=")
    suffix = alternation(v.suffix_comparators)
    inner = alternation(v.inner_comparators)
    units = alternation(s for s, u in v.units.items() if not u.prefix)
    prefix_units = alternation(s for s, u in v.units.items() if u.prefix)
    quantity = rf"""
        (?:(?P<pre>{prefix})[ \t]*)?
        (?:
            (?P<punit>{prefix_units})(?P<pnum>{_ARABIC}|{_CN})
          | (?P<num>{_ARABIC})(?P<inner>{inner})?(?P<mag>{_MAG})
            (?:(?P<num2>\d+(?:\.\d+)?)(?P<mag2>[十百千万]+))?
            (?:(?P<lo_unit>%)?(?P<sep>[-—–~～至到])(?P<hi>{_ARABIC})(?P<hi_mag>{_MAG}))?
          | (?P<cnum>{_CN})(?P<cinner>{inner})?
        )
        (?:[ \t]*(?:(?P<cheng>成)(?P<tail>\d)(?![\d.])|(?P<unit>{units})))?
        (?:[ \t]*(?P<suf>{suffix}))?
    """
    rank_vocab = v.raw["cues"]["rank"]
    scopes = alternation(rank_vocab["scopes"])
    verbs = alternation(rank_vocab["verbs"])
    first = alternation(rank_vocab["first"])
    followers = alternation(rank_vocab["ordinal_followers"])
    rank = rf"""
        (?:(?P<verb>{verbs})(?:第)?[ \t]*(?P<vnum>\d+|{_CN})[ \t]*(?P<vunit>位|名)(?P<vsuf>{suffix})?)
      | (?:(?P<scope>{scopes})第(?P<snum>\d+|[一二三四五六七八九十]+)(?!{followers}|\d))
      | (?:(?P<fscope>{scopes})?(?P<first>{first}))
    """
    fixed = alternation(v.raw["units"].get("fixed", {}))
    return Patterns(
        quantity=re.compile(quantity, re.VERBOSE),
        rank=re.compile(rank, re.VERBOSE),
        fixed=re.compile(f"(?P<phrase>{fixed})") if fixed else re.compile(r"(?!)"),
    )


def _as_match(m: re.Match[str]) -> Match:
    groups = {k: val for k, val in m.groupdict().items() if val is not None}
    spans = {k: m.span(k) for k in groups}
    return Match(m.start(), m.end(), groups, spans)


def find_quantities(text: str, start: int = 0, end: int | None = None) -> list[Match]:
    """All quantity-shaped matches in text[start:end] (offsets are absolute)."""
    p = patterns()
    stop = len(text) if end is None else end
    return [_as_match(m) for m in p.quantity.finditer(text, start, stop) if m.group("unit") or m.group("punit") or m.group("cheng")]


def find_ranks(text: str, start: int = 0, end: int | None = None) -> list[Match]:
    stop = len(text) if end is None else end
    return [_as_match(m) for m in patterns().rank.finditer(text, start, stop)]


def find_fixed(text: str, start: int = 0, end: int | None = None) -> list[Match]:
    stop = len(text) if end is None else end
    return [_as_match(m) for m in patterns().fixed.finditer(text, start, stop)]
