"""The characters a regular expression's match can start with, read from the pattern itself, so a
first-character guard (a lookahead that lets `finditer` skip other positions at once) is derived from
the vocabulary and cannot fall out of step with it.

The reading is conservative: any construct it does not know (a negated class, `.`, `\\w`, a back
reference, a case-insensitive group), or a pattern that can match the empty string, gives None, meaning
"no guard": the pattern is then used unguarded, slower but with the same matches.

>>> first_chars(r"第[\\d一二]+|(?:19|20)\\d{2}年|《[^》]+》")
'12《第'
>>> guarded(r"\\d+[A-Za-z]+")
'(?=[\\\\d])(?:\\\\d+[A-Za-z]+)'
>>> first_chars(r".*年") is None
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from re import (
    _compiler,  # type: ignore[attr-defined]
    _parser,  # type: ignore[attr-defined]
)
from re import _constants as c  # type: ignore[attr-defined]
from typing import Any

_REPEATS = {c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT}
_ZERO_WIDTH = {c.AT, c.ASSERT, c.ASSERT_NOT}  # consume nothing: the next item gives the first character


class _Unknown(Exception):
    """A construct whose first characters are not read: no guard."""


def _class_items(items: Any) -> set[str]:
    out: set[str] = set()
    for op, arg in items:
        if op is c.LITERAL:
            out.add(re.escape(chr(arg)))
        elif op is c.RANGE:
            out.add(f"{re.escape(chr(arg[0]))}-{re.escape(chr(arg[1]))}")
        elif op is c.CATEGORY and arg is c.CATEGORY_DIGIT:
            out.add(r"\d")
        else:  # NEGATE, \w, \s …: too wide to guard
            raise _Unknown(op)
    return out


def _item(op: Any, arg: Any) -> tuple[set[str], bool]:
    """(first characters, can match empty) of one parsed item."""
    if op is c.LITERAL:
        return {re.escape(chr(arg))}, False
    if op is c.IN:
        return _class_items(arg), False
    if op is c.SUBPATTERN:
        _group, add_flags, _del_flags, sub = arg
        if add_flags & re.IGNORECASE:
            raise _Unknown(op)
        return _sequence(sub)
    if op is c.ATOMIC_GROUP:
        return _sequence(arg)
    if op is c.BRANCH:
        chars, empty = set(), False
        for sub in arg[1]:
            sub_chars, sub_empty = _sequence(sub)
            chars |= sub_chars
            empty = empty or sub_empty
        return chars, empty
    if op in _REPEATS:
        low, _high, sub = arg
        chars, empty = _sequence(sub)
        return chars, empty or low == 0
    if op in _ZERO_WIDTH:
        return set(), True
    raise _Unknown(op)


def _sequence(items: Any) -> tuple[set[str], bool]:
    """(first characters, can match empty) of a sequence: its items' up to the first that cannot be empty."""
    chars: set[str] = set()
    for op, arg in items:
        item_chars, empty = _item(op, arg)
        chars |= item_chars
        if not empty:
            return chars, False
    return chars, True


def first_chars(pattern: str) -> str | None:
    """The body of a character class holding every character a match of `pattern` can start with, or
    None when that is not read (see the module's docstring)."""
    try:
        parsed = _parser.parse(pattern)
        if parsed.state.flags & re.IGNORECASE:
            return None
        chars, empty = _sequence(parsed)
    except _Unknown:
        return None
    return None if empty else "".join(sorted(chars))


def _engine_skips(pattern: str) -> bool:
    """Whether the regex engine skips impossible positions by itself: it does when the pattern opens
    with a literal, a class or a choice of literals (a trie of words), and a lookahead would only
    add a step at every position."""
    parsed = _parser.parse(pattern)
    flags = parsed.state.flags
    if parsed.getwidth()[0] == 0:
        return False
    return bool(_compiler._get_literal_prefix(parsed, flags)[0] or _compiler._get_charset_prefix(parsed, flags))


def guarded(pattern: str) -> str:
    """`pattern` behind a lookahead on its first characters; as it is when the engine skips by itself
    or the first characters are not read."""
    chars = None if _engine_skips(pattern) else first_chars(pattern)
    return pattern if chars is None else f"(?=[{chars}])(?:{pattern})"


def class_led(branches: Sequence[tuple[str, str]]) -> str:
    """The alternation of `first + rest` for each (first, rest) branch, where `first` is the body of a
    character class, written to open with one class holding every first character: the engine then
    skips to a possible start by itself, as a lookahead guard cannot make it. After the class, each
    branch looks back at its first character; branches keep their order (an earlier one wins).

    >>> class_led([("第", ""), ("首", "位"), (r"\\d", "[位名]")])
    '[第首\\\\d](?:(?<=[第])|(?<=[首])位|(?<=[\\\\d])[位名])'
    """
    firsts = "".join(dict.fromkeys(first for first, _ in branches))
    return f"[{firsts}](?:" + "|".join(f"(?<=[{first}]){rest}" for first, rest in branches) + ")"

