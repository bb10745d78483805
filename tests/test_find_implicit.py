"""find_implicit searches only the sentences a noun for people reaches: what resolve_implicit keeps is
the same as from a search of the whole text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kpi.extractor.find import find_implicit, patterns
from kpi.extractor.resolve import resolve_implicit
from kpi.extractor.segment import layout

_PIECES = [
    "人口",
    "贫困人口",
    "就业人员",
    "游客",
    "劳动力",
    "人数",
    "1000万",
    "2.5亿",
    "3万",
    "超过",
    "减少",
    "多",
    "左右",
    "以上",
    "增加",
    "万人",
    "，",
    "。",
    "\n",
    " ",
    "全省",
]


def _kept(text: str, matches: list) -> list:
    return [(m.span(), q) for m in matches if (q := resolve_implicit(m, text)) is not None]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join))
def test_the_same_people_counts_as_a_whole_text_search(text: str) -> None:
    everywhere = list(patterns().implicit.finditer(text))
    assert _kept(text, find_implicit(text, layout(text).boundaries)) == _kept(text, everywhere)


def test_a_count_of_people_with_its_noun_in_the_sentence_before() -> None:
    text = "一是贫困人口。1000万以上，全部脱贫"  # the noun closes the sentence before, within reach
    found = _kept(text, find_implicit(text, layout(text).boundaries))
    assert [(span, q.value) for span, q in found] == [((7, 14), 10_000_000)]
