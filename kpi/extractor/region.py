"""The region a document speaks for, read from the document itself: the body named in its title or
delivery line (2025年河南省政府工作报告, 在河南省第十四届人民代表大会…上), normalised through the one
gazetteer; Hong Kong and Macau only on strong evidence (the feed's own markers, 港元/澳门元 amounts),
never from a few mentions in a mainland text."""

from __future__ import annotations

import re
from functools import cache

from kpi.extractor import reach
from kpi.extractor.structure_vocab import structure
from kpi.taxonomy import gazetteer, normalise_region
from kpi.vocabulary import alternation

_SESSION = re.compile(r"第[一二三四五六七八九十\d]{1,4}届$")  # 河南省第十四届人民代表大会


@cache
def _institutions() -> re.Pattern[str]:
    return re.compile(alternation(structure().institutions))


@cache
def _names() -> tuple[int, frozenset[str]]:
    names = frozenset(gazetteer().by_alias)
    return max(map(len, names)), names


@cache
def _county() -> re.Pattern[str]:
    suffixes = alternation(structure().region_suffixes)
    peoples = alternation(structure().region_peoples)  # 长阳土家族自治县: the name is 长阳 and the peoples
    return re.compile(rf"[\u4e00-\u9fff]{{2}}(?:{peoples})*(?P<suffix>{suffixes})$")


def _generic(name: str, suffix: str) -> bool:
    """自治区, 我市: a generic word, not a place (长阳土家族自治县 is a place: its suffix is 自治县)."""
    return any(name.endswith(g) and len(g) > len(suffix) for g in structure().region_generic)


def _name_before(window: str) -> str | None:
    """The gazetteer name (or, failing that, a county-like name) that `window` ends with."""
    window = _SESSION.sub("", window)
    longest, names = _names()
    for n in range(min(longest, len(window)), 1, -1):
        if window[-n:] in names:
            prefix = window[:-n]  # a prefecture's province may stand before it (河北省保定市)
            for k in range(min(longest, len(prefix)), 1, -1):
                if prefix[-k:] in names:
                    return prefix[-k:] + window[-n:]
            return window[-n:]
    county = _county().search(window)
    if county is None or _generic(county.group(0), county.group("suffix")):
        return None
    before = window[: county.start()]
    for k in range(min(longest, len(before)), 1, -1):
        if before[-k:] in names:
            return before[-k:] + county.group(0)
    return county.group(0)


def _named_body(text: str) -> str | None:
    head = text[: structure().region_head_chars]
    for m in _institutions().finditer(head):
        name = _name_before(head[max(0, m.start() - reach.REGION_NAME_BEFORE) : m.start()])
        if name:
            return normalise_region(name)
    return None


def _special_region(raw: str) -> str | None:
    head = raw[: reach.SPECIAL_REGION_HEAD].lower()
    best, best_score = None, 0
    for special in structure().special_regions:
        strong = sum(head.count(w.lower()) for w in special.strong)
        weak = sum(head.count(w.lower()) for w in special.weak)
        if strong >= 1 and strong + weak >= 2 and strong + weak > best_score:
            best, best_score = special.name, strong + weak
    return best


def detect_region(text: str, raw: str) -> str | None:
    """The region of a document (normalised text and raw input), or None when it does not say."""
    return _named_body(text) or _special_region(raw)
