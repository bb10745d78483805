"""Stage 7 — the indicator: the words that name what each quantity of a sentence measures (rule book
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
from typing import NamedTuple, Protocol

from kpi.extractor import phrase as ph
from kpi.extractor import reach
from kpi.extractor.clause import clauses
from kpi.extractor.indicator_words import Words, words

_RATES = ("percent", "pp")


class Span(Protocol):
    """What the resolver needs of a quantity: its mention span and dimension."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def dimension(self) -> str: ...


_NAMED = re.compile(r"[A-Za-z]+$")  # a Latin name glued to the number after it (PM2.5)


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
        topic = ph.subject(w, ph.clean(w, self.text[a:b]))
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
    if cut < 0 and not w.predicate.match(ph.clean(w, raw)):
        return False
    chain = st.chain
    word = next(r for r in w.respectively if raw.rfind(r) == cut) if cut >= 0 else ""
    pre, pred = (raw[:cut], raw[cut + len(word) :]) if cut >= 0 else ("", raw)
    pre_c = ph.clean(w, pre, enumerations=False, quotes=True)
    if not pre_c or w.predicate.match(pre_c) or w.act.fullmatch(pre_c):  # 累计分别达到1016家和591家
        pred = pre_c + pred
        subject = chain.subject or st.topic(w, i)
        items = chain.subjects[-m:] if len(chain.subjects) >= m else [subject] * m
    else:
        items = ph.items(w, pre_c, m)
    change = ph.clean(w, pred)
    for k in range(i, j):
        if k > i and (own := w.joined.match(st.leads[k]).group(1)):  # type: ignore[union-attr]
            change = own
        item = items[min(k - i, len(items) - 1)]
        phrase = item + change
        if st.quantities[k].dimension in _RATES:
            phrase = ph.rate(w, phrase, st.negatives[k])
        st.out[k] = phrase or item or change
    chain.subjects.extend(items)
    chain.subject = items[-1] if items else chain.subject
    chain.act = ""
    return True


def _one(w: Words, st: _Sentence, k: int, sentence_start: int) -> str:
    """The indicator of one quantity from its lead, the thing after it and the chain before it."""
    q, chain = st.quantities[k], st.chain
    raw = st.leads[k]
    follows = k > 0 and raw[:1] in w.joiner_firsts and bool(w.joiner.match(raw))
    if follows:
        raw = w.joiner.sub("", raw, count=1)
    if q.dimension == "rank":
        return _ranked(w, st, k, raw)
    mark = raw.rfind(w.item_mark)
    if mark > 0 and w.predicate.match(ph.clean(w, raw[mark + 1 :])):
        raw = raw[mark + 1 :]  # 达到5.53万亿元、稳居全国前十强、增长4.8%: the last item speaks
    lead = ph.clean(w, raw)
    counted = not lead or (q.dimension in w.thing_dimensions and not w.complete_end.search(lead))
    post = st.post(w, k) if counted else ""
    thing, used = ph.thing(w, post) if counted else ("", 0)
    if used and k + 1 < len(st.quantities) and st.leads[k + 1].startswith(post[:used]):
        st.leads[k + 1] = st.leads[k + 1][used:]  # the thing is not the next quantity's lead
    if thing and w.joiner_end.search(raw):
        lead = ""  # 新梅江公园北段、柳林公园二期和56个口袋公园…: the number is an item of its own
    act = w.act.match(lead)
    phrase, own = _compose(w, st, k, lead, thing, follows)
    phrase = phrase.translate(w.quotes)
    if thing:
        _share_head(w, st, k, thing, follows, bool(post) and used == len(post) and st.posts[k][2])
    if own and phrase:
        chain.subject = ph.subject(w, phrase)
        chain.subjects.append(chain.subject)
        chain.act = act.group() if act else (chain.act if follows else "")
    return _finish(w, st, k, phrase, sentence_start)


def _ranked(w: Words, st: _Sentence, k: int, raw: str) -> str:
    """A rank's indicator: the ranked measure, its scope and 排名; the measure carries on."""
    q, chain = st.quantities[k], st.chain
    mark = raw.rfind(w.item_mark)
    raw = raw[mark + 1 :] if 0 <= mark < len(raw) - 1 else raw  # …250强、数量居全国第2
    phrase, ranked = ph.rank(w, raw, st.text[q.start : q.end], chain.subject or st.topic(w, k))
    if ranked:
        chain.subject = ranked
    return phrase


def _compose(w: Words, st: _Sentence, k: int, lead: str, thing: str, follows: bool) -> tuple[str, bool]:
    """The phrase from the lead, the thing counted and the chain; whether it is the quantity's own
    (a new subject for the quantities after it) or borrowed from the chain."""
    chain, dim = st.chain, st.quantities[k].dimension
    act = w.act.match(lead)
    pred = bool(lead) and bool(w.predicate.match(lead))
    if not chain.subject and (pred or not (lead or thing) or w.attributes.fullmatch(lead)):
        chain.subject = st.topic(w, k)
    subject = chain.subject
    if pred and thing and w.change_word.fullmatch(lead):
        return lead + thing, True  # 增加1万个普惠性学前教育学位: the change word is the act
    if pred:
        return subject + lead, False
    if not lead:
        if thing and len(thing) <= 2 and chain.subjects and dim == w.doer_dimension:
            return chain.subjects[-1] + thing, True  # 开办450个职业培训课程，8900人次参与
        if thing:
            return (chain.act if follows else "") + thing, True
        if follows:
            return ph.subject(w, st.out[k - 1]), False
        return subject, False
    if act and act.end() == len(lead) and not thing:  # 新开工X 740万套，基本建成511万套
        return (chain.subjects[-1] if chain.subjects else "") + lead, False
    if w.attributes.fullmatch(lead) and (owner := ph.owner(w, st.post(w, k))):
        return owner + lead, False  # 全长1.3万公里的三个一号旅游公路
    if subject and w.attributes.fullmatch(lead):
        chain.subject = ph.entity(w, subject) + lead  # X项目250个，总投资10373亿元
        return chain.subject, False
    if follows and chain.act and not act and dim in w.thing_dimensions:
        return chain.act + lead + thing, True
    return lead + thing, True


def _finish(w: Words, st: _Sentence, k: int, phrase: str, sentence_start: int) -> str:
    """A rate's change word, a completed short word (占 → 占比), or the nearest words when nothing else."""
    q = st.quantities[k]
    if q.dimension in _RATES:
        phrase = ph.rate(w, phrase, st.negatives[k])
    for short, full in w.completions:  # 政府投资575.5亿元，占25.7% → 政府投资占比
        if phrase.endswith(short):
            phrase = phrase[: len(phrase) - len(short)] + full
            break
    return phrase or _fallback(st.text, sentence_start, q.start, st.post(w, k))


def _share_head(w: Words, st: _Sentence, k: int, thing: str, follows: bool, cut: bool) -> None:
    """Things counted in a list share the head of the last (5个千亿级、2个百亿级产业集群 → 千亿级产业集群)."""
    waiting = st.chain.things if follows else []
    if cut:  # the next quantity follows right after the thing: the list goes on
        st.chain.things = [*waiting, (k, thing)]
        return
    st.chain.things = []
    if not waiting:
        return
    tail = ph.parallel_tail(w, waiting[0][1], thing)
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


class _Mention(NamedTuple):
    start: int
    end: int
    dimension: str
