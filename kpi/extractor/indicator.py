"""The indicator phrase: the words before a quantity in its clause that name what is measured, as they
stand (qualifiers kept), without the discourse words and plain verbs around them."""

from __future__ import annotations

import re
from functools import cache

from kpi.vocabulary import alternation, load

_CLAUSE_BREAK = re.compile(r"[,，;；:：、。!?！？()（）“”\"‘’「」\n]")


@cache
def _trim() -> tuple[re.Pattern[str], re.Pattern[str]]:
    v = load()
    plain = [w for w, c in v.prefix_comparators.items() if c == "="] + list(v.prefix_comparators)
    lead = list(v.target_cues) + list(v.relative_years) + ["其中", "分别", "以及", "并", "和", "及", "共"]
    return (
        re.compile(f"^(?:(?:{alternation(lead)})\\s*)+"),
        # trailing words are stripped by matching the reversed phrase at its start (a `…$` search would
        # be tried at every position)
        re.compile(
            f"^(?:(?:{alternation(w[::-1] for w in plain + list(v.level_words) + list(v.baseline_before) + ['了', '的'])})\\s*)+"
        ),
    )


def indicator_phrase(text: str, clause_floor: int, start: int, previous: str | None = None) -> str | None:
    """Words between the clause start (or the end of the previous quantity) and the quantity; when only
    a verb stands there (从2.1%提高到2.5%), the previous quantity's indicator."""
    window = text[max(clause_floor, start - 40) : start]
    breaks = list(_CLAUSE_BREAK.finditer(window))
    phrase = window[breaks[-1].end() :] if breaks else window
    lead, tail = _trim()
    phrase = lead.sub("", phrase.strip())
    phrase = tail.sub("", phrase[::-1], count=1)[::-1].strip() if phrase else phrase
    if not phrase and not breaks and previous:
        return previous
    return phrase or None
