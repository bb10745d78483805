"""Indicator phrases: the words of a clause cleaned (place, time and cue words, list debris, the bridge
words before a number) and the pieces an indicator is built from (its subject, the thing counted, a
rate's change word, a rank's measure, the items of a list). `kpi.extractor.indicator` puts them
together for the quantities of a sentence; the words are data (`vocab/indicator.toml`)."""

from __future__ import annotations

import re
from functools import lru_cache

from kpi.extractor.indicator_words import END_WINDOW, Words, words

_DIGIT = re.compile(r"\d")
_THING_START = re.compile(r"[\d.]*[\u4e00-\u9fff]")  # 80岁以上老年人: a qualifier may open the thing


# --- phrase cleaning -----------------------------------------------------------------------------


def _strip_tail(w: Words, s: str) -> str:
    """`s` without the noise words closing it (达到, 首次, 为; 到2025年的), but a word kept whole (收到)."""
    while s:
        m = w.tail_rev.match(s[::-1])
        cut = len(s) - m.end() if m else len(s)
        if m and s[cut] in w.tail_keep_chars:  # 收到: 到 closes the word, it is not a bridge
            cut = _kept(w, s, cut)
        if cut == len(s) and _DIGIT.search(s):
            p = w.tail_pattern.search(s, max(0, len(s) - END_WINDOW))
            cut = p.start() if p else cut
        if cut == len(s):
            return s
        s = s[:cut]
    return s


def _kept(w: Words, s: str, cut: int) -> int:
    """Where a cut at `cut` must stop instead, to keep a word whole."""
    for word in w.tail_keep:
        at = s.rfind(word, max(0, cut - len(word) + 1), cut + len(word))
        if 0 <= at < cut < at + len(word):
            return at + len(word)
    return cut


def _drop_enumeration(w: Words, s: str) -> str:
    """钢铁、水泥等(15个重点行业) → (重点行业): examples listed before the number are not the indicator;
    the act before them stays (制定修订企业信息公示暂行条例等行政法规 → 制定修订行政法规)."""
    i = s.rfind(w.enum_end)
    if i <= 0 or (len(s) - i - 1 > w.enum_gap and not w.enum_count.match(s, i + 1)):
        return s  # 食品、石化、医药、信息等重点产业增加值占比: the list qualifies the subject
    if s[i - 1 : i + 1] in w.enum_words or s[i : i + 2] in w.enum_words:
        return s
    first = s.find(w.item_mark, 0, i)
    acts = [m.end() for m in w.enum_opener.finditer(s, 0, first if first > 0 else i)]
    start = acts[-1] if acts else 0
    return s[:start] + s[i + 1 :]


def clean(w: Words, s: str, *, enumerations: bool = True, quotes: bool = False) -> str:
    """The indicator words of a lead: without blanks, cue words, list debris, and the noise words that
    may open (全省, 2024年, 其中) or close (达到, 为, 首次) it."""
    return _cleaned(s, enumerations, quotes) if s else s


@lru_cache(maxsize=16384)  # short leads recur (同比增长, 比上年增长, 达到)
def _cleaned(s: str, enumerations: bool, quotes: bool) -> str:
    w = words()
    s = s.translate(w.blank_only if quotes else w.blank)
    s = w.anywhere.sub("", s)
    if enumerations:
        s = _drop_enumeration(w, s)
    for _ in range(2):  # a bracket may hide noise words behind it: （同口径增长
        if s and (s[0] in w.bracket_chars or s[-1] in w.bracket_chars):
            s = _unbracket(w, s)
        s = _strip_tail(w, w.lead.sub("", s, count=1))
        if not (s and (s[0] in w.bracket_chars or s[-1] in w.bracket_chars)):
            break
    return s


def _unbracket(w: Words, s: str) -> str:
    """`s` without the brackets at its ends that close nothing in it (（同口径增长), keeping a pair
    (生产总值(GDP))."""
    opening, closing = w.bracket_chars[0::2], w.bracket_chars[1::2]
    while s and (s[0] in closing or (s[0] in opening and not any(c in s for c in closing))):
        s = s[1:]
    while s and (s[-1] in opening or (s[-1] in closing and not any(c in s for c in opening))):
        s = s[:-1]
    return s


def subject(w: Words, phrase: str) -> str:
    """What a phrase measures without its change word (消费贡献率上升 → 消费贡献率)."""
    m = w.subject_end.search(phrase)
    return phrase[: m.start()] if m and m.start() > 0 else phrase


def entity(w: Words, subject: str) -> str:
    """A subject without its act and its attribute noun (规模以上工业企业营业收入 → 规模以上工业企业;
    新增X集群 → X集群, whose 总数 follows)."""
    m = w.attribute_end.search(subject)
    entity = subject[: m.start()] if m and m.start() > 0 else subject
    act = w.act.match(entity)
    return entity[act.end() :] if act and act.end() < len(entity) else entity


def rate(w: Words, phrase: str, negative: bool) -> str:
    """A rate's change word without its baseline (同比增长 → 增长); a fall says 变动."""
    m = w.change_end.search(phrase)
    if not m:
        return phrase
    word = w.changed if negative and m.group(2) in w.decrease else m.group(2)
    return phrase[: m.start()] + word


# --- the parts of a phrase -----------------------------------------------------------------------


def thing(w: Words, post: str) -> tuple[str, int]:
    """The thing counted, written right after a number (12家国家级孵化器 → 国家级孵化器), and how many
    characters of `post` it takes. It ends at the clause's end (or the next quantity), or at an item
    mark that opens a predicate (24个省份、规模居全国前列)."""
    lead = w.thing_lead.match(post)
    at = lead.end() if lead else 0
    if not _THING_START.match(post, at) and not (post[at : at + 1] and post[at] in w.quote_open):
        return "", 0
    if w.not_thing.match(post, at) or w.joiner.match(post, at):  # 瞪羚企业358户和种子独角兽企业1户
        return "", 0
    stop = w.thing_stop.search(post, at)
    end = stop.start() if stop else len(post)
    mark = post.find(w.item_mark, at, end)
    while mark >= 0:
        rest = clean(w, post[mark + 1 : end])
        if w.predicate.match(rest) or w.rank.verb.match(rest) or w.attributes.match(rest):
            end = mark
            break
        mark = post.find(w.item_mark, mark + 1, end)
    return clean(w, post[at:end], enumerations=False), end


def owner(w: Words, post: str) -> str:
    """The owner of an attribute written after its number with 的 (全长1.3万公里的X → X)."""
    post = post.lstrip()
    if not post.startswith(w.owner_mark):
        return ""
    return thing(w, post)[0]


def rank(w: Words, lead: str, mention: str, subject: str) -> tuple[str, str]:
    """居全国第3位 → (ranked measure)全国排名; also the ranked measure when the lead names it."""
    s = w.anywhere.sub("", w.space.sub("", lead + mention).translate(w.quotes))
    s = w.rank.number.sub("", s)
    if w.change_end.search(s):  # 排名上升11位: a change of rank
        return clean(w, s), ""
    scopes = list(w.rank.scope.finditer(s))
    if scopes:
        before, scope = s[: scopes[-1].start()], scopes[-1].group()
    else:
        verbs = list(w.rank.verb.finditer(s))
        before, scope = (s[: verbs[-1].start()], s[verbs[-1].end() :]) if verbs else (s, "")
    m = w.rank.verbs_rev.match(before[::-1])
    if m:
        before = before[: len(before) - m.end()]
    before = clean(w, before)
    return (before or subject) + scope + w.rank.word, before


def _shared_tail(w: Words, first: str, last: str) -> str:
    """The head the last item of a list shares with the others (城镇居民、农村居民人均可支配收入)."""
    if w.complete_end.search(first):  # the first item names a measure: only a suffix is shared
        m = w.suffix_end.search(last)
        return m.group() if m and not first.endswith(m.group()) else ""
    i = last.find(w.enum_end)
    if i > 0:
        return last[i + 1 :]
    m = w.collective.search(last, 1)
    if m:
        return last[m.start() :]
    if last[:1] and last[0] in w.quote_open and (close := last.find(w.quote_close[last[0]], 1)) > 0:
        return last[close + 1 :]
    tail = parallel_tail(w, first, last)
    if tail:
        return tail
    if len(first) <= 2 < len(last):  # 城镇、农村常住居民人均可支配收入: parallel words of one length
        return last[len(first) :]
    m = w.heads.search(last, 1)
    if m:
        return last[m.start() :]
    return ""


def parallel_tail(w: Words, first: str, last: str) -> str:
    """The head after the word of the last item that parallels the first's ending (国家级、省级X → X;
    百亿级、三十亿以上X → X)."""
    for n in (2, 1):
        if len(first) > n:
            p = last.rfind(first[-n:])
            if 0 < p and p + n < len(last):
                return last[p + n :]
    m = w.qualifier_end.search(last, 1)
    return last[m.end() :] if m and m.end() < len(last) else ""


def _shared_prefix(w: Words, first: str, item: str) -> str:
    """The owner a short item shares with the first (省属企业营业收入、利润 → 省属企业利润)."""
    if len(item) > 4 or not w.complete_end.search(first):
        return ""
    m = w.heads.search(first)
    if m and m.start() > 0 and first.endswith(m.group()):
        return first[: m.start()]
    cut = len(first) - len(item)
    return first[:cut] if cut >= 2 else ""


def items(w: Words, pre: str, m: int) -> list[str]:
    """The subjects of a list (before 分别), each with the head they share."""
    parts = [p for p in pre.split(w.item_mark) if p]
    if len(parts) < m:
        finer = [p for p in w.list_split.split(pre) if p]
        if len(finer) == m:
            parts = finer
    if len(parts) == 1:
        for key, names in w.expand.items():
            if key in parts[0]:
                return [parts[0].replace(key, name, 1) for name in names]
        return parts
    if parts[0].startswith(w.ordinal) or parts[0] in w.numerals:  # 第二、三产业; 一、二、三产业
        parts = [p if p.startswith(w.ordinal) else w.ordinal + p for p in parts]
    first, last = parts[0], parts[-1]
    tail = _shared_tail(w, first, last)
    items = [p + tail for p in parts[:-1]] if tail else parts[:-1]
    i = last.find(w.enum_end)
    if 0 < i and last[i - 1 : i + 1] not in w.enum_words:
        last = last[:i] + last[i + 1 :]
    items.append(last)
    if not tail:
        items = [items[0], *(_shared_prefix(w, items[0], x) + x for x in items[1:])]
    return [x.translate(w.quotes) for x in items]


# --- the sentence --------------------------------------------------------------------------------
