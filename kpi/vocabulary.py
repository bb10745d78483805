"""The extractor's vocabulary: TOML files in `kpi/vocab/`, loaded once into frozen dataclasses that
check themselves, with the regular expressions the engine needs built from them (longest word first).
A bad entry fails at load, naming its file and key."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

VOCAB_FILES = ("units", "comparators", "cues", "periods", "furniture", "blocklist")


class VocabularyError(ValueError):
    """A vocabulary file has an entry the engine cannot use."""


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    dimension: str
    scale: Decimal
    counter: bool
    local: bool
    needs_magnitude: bool
    prefix: bool


@dataclass(frozen=True, slots=True)
class Vocabulary:
    units: dict[str, Unit]  # surface -> unit
    unit_dimensions: dict[str, str]  # code -> dimension
    prefix_comparators: dict[str, str]
    suffix_comparators: dict[str, str]
    inner_comparators: dict[str, str]
    target_cues: tuple[str, ...]
    decrease_words: tuple[str, ...]
    level_words: tuple[str, ...]
    relative_years: dict[str, int]
    baseline_before: tuple[str, ...]
    baseline_after: tuple[str, ...]
    plans: dict[str, int]
    review_sections: tuple[str, ...]
    plan_sections: tuple[str, ...]
    bulletin_words: tuple[str, ...]
    furniture_lines: tuple[re.Pattern[str], ...]
    furniture_max_line_chars: int
    list_headings: tuple[str, ...]
    list_max_item_chars: int
    inline_furniture: re.Pattern[str]
    datelines: tuple[re.Pattern[str], ...]
    blocked: re.Pattern[str]
    raw: dict[str, Any]


def alternation(words: Any) -> str:
    """A regex alternation of literal words, longest first (so 个百分点 wins over 个)."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


# Every blocklist match starts with one of these; the lookahead lets the regex skip other positions fast.
_BLOCK_STARTS = r"(?=[第\d一二三四五六七八九十百千万两零〇《“”\"'‘A-Za-z])"


def _first_char_guard(patterns: list[str]) -> str:
    """An alternation of patterns behind a lookahead on the characters they can start with, so the
    regex skips other positions at once (Chinese text is mostly such positions)."""
    starts = r"A-Za-z0-9._%+\-" + "".join(sorted({p[0] for p in patterns if "\u4e00" <= p[0] <= "\u9fff"}))
    return f"(?=[{starts}])(?:" + "|".join(f"(?:{p})" for p in patterns) + ")"


def _guarded(pattern: str) -> str:
    return f"{_BLOCK_STARTS}(?:{pattern})"


def _read(name: str) -> dict[str, Any]:
    data = resources.files("kpi.vocab").joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(data)


def _compile(name: str, key: str, pattern: str, flags: int = 0) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise VocabularyError(f"{name}.toml [{key}]: bad pattern {pattern!r}: {exc}") from exc


def _units(data: dict[str, Any]) -> tuple[dict[str, Unit], dict[str, str]]:
    dims = {code: dim for dim, codes in data["dimensions"].items() for code in codes}
    units: dict[str, Unit] = {}
    for i, entry in enumerate(data["unit"]):
        code = entry.get("code")
        if code not in dims:
            raise VocabularyError(f"units.toml [[unit]] #{i}: code {code!r} is in no [dimensions] set")
        unit = Unit(
            code=code,
            dimension=dims[code],
            scale=Decimal(entry.get("scale", "1")),
            counter=bool(entry.get("counter", False)),
            local=bool(entry.get("local", False)),
            needs_magnitude=bool(entry.get("needs_magnitude", False)),
            prefix=bool(entry.get("prefix", False)),
        )
        for surface in entry["surfaces"]:
            if surface in units and units[surface] != unit:
                raise VocabularyError(f"units.toml: surface {surface!r} defined twice")
            units[surface] = unit
    return units, dims


def _comparators(section: dict[str, list[str]], name: str) -> dict[str, str]:
    allowed = {"=", ">=", ">", "<=", "<", "~"}
    out: dict[str, str] = {}
    for comparator, words in section.items():
        if comparator not in allowed:
            raise VocabularyError(f"comparators.toml [{name}]: unknown comparator {comparator!r}")
        out.update({w: comparator for w in words})
    return out


@cache
def load() -> Vocabulary:
    """Load and check every vocabulary file (once per process)."""
    raw = {name: _read(name) for name in VOCAB_FILES}
    units, dims = _units(raw["units"])
    comp, cues, periods, furn, block = (raw[n] for n in VOCAB_FILES[1:])
    return Vocabulary(
        units=units,
        unit_dimensions=dims,
        prefix_comparators=_comparators(comp["prefix"], "prefix"),
        suffix_comparators=_comparators(comp["suffix"], "suffix"),
        inner_comparators=_comparators(comp["inner"], "inner"),
        target_cues=tuple(cues["kind"]["target"]),
        decrease_words=tuple(cues["decrease"]["words"]),
        level_words=tuple(cues["level"]["words"]),
        relative_years={k: int(v) for k, v in periods["relative"].items()},
        baseline_before=tuple(periods["baseline"]["before_year"]),
        baseline_after=tuple(periods["baseline"]["after_year"]),
        plans={k: int(v) for k, v in periods["plans"].items()},
        review_sections=tuple(periods["section"]["review"]),
        plan_sections=tuple(periods["section"]["plan"]),
        bulletin_words=tuple(periods["bulletin"]["title_words"]),
        furniture_lines=tuple(_compile("furniture", "line", p) for p in furn["line"]["patterns"]),
        furniture_max_line_chars=int(furn["line"]["max_line_chars"]),
        list_headings=tuple(furn["list"]["headings"]),
        list_max_item_chars=int(furn["list"]["max_item_chars"]),
        inline_furniture=_compile("furniture", "inline", _first_char_guard(furn["inline"]["patterns"])),
        datelines=tuple(
            _compile("furniture", "dateline", p, re.MULTILINE) for p in furn["dateline"]["patterns"]
        ),
        blocked=_compile(
            "blocklist", "names", _guarded("|".join(f"(?:{p})" for p in block["names"]["patterns"]))
        ),
        raw=raw,
    )


def vocabulary_digests() -> dict[str, str]:
    """sha256 of each vocabulary file (lineage for Parquet metadata)."""
    files = resources.files("kpi.vocab")
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(files.iterdir(), key=lambda p: p.name)
        if p.name.endswith(".toml")
    }
