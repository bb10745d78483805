"""The first-character guards and anchors are derived from the vocabulary (kpi.first_chars,
kpi.extractor.find): every word and pattern of the vocabulary can still be matched through them."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpi.extractor.find import find_ranks
from kpi.first_chars import first_chars, guarded
from kpi.vocabulary import load

VOCAB = resources.files("kpi.vocab")


def _patterns(name: str, key: str) -> list[str]:
    data: dict[str, Any] = tomllib.loads(VOCAB.joinpath(f"{name}.toml").read_text(encoding="utf-8"))
    return list(data[key]["patterns"])


GUARDED = [("blocklist", "names", "blocked"), ("furniture", "inline", "inline_furniture")]
PATTERNS = [(field, p) for name, key, field in GUARDED for p in _patterns(name, key)]


@pytest.mark.parametrize(("field", "pattern"), PATTERNS, ids=[p for _, p in PATTERNS])
def test_every_guarded_pattern_matches_through_the_guard(field: str, pattern: str) -> None:
    """Strings that the pattern alone matches in full are matched at their start by the guarded regex."""
    regex = getattr(load(), field)
    assert first_chars(regex.pattern) is not None, "the guard was not derived"

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.from_regex(pattern, fullmatch=True))
    def matches(text: str) -> None:
        assert regex.match(text), f"{text!r} matches {pattern!r} but not the guarded {field}"

    matches()


def test_a_pattern_that_can_match_anywhere_stays_unguarded() -> None:
    assert guarded(r"(?:x)?年") == "(?=[x年])(?:(?:x)?年)"
    assert guarded(r"\w+年") == r"\w+年"
    assert guarded(r"(?i)tel") == "(?i)tel"
    assert guarded(r"a?") == "a?"


def _rank_examples() -> list[tuple[str, str, str]]:
    """(text, group, word): each rank word of cues.toml [rank] in a sentence that holds it."""
    rank = load().rank_cues
    return (
        [(f"，{verb}3位，", "verb", verb) for verb in rank.verbs]
        + [(f"，{verb}第5名，", "verb", verb) for verb in rank.verbs]
        + [(f"，{scope}第3，", "scope", scope) for scope in rank.scopes]
        + [(f"，{scope}第一，", "scope", scope) for scope in rank.scopes]
        + [(f"，{first}，", "first", first) for first in rank.first]
    )


@pytest.mark.parametrize(("text", "group", "word"), _rank_examples(), ids=lambda x: str(x))
def test_every_rank_word_is_found_through_the_anchor(text: str, group: str, word: str) -> None:
    found = find_ranks(text)
    assert [m.group(group) for m in found] == [word]
