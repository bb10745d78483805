"""Stage 5 — the indicator: the words that name what each quantity of a sentence measures (rule book
§2, "Indicator"), read from the clause structure of the sentence (`clause`).

For every quantity of a sentence, in order:
- the *lead* (its clause's words before it, after the quantity before it) names it, cleaned of place,
  time and cue words, list debris (钢铁、水泥等) and the bridge words before the number (达到, 为);
- a lead without a subject (增长, 同比增长, 占GDP的比重, 达到) takes the subject carried along the chain
  of quantities (第三产业增加值112.5亿元，同比增长4.0% → 第三产业增加值增长);
- a list paired by 分别 (or a change word before a list of numbers) gives each number its item:
  进口、出口分别增长3.2%、7.5% → 进口增长, 出口增长; a head shared by the items is distributed
  (城镇居民、农村居民人均可支配收入 → 城镇居民人均可支配收入);
- a count names the act and the thing counted after the number (新增12家国家级孵化器 → 新增国家级孵化器),
  and an act opening a list governs its items (新增A 40家、B 11家 → 新增B);
- a rank names the ranked measure, its scope and 排名 (…居全国第3位 → X全国排名);
- a rate's change word drops its baseline (同比增长 → 增长) and a fall says 变动 (the value is signed).

The words are data (`vocab/indicator.toml`). A quantity always gets an indicator."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from kpi.extractor import reach
from kpi.extractor.clause import clauses
from kpi.extractor.indicator_words import END_WINDOW, Words, words

_RATES = ("percent", "pp")
_THING_START = re.compile(r"[\d.]*[\u4e00-\u9fff]")  # 80岁以上老年人: a qualifier may open the thing


class Span(Protocol):
    """What the resolver needs of a quantity: its mention span and dimension."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def dimension(self) -> str: ...


_DIGIT = re.compile(r"\d")
_NAMED = re.compile(r"[A-Za-z]+$")  # a Latin name glued to the number after it (PM2.5)


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


def _clean(w: Words, s: str, *, enumerations: bool = True, quotes: bool = False) -> str:
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


def _subject(w: Words, phrase: str) -> str:
    """What a phrase measures without its change word (消费贡献率上升 → 消费贡献率)."""
    m = w.subject_end.search(phrase)
    return phrase[: m.start()] if m and m.start() > 0 else phrase


def _entity(w: Words, subject: str) -> str:
    """A subject without its act and its attribute noun (规模以上工业企业营业收入 → 规模以上工业企业;
    新增X集群 → X集群, whose 总数 follows)."""
    m = w.attribute_end.search(subject)
    entity = subject[: m.start()] if m and m.start() > 0 else subject
    act = w.act.match(entity)
    return entity[act.end() :] if act and act.end() < len(entity) else entity


def _rate(w: Words, phrase: str, negative: bool) -> str:
    """A rate's change word without its baseline (同比增长 → 增长); a fall says 变动."""
    m = w.change_end.search(phrase)
    if not m:
        return phrase
    word = w.changed if negative and m.group(2) in w.decrease else m.group(2)
    return phrase[: m.start()] + word


# --- the parts of a phrase -----------------------------------------------------------------------


def _thing(w: Words, post: str) -> tuple[str, int]:
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
        rest = _clean(w, post[mark + 1 : end])
        if w.predicate.match(rest) or w.rank_verb.match(rest) or w.attributes.match(rest):
            end = mark
            break
        mark = post.find(w.item_mark, mark + 1, end)
    return _clean(w, post[at:end], enumerations=False), end


def _owner(w: Words, post: str) -> str:
    """The owner of an attribute written after its number with 的 (全长1.3万公里的X → X)."""
    post = post.lstrip()
    if not post.startswith(w.owner_mark):
        return ""
    return _thing(w, post)[0]


def _rank(w: Words, lead: str, mention: str, subject: str) -> tuple[str, str]:
    """居全国第3位 → (ranked measure)全国排名; also the ranked measure when the lead names it."""
    s = w.anywhere.sub("", w.space.sub("", lead + mention).translate(w.quotes))
    s = w.rank_number.sub("", s)
    if w.change_end.search(s):  # 排名上升11位: a change of rank
        return _clean(w, s), ""
    scopes = list(w.rank_scope.finditer(s))
    if scopes:
        before, scope = s[: scopes[-1].start()], scopes[-1].group()
    else:
        verbs = list(w.rank_verb.finditer(s))
        before, scope = (s[: verbs[-1].start()], s[verbs[-1].end() :]) if verbs else (s, "")
    m = w.rank_verbs_rev.match(before[::-1])
    if m:
        before = before[: len(before) - m.end()]
    before = _clean(w, before)
    return (before or subject) + scope + w.rank_word, before


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
    tail = _parallel_tail(w, first, last)
    if tail:
        return tail
    if len(first) <= 2 < len(last):  # 城镇、农村常住居民人均可支配收入: parallel words of one length
        return last[len(first) :]
    m = w.heads.search(last, 1)
    if m:
        return last[m.start() :]
    return ""


def _parallel_tail(w: Words, first: str, last: str) -> str:
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


def _items(w: Words, pre: str, m: int) -> list[str]:
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


@dataclass
class _Chain:
    """What the quantities of a sentence carry to the ones after them."""

    subject: str = ""
    subjects: list[str] = field(default_factory=list)
    act: str = ""
    things: list[tuple[int, str]] = field(default_factory=list)  # items waiting for their shared head


@dataclass
class _Sentence:
    text: str
    quantities: Sequence[Span]
    negatives: list[bool]
    leads: list[str]
    posts: list[tuple[int, int, bool]]  # where the words after each quantity stand; whether the next follows
    topics: list[tuple[int, int]]  # the clause before each quantity's clause, when it holds none
    out: list[str]
    chain: _Chain = field(default_factory=_Chain)

    def post(self, w: Words, k: int) -> str:
        """The words after quantity k in its clause (without the joiner before the next quantity)."""
        a, b, nxt = self.posts[k]
        post = self.text[a:b] if a < b else ""
        if not nxt:
            return post
        m = w.joiner_end.search(post)
        post = post[: m.start()] if m else post
        item = post.rfind(w.item_mark)  # 2个X集群、总数达3个: the words after 、 are the next item's
        return post[:item] if item >= 0 else post

    def topic(self, w: Words, k: int) -> str:
        """The subject of the clause before quantity k's, when no quantity stands there (吉化乙烯项目投产，
        总产能达190万吨 → 吉化乙烯项目)."""
        a, b = self.topics[k]
        if a >= b:
            return ""
        topic = _subject(w, _clean(w, self.text[a:b]))
        act = w.act_end.search(topic)
        return topic[: act.start()] if act and act.start() > 0 else topic


def sentence_indicators(
    text: str, start: int, end: int, quantities: Sequence[Span], negatives: Sequence[bool] | None = None
) -> list[str]:
    """The indicator of each quantity (in text order) of the sentence `text[start:end]`."""
    w = words()
    n = len(quantities)
    cl = clauses(text, start, end)
    starts, ends = cl.starts, cl.ends
    at = [bisect_right(starts, q.start) - 1 for q in quantities]
    leads, posts, topics, joined = [], [], [], []
    for i, q in enumerate(quantities):
        k = at[i]
        same = i > 0 and at[i - 1] == k
        lo = max(starts[k], quantities[i - 1].end) if same else starts[k]
        prev_start = quantities[i - 1].start if same else 0
        if same and (name := _NAMED.search(text, max(starts[k], prev_start - reach.NAME_BEFORE), prev_start)):
            lo = name.start()  # PM2.5年均浓度: the number before is part of a name
        nxt = i + 1 < n and at[i + 1] == k
        lead = text[lo : q.start] if lo < q.start else ""
        leads.append(lead)
        posts.append((q.end, quantities[i + 1].start if nxt else ends[k], nxt))
        joined.append(same and lead[:1] in w.joiner_firsts and bool(w.joined.match(lead)))
        topics.append((starts[k - 1], ends[k - 1]) if k > 0 and (i == 0 or at[i - 1] < k - 1) else (0, 0))
    neg = list(negatives) if negatives is not None else [False] * n
    st = _Sentence(text, quantities, neg, leads, posts, topics, [""] * n)
    i = 0
    while i < n:
        j = i + 1
        while j < n and joined[j]:
            j += 1
        if not _paired_list(w, st, i, j):
            for k in range(i, j):
                st.out[k] = _one(w, st, k, start)
        i = j
    return st.out


def _paired_list(w: Words, st: _Sentence, i: int, j: int) -> bool:
    """A list of quantities paired with a list of subjects (分别, or a change word before the list)."""
    m = j - i
    if m < 2:
        return False
    raw = w.space.sub("", st.leads[i])
    cut = max(raw.rfind(r) for r in w.respectively)
    if cut < 0 and not w.predicate.match(_clean(w, raw)):
        return False
    chain = st.chain
    word = next(r for r in w.respectively if raw.rfind(r) == cut) if cut >= 0 else ""
    pre, pred = (raw[:cut], raw[cut + len(word) :]) if cut >= 0 else ("", raw)
    pre_c = _clean(w, pre, enumerations=False, quotes=True)
    if not pre_c or w.predicate.match(pre_c) or w.act.fullmatch(pre_c):  # 累计分别达到1016家和591家
        pred = pre_c + pred
        subject = chain.subject or st.topic(w, i)
        items = chain.subjects[-m:] if len(chain.subjects) >= m else [subject] * m
    else:
        items = _items(w, pre_c, m)
    change = _clean(w, pred)
    for k in range(i, j):
        if k > i and (own := w.joined.match(st.leads[k]).group(1)):  # type: ignore[union-attr]
            change = own
        item = items[min(k - i, len(items) - 1)]
        phrase = item + change
        if st.quantities[k].dimension in _RATES:
            phrase = _rate(w, phrase, st.negatives[k])
        st.out[k] = phrase or item or change
    chain.subjects.extend(items)
    chain.subject = items[-1] if items else chain.subject
    chain.act = ""
    return True


def _one(w: Words, st: _Sentence, k: int, sentence_start: int) -> str:
    """The indicator of one quantity from its lead, the thing after it and the chain before it."""
    q, chain, text = st.quantities[k], st.chain, st.text
    raw = st.leads[k]
    follows = k > 0 and raw[:1] in w.joiner_firsts and bool(w.joiner.match(raw))
    if follows:
        raw = w.joiner.sub("", raw, count=1)
    if q.dimension == "rank":
        mark = raw.rfind(w.item_mark)
        raw = raw[mark + 1 :] if 0 <= mark < len(raw) - 1 else raw  # …250强、数量居全国第2
        phrase, ranked = _rank(w, raw, text[q.start : q.end], chain.subject or st.topic(w, k))
        if ranked:
            chain.subject = ranked
        return phrase
    mark = raw.rfind(w.item_mark)
    if mark > 0 and w.predicate.match(_clean(w, raw[mark + 1 :])):
        raw = raw[mark + 1 :]  # 达到5.53万亿元、稳居全国前十强、增长4.8%: the last item speaks
    lead = _clean(w, raw)
    dim = q.dimension
    counted = not lead or (dim in w.thing_dimensions and not w.complete_end.search(lead))
    post = st.post(w, k) if counted else ""
    thing, used = _thing(w, post) if counted else ("", 0)
    if used and k + 1 < len(st.quantities) and st.leads[k + 1].startswith(post[:used]):
        st.leads[k + 1] = st.leads[k + 1][used:]  # the thing is not the next quantity's lead
    if thing and w.joiner_end.search(raw):
        lead = ""  # 新梅江公园北段、柳林公园二期和56个口袋公园…: the number is an item of its own
    act = w.act.match(lead)
    own = True
    pred = bool(lead) and bool(w.predicate.match(lead))
    if not chain.subject and (pred or not (lead or thing) or w.attributes.fullmatch(lead)):
        chain.subject = st.topic(w, k)
    subject = chain.subject
    if pred and thing and w.change_word.fullmatch(lead):
        phrase = lead + thing  # 增加1万个普惠性学前教育学位: the change word is the act
    elif pred:
        phrase, own = subject + lead, False
    elif not lead:
        if thing and len(thing) <= 2 and chain.subjects and dim == w.doer_dimension:
            phrase = chain.subjects[-1] + thing  # 开办450个职业培训课程，8900人次参与
        elif thing:
            phrase = (chain.act if follows else "") + thing
        elif follows:
            phrase, own = _subject(w, st.out[k - 1]), False
        else:
            phrase, own = subject, False
    elif act and act.end() == len(lead) and not thing:  # 新开工X 740万套，基本建成511万套
        phrase, own = (chain.subjects[-1] if chain.subjects else "") + lead, False
    elif w.attributes.fullmatch(lead) and (owner := _owner(w, st.post(w, k))):
        phrase, own = owner + lead, False  # 全长1.3万公里的三个一号旅游公路
    elif subject and w.attributes.fullmatch(lead):
        phrase, own = _entity(w, subject) + lead, False  # X项目250个，总投资10373亿元
        chain.subject = phrase
    else:
        phrase = lead + thing
        if follows and chain.act and not act and dim in w.thing_dimensions:
            phrase = chain.act + phrase
    phrase = phrase.translate(w.quotes)
    if thing:
        _share_head(w, st, k, thing, follows, bool(post) and used == len(post) and st.posts[k][2])
    if own and phrase:
        chain.subject = _subject(w, phrase)
        chain.subjects.append(chain.subject)
        chain.act = act.group() if act else (chain.act if follows else "")
    if dim in _RATES:
        phrase = _rate(w, phrase, st.negatives[k])
    for short, full in w.completions:  # 政府投资575.5亿元，占25.7% → 政府投资占比
        if phrase.endswith(short):
            phrase = phrase[: len(phrase) - len(short)] + full
            break
    return phrase or _fallback(text, sentence_start, q.start, st.post(w, k))


def _share_head(w: Words, st: _Sentence, k: int, thing: str, follows: bool, cut: bool) -> None:
    """Things counted in a list share the head of the last (5个千亿级、2个百亿级产业集群 → 千亿级产业集群)."""
    waiting = st.chain.things if follows else []
    if cut:  # the next quantity follows right after the thing: the list goes on
        st.chain.things = [*waiting, (k, thing)]
        return
    st.chain.things = []
    if not waiting:
        return
    tail = _parallel_tail(w, waiting[0][1], thing)
    for i, item in waiting:
        if tail and st.out[i].endswith(item) and not item.endswith(tail):
            st.out[i] += tail


def _fallback(text: str, start: int, at: int, post: str) -> str:
    """The nearest words before the number in its sentence, else after it: never nothing."""
    words = re.findall(r"[\u4e00-\u9fffA-Za-z]+", text[max(start, at - reach.FALLBACK_BEFORE) : at])
    if words:
        return words[-1]
    after = re.findall(r"[\u4e00-\u9fffA-Za-z]+", post)
    return after[0] if after else text[at : at + reach.FALLBACK_AFTER]


def indicator_at(sentence: str, offset: int, dimension: str) -> str:
    """The indicator of the number whose mention starts at `offset` of `sentence` (the taxonomy reads a
    sentence through this): the sentence's quantities found as the extractor finds them."""
    from kpi.extractor.find import find_quantities, find_ranks
    from kpi.extractor.reject import drop_overlaps
    from kpi.extractor.resolve import resolve, resolve_rank

    found = [resolve_rank(m) for m in find_ranks(sentence)] + [resolve(m) for m in find_quantities(sentence)]
    qs: list[Span] = list(drop_overlaps([q for q in found if q is not None]))
    at = next((i for i, q in enumerate(qs) if q.start <= offset < max(q.end, q.start + 1)), None)
    if at is None:
        m = _NUMBER.match(sentence, offset)
        qs.append(_Mention(offset, m.end() if m else offset + 1, dimension))
        qs.sort(key=lambda q: q.start)
        at = next(i for i, q in enumerate(qs) if q.start == offset)
    return sentence_indicators(sentence, 0, len(sentence), qs)[at]


_NUMBER = re.compile(r"[\d.,%]+")


@dataclass(frozen=True, slots=True)
class _Mention:
    start: int
    end: int
    dimension: str
