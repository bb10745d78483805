"""The words of the indicator stage (`vocab/indicator.toml`, loaded and checked into typed tables by
`kpi.extractor.clause.indicator_vocab`), compiled once into the patterns the resolver
(`kpi.extractor.indicator`) reads a sentence with."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from kpi.extractor.clause import IndicatorVocab, indicator_vocab
from kpi.vocabulary import VocabularyError, alternation

BLANKS = " \t\r\n\u3000\xa0\u2002\u2003\u200b"


END_WINDOW = 24  # longest run of words an end pattern matches (按可比价格计算同比增长 is 11)


@dataclass(frozen=True, slots=True)
class End:
    """A `…$` pattern ending in one of a list of words: tried only on a phrase that ends with a character
    one of the words ends with, and only near its end (a plain search tries every position)."""

    pattern: re.Pattern[str]
    last: frozenset[str]

    @classmethod
    def of(cls, words: Sequence[str], pattern: str, also: str = "") -> End:
        return cls(re.compile(pattern), frozenset(w[-1] for w in words) | frozenset(also))

    def search(self, s: str) -> re.Match[str] | None:
        if not s or s[-1] not in self.last:
            return None
        return self.pattern.search(s, max(0, len(s) - END_WINDOW))


@dataclass(frozen=True, slots=True)
class RankWords:
    """[rank]: what a rank's indicator is written with."""

    verbs_rev: re.Pattern[str]  # verbs and the rank word closing a phrase, reversed
    verb: re.Pattern[str]
    scope: re.Pattern[str]  # 全国, 全省, 中部地区
    word: str  # 排名
    number: re.Pattern[str]  # the place itself at a phrase's end (第3, 首位)


@dataclass(frozen=True)
class Words:
    quotes: dict[int, None]
    blank: dict[int, None]  # blanks and quotes, dropped from a phrase
    blank_only: dict[int, None]
    space: re.Pattern[str]
    bracket_chars: str  # pairs: opening, closing
    lead: re.Pattern[str]
    anywhere: re.Pattern[str]
    tail_rev: re.Pattern[str]  # the noise words closing a phrase, reversed
    tail_pattern: re.Pattern[str]  # noise written with digits closing a phrase (到2025年)
    tail_keep: tuple[str, ...]
    tail_keep_chars: str  # the characters a word kept whole may end a cut at
    enum_end: str
    enum_gap: int
    enum_words: frozenset[str]
    enum_count: re.Pattern[str]  # a count of the kinds listed, after the list (等8大类)
    completions: tuple[tuple[str, str], ...]
    respectively: tuple[str, ...]
    item_mark: str
    quote_open: str
    quote_close: dict[str, str]
    joiner_end: End
    joined: re.Pattern[str]  # the lead of a list item after the first: a joiner, maybe a change word
    joiner: re.Pattern[str]  # a joiner at the start of a lead
    joiner_firsts: str
    list_split: re.Pattern[str]
    change_end: End  # baselines and a change word ending a phrase
    subject_end: End  # the same, any baseline
    change_word: re.Pattern[str]
    decrease: frozenset[str]
    changed: str
    predicate: re.Pattern[str]
    rank: RankWords
    act: re.Pattern[str]  # acts (with their adverbs) at the start of a phrase
    act_any: re.Pattern[str]
    enum_opener: re.Pattern[str]  # acts and change words, which open a list of examples
    act_end: End
    attributes: re.Pattern[str]  # a phrase made of attribute nouns only
    attribute_end: End
    thing_stop: re.Pattern[str]
    thing_lead: re.Pattern[str]
    not_thing: re.Pattern[str]
    owner_mark: str
    thing_dimensions: frozenset[str]
    doer_dimension: str
    heads: re.Pattern[str]
    qualifier_end: re.Pattern[str]
    collective: re.Pattern[str]
    ordinal: str
    numerals: str
    suffix_end: End
    complete_end: End
    expand: dict[str, tuple[str, ...]]


def _rev(words: Sequence[str]) -> str:
    return alternation(w[::-1] for w in words)


@cache
def words() -> Words:
    """The compiled words of `vocab/indicator.toml`."""
    v = indicator_vocab()
    try:
        return _compile(v)
    except re.error as exc:
        raise VocabularyError(f"indicator.toml: {exc!r}") from exc


def _compile(v: IndicatorVocab) -> Words:
    """The compiled words, built table by table."""
    return Words(
        **_clause_words(v),
        **_noise_words(v),
        **_change_words(v),
        **_rank_words(v),
        **_act_words(v),
        **_list_words(v),
    )


def _clause_words(v: IndicatorVocab) -> dict[str, Any]:
    """[clause]: quotes, brackets, the joiners and marks of lists."""
    clause, change = v.clause, v.change
    joiners = alternation(clause.joiners)
    changes = alternation(change.words)
    baselines = alternation(change.baselines)
    return {
        "quotes": dict.fromkeys(map(ord, clause.quotes)),
        "blank": dict.fromkeys(map(ord, clause.quotes + BLANKS)),
        "blank_only": dict.fromkeys(map(ord, BLANKS)),
        "space": re.compile(r"\s+"),
        "bracket_chars": clause.brackets,
        "respectively": clause.respectively,
        "item_mark": clause.item_mark,
        "quote_open": "".join(p[0] for p in clause.quote_pairs),
        "quote_close": {p[0]: p[1] for p in clause.quote_pairs},
        "joiner_end": End.of(clause.item_joiners, rf"(?:{alternation(clause.item_joiners)})\s*$", BLANKS),
        "joined": re.compile(rf"^\s*(?:{joiners})\s*((?:{baselines})*(?:{changes}))?\s*$"),
        "joiner": re.compile(rf"^\s*(?:{joiners})\s*"),
        "joiner_firsts": " \t\u3000" + "".join({j[0] for j in clause.joiners}),
        "list_split": re.compile(joiners),
    }


def _noise_words(v: IndicatorVocab) -> dict[str, Any]:
    """[noise]: the words cleaned off a phrase."""
    noise = v.noise
    lead = "|".join([alternation(noise.lead), *noise.lead_patterns, r"\s+"])
    return {
        "lead": re.compile(f"^(?:{lead})+"),
        "anywhere": re.compile("|".join([alternation(noise.anywhere), *noise.anywhere_patterns])),
        "tail_rev": re.compile(f"^(?:{_rev(noise.tail)})+"),
        "tail_pattern": re.compile(f"(?:{'|'.join(noise.tail_patterns)})+$"),
        "tail_keep": noise.tail_keep,
        "tail_keep_chars": "".join({c for word in noise.tail_keep for c in word[1:]}),
        "enum_end": noise.enumeration_end,
        "enum_gap": noise.enumeration_max_gap,
        "enum_words": frozenset(noise.enumeration_words),
        "enum_count": re.compile("|".join(noise.enumeration_count_patterns)),
    }


def _change_words(v: IndicatorVocab) -> dict[str, Any]:
    """[change] and [predicate]: change words, their baselines, leads without a subject."""
    change, pred = v.change, v.predicate
    changes = alternation(change.words)
    baselines = alternation(change.baselines)
    not_pred = alternation(change.not_predicates)
    preds = alternation(pred.words + change.words)
    durations = "|".join(pred.lead_patterns)
    return {
        "completions": tuple(v.predicate.completions.items()),
        "change_end": End.of(change.words, f"((?:{baselines})*)({changes})$"),
        "subject_end": End.of(
            change.words, f"(?:{'|'.join([baselines, *change.baseline_patterns])})*(?:{changes})$"
        ),
        "change_word": re.compile(f"(?:{baselines})*(?:{changes})"),
        "decrease": frozenset(change.decrease),
        "changed": change.changed,
        "predicate": re.compile(f"^(?!{not_pred})(?:{durations})?(?:{baselines})*(?:{preds})"),
    }


def _rank_words(v: IndicatorVocab) -> dict[str, Any]:
    """[rank]: the words of a rank's indicator."""
    rank = v.rank
    return {
        "rank": RankWords(
            verbs_rev=re.compile(f"^(?:{_rev(rank.verbs + (rank.word,))})+"),
            verb=re.compile(alternation(rank.verbs)),
            scope=re.compile(alternation(rank.scopes)),
            word=rank.word,
            number=re.compile(f"(?:{'|'.join(rank.number_patterns)}|{alternation(rank.first)})$"),
        )
    }


def _act_words(v: IndicatorVocab) -> dict[str, Any]:
    """[act]: acts, the things they count, attribute nouns."""
    act, change, pred = v.act, v.change, v.predicate
    attributes = alternation(pred.attributes)
    adverbs = alternation(act.adverbs)
    return {
        "act": re.compile(f"^(?:(?:{adverbs})*(?:{alternation(act.verbs)}))+"),
        "act_any": re.compile(alternation(act.verbs)),
        "enum_opener": re.compile(alternation(act.verbs + change.words)),
        "act_end": End.of(act.verbs, f"(?:{alternation(act.verbs)})$"),
        "attributes": re.compile(f"(?:{attributes})+"),
        "attribute_end": End.of(pred.attributes, f"(?:{attributes})$"),
        "thing_stop": re.compile(alternation(act.thing_stops)),
        "thing_lead": re.compile(f"^(?:{alternation(act.thing_lead)})+"),
        "not_thing": re.compile(alternation(act.not_things)),
        "owner_mark": act.owner_mark,
        "thing_dimensions": frozenset(act.thing_dimensions),
        "doer_dimension": act.doer_dimension,
    }


def _list_words(v: IndicatorVocab) -> dict[str, Any]:
    """[list]: heads and items of lists."""
    lst = v.list
    return {
        "heads": re.compile(alternation(lst.heads)),
        "qualifier_end": re.compile(alternation(lst.qualifier_ends)),
        "collective": re.compile("|".join(lst.collective_patterns)),
        "ordinal": lst.ordinal,
        "numerals": lst.numerals,
        "suffix_end": End.of(lst.suffixes, f"(?:{alternation(lst.suffixes)})$"),
        "complete_end": End.of(lst.complete_endings, f"(?:{alternation(lst.complete_endings)})$"),
        "expand": dict(lst.expand),
    }
