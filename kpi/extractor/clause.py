"""The clause structure of a sentence, as the indicator stage and the taxonomy read it.

A sentence (split at 。！？ and line breaks by `segment`) holds clauses, split at the marks of
`vocab/indicator.toml` [clause] (，；： and brackets); a clause holds list items, joined by 、和及与.
This module is the one definition of a clause for both."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from kpi.vocabulary import alternation, read_toml


@cache
def indicator_vocab() -> dict[str, Any]:
    """The tables of `vocab/indicator.toml` (read once, top-level tables checked: kpi.vocabulary)."""
    return read_toml("indicator")


@dataclass(frozen=True, slots=True)
class ClauseMarks:
    mark: re.Pattern[str]  # one clause mark
    joiner: re.Pattern[str]  # a list joiner at a position (match)
    joiners: tuple[str, ...]


@cache
def marks() -> ClauseMarks:
    c = indicator_vocab()["clause"]
    mark = f"[{re.escape(c['marks'])}]"  # one class first: the engine skips to the next mark
    if "," in c["marks"]:  # 12,251: a thousands separator ends no clause (第1,7家 does)
        mark += r"(?<!\d,(?=\d{3}(?!\d)))"
    return ClauseMarks(re.compile(mark), re.compile(alternation(c["joiners"])), tuple(c["joiners"]))


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
