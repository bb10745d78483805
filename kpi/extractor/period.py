"""The year words of a sentence: an explicit year before a quantity (not a comparison base such as
比2018年 or 较“十三五”), a relative word (今年, 明年, 去年) or a plan name (十四五 → 2025), else a year
that opens an earlier sentence of the paragraph. `kpi.extractor.interpret` falls back on the section's
year — never on today's date."""

from __future__ import annotations

import re
from datetime import date
from functools import cache, lru_cache

from kpi.extractor import reach
from kpi.extractor.segment import Sentence
from kpi.vocabulary import alternation, load

_YEAR_SPAN = r"(?P<year>(?:19|20)\d{2}|[一二][九〇零○][〇零○一二三四五六七八九]{2})(?:年度?|/\d{2}(?:年度)?)"
_CN_DIGITS = str.maketrans("〇零○一二三四五六七八九", "00012345678" + "9")


def _int_year(text: str) -> int:
    """2025 or 二〇二五 -> 2025."""
    return int(text.translate(_CN_DIGITS))


@cache
def _pattern() -> re.Pattern[str]:
    v = load()
    baseline = alternation(v.baseline_before)
    after = alternation(v.baseline_after)
    words = list(v.baseline_before) + list(v.relative_years) + list(v.plans)
    starts = re.escape("".join(sorted({w[0] for w in words} | set("0123456789一二"))))
    return re.compile(
        rf"(?=[{starts}])"  # fast skip of positions that cannot start a year word
        rf"(?:(?P<base>(?:{baseline}){_YEAR_SPAN.replace('year', 'byear')}(?:\d{{1,2}}月(?:\d{{1,2}}日)?)?(?:末|底|初)?(?:{after})?)"
        rf"|(?P<planbase>(?:{baseline})[“\"]?(?:{alternation(v.plans)})[”\"]?)"  # 较“十三五”时期: a base
        rf"|(?P<explicit>{_YEAR_SPAN}(?:\d{{1,2}}(?:-\d{{1,2}})?月(?:\d{{1,2}}日)?)?(?!{after}))"
        rf"|(?P<relative>{alternation(v.relative_years)})"
        rf"|(?P<plan>{alternation(v.plans)})(?![”\"]?(?:规划|重大|专项|项目)))"  # “十四五”规划重大工程 is a name
    )


@lru_cache(maxsize=1024)  # the quantities of a sentence share its topic and its paragraph's text
def _year_in(text: str, pub: date | None, ref: int | None, limit: int | None = None) -> int | None:
    """The year named last in `text` (among words starting before `limit`), or None."""
    v = load()
    found, explicit_end = None, -1
    for m in _pattern().finditer(text):
        if limit is not None and m.start() >= limit:
            break
        # 由2017年的76微克: a start's year is this quantity's; 快于2024年1.8个百分点 compares with it
        if m.group("base") and m.end() >= len(text) - 1 and m.group("base").startswith(v.baseline_start):
            return _int_year(m.group("byear"))
        if m.group("explicit"):
            found, explicit_end = _int_year(m.group("year")), m.end()
        elif m.group("relative"):
            word = m.group("relative")
            offset = v.relative_years[word]
            if offset == 0 and m.start() == explicit_end:  # 2021年全年: the year already named
                continue
            base = ref if offset == 0 else (pub.year if pub else None)
            found = base + offset if base is not None else found
        elif m.group("plan"):
            found = v.plans[m.group("plan")]
    return found


_TOPIC_YEAR = re.compile(r"(?:^|[。!?！？])\s*(?P<year>(?:19|20)\d{2})年(?:度)?[,，:：]")


@lru_cache(maxsize=256)
def _topic_year(paragraph_before: str) -> int | None:
    """A year that opens an earlier sentence of the paragraph as its topic ("2021年，…") carries over."""
    found = None
    for m in _TOPIC_YEAR.finditer(paragraph_before):
        found = int(m.group("year"))
    return found


def sentence_year(
    text: str,
    sentence: Sentence,
    start: int,
    pub: date | None,
    ref: int | None,
    clause_start: int | None = None,
) -> int | None:
    """The year the words of the sentence before `start` (or a topic year of its paragraph) name; None
    when they name none. `ref` is what 今年/全年 mean in the section. With `clause_start`, a year of an
    earlier clause counts only as the sentence's topic (综合考虑实现2035年远景目标，提出…年均增长5%: not 2035)."""
    if clause_start is None:
        year = _year_in(text[max(sentence.start, start - reach.SENTENCE_BEFORE) : start], pub, ref)
    else:
        year = _year_in(text[clause_start:start], pub, ref)
        if year is None:
            topic_end = min(clause_start, sentence.start + reach.TOPIC_WINDOW)
            year = _year_in(text[sentence.start : topic_end], pub, ref, limit=reach.TOPIC_YEAR_REACH)
    if year is None:
        before = text[max(sentence.line_start, sentence.start - reach.PARAGRAPH_BEFORE) : sentence.start]
        continues = sentence.text.startswith(load().continuation_words)
        year = _year_in(before, pub, None) if continues else _topic_year(before)
    return year


def names_plan(text: str) -> bool:
    """Whether `text` names a five-year plan that is not a comparison base."""
    return any(m.group("plan") for m in _pattern().finditer(text))


_FROM = ("从", "由")  # the words a base value follows (从X提高到Y, 由X增至Y)
# One value of a list of base values (从771家、481家增加到1076家、636家): a number, its magnitude, its unit.
_LISTED = r"[\d.]+[十百千万亿]*[^\d\s、,。;]{0,4}"


@cache
def _baseline_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    v = load()
    to_words = [w for w in v.level_words if w.endswith(("到", "至"))]
    before = re.compile(rf"(?:{'|'.join(_FROM)})(?:{_YEAR_SPAN}的?)?\s*(?:{_LISTED}、)*$")
    # …then a word of reaching (提高到, 增至) or any change of one or two characters ending in 到/至
    # (整合至, 跃升至); a rank's place counter (第11位) may stand before it
    reach_to = rf"(?:{alternation(to_words)}|[\u4e00-\u9fff]{{0,2}}[到至])"
    after = re.compile(rf"^[位名]?(?:、{_LISTED})*\s*(?:分别)?{reach_to}")
    return before, after


def is_baseline(text: str, start: int, end: int) -> bool:
    """A value of 从X提高到Y / 由X增至Y, or of a list of them (从X、Y分别增加到…)."""
    lo = max(0, start - reach.BASELINE_LIST)
    if all(text.find(w, lo, start) < 0 for w in _FROM):
        return False
    before, after = _baseline_patterns()
    return bool(before.search(text, lo, start)) and bool(after.match(text[end : end + reach.BASELINE_LIST]))


def baseline_year(text: str, start: int) -> int | None:
    """The base year when stated (由2017年的76微克), else None: the rule book leaves it open."""
    m = _baseline_patterns()[0].search(text, max(0, start - reach.BASELINE_BEFORE), start)
    return _int_year(m.group("year")) if m and m.group("year") else None
