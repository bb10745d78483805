"""The clause structure of a sentence, as the indicator stage and the taxonomy read it, and the tables of
`vocab/indicator.toml` it is read with.

A sentence (split at 。！？ and line breaks by `segment`) holds clauses, split at the marks of
`vocab/indicator.toml` [clause] (，；： and brackets); a clause holds list items, joined by 、和及与.
This module is the one definition of a clause for both.

The file loads once into typed, frozen dataclasses, one per table, that check themselves at load
(`kpi.vocabulary.table`): an unknown or missing key, a wrong type, an empty list or a pattern that does
not compile fails naming the file and the key. `kpi.extractor.indicator_words` compiles the rest."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, fields
from functools import cache
from typing import Any

from kpi.vocabulary import VocabularyError, Words, alternation, mapping, read_toml, table

_NAME = "indicator"

# --- indicator.toml, one dataclass per table (field types checked by `table`; the keys ending in
# `_patterns` hold regular expressions) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClauseTable:
    """[clause]: the clause structure of a sentence."""

    marks: str
    brackets: str
    joiners: Words
    item_mark: str
    item_joiners: Words
    respectively: Words
    quotes: str
    quote_pairs: Words


@dataclass(frozen=True, slots=True)
class NoiseTable:
    """[noise]: words that are not part of an indicator."""

    lead: Words
    lead_patterns: Words
    anywhere: Words
    anywhere_patterns: Words
    tail: Words
    tail_keep: Words
    tail_patterns: Words
    enumeration_end: str
    enumeration_words: Words
    enumeration_max_gap: int
    enumeration_count_patterns: Words


@dataclass(frozen=True, slots=True)
class ChangeTable:
    """[change]: change words and their baselines."""

    baselines: Words
    baseline_patterns: Words
    words: Words
    decrease: Words
    changed: str
    not_predicates: Words


@dataclass(frozen=True, slots=True)
class PredicateTable:
    """[predicate]: words that open a clause without a subject of its own."""

    completions: dict[str, str]  # [predicate.completions]: a closing word -> the word it stands for
    words: Words
    lead_patterns: Words
    attributes: Words


@dataclass(frozen=True, slots=True)
class RankTable:
    """[rank]: the words of a rank's indicator."""

    verbs: Words
    scopes: Words
    word: str
    first: Words
    number_patterns: Words


@dataclass(frozen=True, slots=True)
class ActTable:
    """[act]: acts and the things they count."""

    verbs: Words
    adverbs: Words
    thing_stops: Words
    thing_lead: Words
    not_things: Words
    owner_mark: str
    doer_dimension: str
    thing_dimensions: Words


@dataclass(frozen=True, slots=True)
class ListTable:
    """[list]: lists of subjects with a shared head."""

    heads: Words
    qualifier_ends: Words
    collective_patterns: Words
    ordinal: str
    numerals: str
    suffixes: Words
    complete_endings: Words
    expand: dict[str, Words]  # [list.expand]


@dataclass(frozen=True, slots=True)
class IndicatorVocab:
    """`vocab/indicator.toml`, one field per table."""

    clause: ClauseTable
    noise: NoiseTable
    change: ChangeTable
    predicate: PredicateTable
    rank: RankTable
    act: ActTable
    list: ListTable


def _with_sub(data: Any, key: str, sub: str, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The table `[key]` without its sub-table `[key.sub]`, and that sub-table (any keys, each value of
    `kind`)."""
    if not isinstance(data, dict):
        raise VocabularyError(f"{_NAME}.toml [{key}]: expected a table, got {data!r}")
    rest = dict(data)
    return rest, mapping(_NAME, f"{key}.{sub}", rest.pop(sub, None), kind)


def _check_patterns(vocab: IndicatorVocab) -> None:
    """Every regular expression of the keys ending in `_patterns` compiles."""
    for table_field in fields(vocab):
        tbl = getattr(vocab, table_field.name)
        for key in (f.name for f in fields(tbl) if f.name.endswith("_patterns")):
            for pattern in getattr(tbl, key):
                try:
                    re.compile(pattern)
                except re.error as exc:
                    where = f"{_NAME}.toml [{table_field.name}] {key}"
                    raise VocabularyError(f"{where}: bad pattern {pattern!r}: {exc}") from exc


@cache
def indicator_vocab() -> IndicatorVocab:
    """The tables of `vocab/indicator.toml`, loaded and checked once."""
    data = read_toml(_NAME)
    predicate, completions = _with_sub(data["predicate"], "predicate", "completions", "str")
    lists, expand = _with_sub(data["list"], "list", "expand", "Words")
    vocab = IndicatorVocab(
        clause=table(ClauseTable, _NAME, "clause", data["clause"]),
        noise=table(NoiseTable, _NAME, "noise", data["noise"]),
        change=table(ChangeTable, _NAME, "change", data["change"]),
        predicate=table(PredicateTable, _NAME, "predicate", predicate, {"completions": completions}),
        rank=table(RankTable, _NAME, "rank", data["rank"]),
        act=table(ActTable, _NAME, "act", data["act"]),
        list=table(ListTable, _NAME, "list", lists, {"expand": expand}),
    )
    _check_patterns(vocab)
    return vocab


@dataclass(frozen=True, slots=True)
class ClauseMarks:
    mark: re.Pattern[str]  # one clause mark
    joiner: re.Pattern[str]  # a list joiner at a position (match)
    joiners: Words


@cache
def marks() -> ClauseMarks:
    c = indicator_vocab().clause  # [clause] of vocab/indicator.toml, checked at load
    mark = f"[{re.escape(c.marks)}]"  # one class first: the engine skips to the next mark
    if "," in c.marks:  # 12,251: a thousands separator ends no clause (第1,7家 does)
        mark += r"(?<!\d,(?=\d{3}(?!\d)))"
    return ClauseMarks(re.compile(mark), re.compile(alternation(c.joiners)), c.joiners)


@dataclass(frozen=True, slots=True)
class Clauses:
    """The clauses of `text[start:end]`: clause k spans `starts[k]` to `ends[k]` (its closing mark
    excluded)."""

    starts: list[int]
    ends: list[int]

    def index(self, pos: int) -> int:
        """The clause that holds offset `pos`."""
        return max(0, bisect.bisect_right(self.starts, pos) - 1)


def clauses(text: str, start: int = 0, end: int | None = None) -> Clauses:
    stop = len(text) if end is None else end
    at = [m.start() for m in marks().mark.finditer(text, start, stop)]
    return Clauses([start, *(i + 1 for i in at)], [*at, stop])
