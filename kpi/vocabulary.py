"""The extractor's vocabulary: TOML files in `kpi/vocab/`, loaded once into frozen dataclasses that
check themselves, with the regular expressions the engine needs built from them (longest word first).
A bad entry fails at load, naming its file and key."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import MISSING, dataclass, fields
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from kpi.first_chars import guarded

T = TypeVar("T")
Words = tuple[str, ...]  # a list of words in a vocabulary file: `table` checks it is non-empty, each word too
AnyWords = tuple[str, ...]  # the same, but the list may be empty
VOCAB_FILES = ("units", "comparators", "cues", "periods", "furniture", "blocklist")

# The top-level tables of every file in kpi/vocab: a file with a table not listed (or lacking one) fails
# at load, naming the file, whichever stage reads it. The stages check the keys inside their tables.
TABLES: dict[str, frozenset[str]] = {
    "blocklist": frozenset({"names"}),
    "comparators": frozenset({"prefix", "suffix", "inner"}),
    "cues": frozenset(
        {"kind", "decrease", "level", "rank", "neutral", "qualifier", "time", "partial_period"}
    ),
    "furniture": frozenset({"line", "list", "inline", "dateline"}),
    "indicator": frozenset({"clause", "noise", "change", "predicate", "rank", "act", "list"}),
    "indicators": frozenset({"matching", "indicator"}),
    "periods": frozenset({"relative", "baseline", "carry", "plans"}),
    "regions": frozenset({"region"}),
    "structure": frozenset(
        {"genre", "modes", "scoring", "aspect", "spans", "transitions", "override", "region", "bulletin"}
    ),
    "tracking": frozenset({"span"}),
    "unit_words": frozenset({"words", "magnified", "magnitudes", "counter"}),
    "units": frozenset({"dimensions", "unit", "fixed", "implicit"}),
}


class VocabularyError(ValueError):
    """A vocabulary file has an entry the engine cannot use."""


@dataclass(frozen=True, slots=True)
class Unit:
    """units.toml [[unit]] (its surfaces apart; `dimension` from [dimensions])."""

    code: str
    dimension: str
    scale: Decimal = Decimal(1)
    counter: bool = False
    local: bool = False
    needs_magnitude: bool = False
    prefix: bool = False


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
    baseline_start: tuple[str, ...]
    plans: dict[str, int]
    furniture_lines: tuple[re.Pattern[str], ...]
    furniture_max_line_chars: int
    list_headings: tuple[str, ...]
    list_max_item_chars: int
    inline_furniture: re.Pattern[str]
    datelines: tuple[re.Pattern[str], ...]
    blocked: re.Pattern[str]
    kind_cues: KindCues
    neutral_words: tuple[str, ...]
    rank_cues: RankCues
    qualifier: QualifierCues
    time_kpi_words: tuple[str, ...]
    partial_period: PartialPeriod
    continuation_words: tuple[str, ...]  # periods.toml [carry]: a sentence that carries the year before on
    fixed: dict[str, FixedQuantity]  # units.toml [fixed]: phrase -> quantity
    person_nouns: tuple[str, ...]  # units.toml [implicit]

    @property
    def dimensions(self) -> dict[str, Words]:
        """units.toml [dimensions]: dimension -> its unit codes, both in file order."""
        return _by_dimension(self.unit_dimensions)


@dataclass(frozen=True, slots=True)
class KindCues:
    """cues.toml [kind]: the words that make a quantity a target or a result."""

    target: Words
    actual: Words
    target_weak: Words
    actual_weak: Words
    comparison: Words


@dataclass(frozen=True, slots=True)
class RankCues:
    """cues.toml [rank]: 居全国第3位, 排名第一."""

    scopes: Words
    verbs: Words
    evaluations: Words
    first: Words
    ordinal_followers: Words


@dataclass(frozen=True, slots=True)
class QualifierCues:
    """cues.toml [qualifier]: an amount that qualifies a noun (500万元以上企业) is no KPI."""

    joiners: Words
    followers: Words
    preceders: Words
    threshold_dimensions: Words
    breakers: Words
    marks: Words
    members: Words


@dataclass(frozen=True, slots=True)
class PartialPeriod:
    """cues.toml [partial_period]: early in the year the current year is planned, unless a part of it is reported."""

    early_months: int
    words: Words


@dataclass(frozen=True, slots=True)
class FixedQuantity:
    """units.toml [fixed]: a phrase that is a quantity on its own (翻一番 -> 2 times)."""

    code: str
    value: Decimal


def alternation(words: Any) -> str:
    """A regex alternation of literal words written as a trie, longer words first (个百分点 wins over 个):
    the same matches, in the same order of preference, as the words sorted longest first, but at each
    position the engine tries one branch per next character instead of every word.

    >>> alternation(["个", "个百分点", "个月", "元"])
    '(?:个(?:月|百分点)?|元)'
    """
    trie: dict[str, Any] = {}
    for word in set(words):
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here
    return _trie_regex(trie, top=True)


def word_branches(words: Any) -> list[tuple[str, str]]:
    """`words` as (first character, rest) branches for `kpi.first_chars.class_led`, the rests of one first
    character joined as `alternation` joins words."""
    rests: dict[str, list[str]] = {}
    for word in words:
        rests.setdefault(word[0], []).append(word[1:])
    return [(re.escape(first), alternation(r)) for first, r in rests.items()]


def _trie_regex(node: dict[str, Any], top: bool = False) -> str:
    branches = [re.escape(ch) + _trie_regex(node[ch]) for ch in sorted(node) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:  # a shorter word ends here: the longer ones are tried first
        return ("(?:" + body + ")" if len(branches) == 1 and len(body) > 1 else body) + "?"
    return "(?:" + body + ")" if top and len(branches) == 1 else body


def _any_of(patterns: list[str]) -> str:
    """One regex matching any of `patterns`, behind a lookahead on the characters they can start with
    (read from the patterns by `kpi.first_chars`), so the regex skips other positions at once."""
    return guarded("|".join(f"(?:{p})" for p in patterns))


def _vocab_text(name: str) -> str:
    return resources.files("kpi.vocab").joinpath(f"{name}.toml").read_text(encoding="utf-8")


@cache
def read_toml(name: str) -> dict[str, Any]:
    """`kpi/vocab/NAME.toml`, parsed once per process; VocabularyError when it does not parse or its
    top-level tables are not those of TABLES. Callers must not change what it returns."""
    try:
        data = tomllib.loads(_vocab_text(name))
    except tomllib.TOMLDecodeError as exc:
        raise VocabularyError(f"{name}.toml: {exc}") from exc
    unknown, missing = sorted(set(data) - TABLES[name]), sorted(TABLES[name] - set(data))
    if unknown:
        raise VocabularyError(f"{name}.toml: unknown table(s) {unknown}")
    if missing:
        raise VocabularyError(f"{name}.toml: missing table(s) {missing}")
    return data


def _value(where: str, kind: str, value: Any) -> Any:
    """`value` as a field of type `kind` (the annotation's text), or VocabularyError naming `where`."""
    kind = kind.removesuffix(" | None")  # an optional key: present, it holds the type
    if kind in ("Words", "tuple[str, ...]", "AnyWords"):
        if not (isinstance(value, list) and all(isinstance(v, str) and v for v in value)):
            raise VocabularyError(f"{where}: expected a list of words, got {value!r}")
        if not value and kind != "AnyWords":
            raise VocabularyError(f"{where}: expected a non-empty list of words, got {value!r}")
        return tuple(value)
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "float" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "str" and isinstance(value, str) and value:
        return value
    if kind == "Decimal" and isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            pass
    raise VocabularyError(f"{where}: expected {kind}, got {value!r}")


def checked(name: str, key: str, data: Any, **kinds: str) -> dict[str, Any]:
    """The TOML table `data` (`[key]` of NAME.toml) with exactly the keys of `kinds`, each value checked
    as its kind (an annotation's text: Words, AnyWords, int, float, bool, str, Decimal): unknown and
    missing keys, wrong types and empty lists raise VocabularyError naming the file and key."""
    return _checked(f"{name}.toml [{key}]", data, kinds, frozenset())


def _checked(where: str, data: Any, kinds: dict[str, str], optional: frozenset[str]) -> dict[str, Any]:
    """`checked`, the keys `optional` allowed to be absent (and then left out of the result)."""
    if not isinstance(data, dict):
        raise VocabularyError(f"{where}: expected a table, got {data!r}")
    unknown, missing = sorted(set(data) - set(kinds)), sorted(set(kinds) - set(data) - optional)
    if unknown or missing:
        raise VocabularyError(f"{where}: unknown key(s) {unknown}, missing key(s) {missing}")
    return {k: _value(f"{where} {k}", kind, data[k]) for k, kind in kinds.items() if k in data}


def table(cls: type[T], name: str, key: str, data: Any, given: dict[str, Any] | None = None) -> T:
    """The dataclass `cls` from the TOML table `data` (`[key]` of NAME.toml, checked against the field
    types; a field with a default may be absent) and the fields `given` that the file does not hold (a
    table's own name)."""
    given = given or {}
    own = [f for f in fields(cls) if f.init and f.name not in given]  # type: ignore[arg-type]
    kinds = {f.name: str(f.type) for f in own}
    optional = frozenset(f.name for f in own if f.default is not MISSING or f.default_factory is not MISSING)
    return cls(**given, **_checked(f"{name}.toml [{key}]", data, kinds, optional))


def mapping(name: str, key: str, data: Any, kind: str) -> dict[str, Any]:
    """The TOML table `data` (`[key]` of NAME.toml) of any keys, at least one, each value of `kind`."""
    if not isinstance(data, dict) or not data:
        raise VocabularyError(f"{name}.toml [{key}]: expected a non-empty table, got {data!r}")
    return checked(name, key, data, **dict.fromkeys(data, kind))


def _words(name: str, key: str, data: Any, field: str = "words") -> Words:
    """The one list of words a table `[key]` holds under `field`."""
    where = f"{name}.toml [{key}]"
    if not isinstance(data, dict) or set(data) != {field}:
        raise VocabularyError(f"{where}: expected exactly the key {field!r}, got {data!r}")
    return _value(f"{where} {field}", "Words", data[field])  # type: ignore[no-any-return]


def _fixed(data: dict[str, Any], dims: dict[str, str]) -> dict[str, FixedQuantity]:
    out = {phrase: table(FixedQuantity, "units", f"fixed.{phrase}", spec) for phrase, spec in data.items()}
    for phrase, quantity in out.items():
        if quantity.code not in dims:
            raise VocabularyError(
                f"units.toml [fixed.{phrase}]: code {quantity.code!r} is in no [dimensions] set"
            )
    return out


def _compile(name: str, key: str, pattern: str, flags: int = 0) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise VocabularyError(f"{name}.toml [{key}]: bad pattern {pattern!r}: {exc}") from exc


def _dimensions(data: Any) -> dict[str, str]:
    """units.toml [dimensions]: unit code -> dimension, each code in one dimension."""
    dims: dict[str, str] = {}
    for dim, codes in mapping("units", "dimensions", data, "Words").items():
        for code in codes:
            if dims.setdefault(code, dim) != dim:
                raise VocabularyError(f"units.toml [dimensions] {dim}: {code!r} is under {dims[code]!r} too")
    return dims


def unit_dimensions() -> dict[str, str]:
    """units.toml [dimensions], checked: unit code -> dimension, in file order. Without the rest of the
    vocabulary (whose regular expressions a process that only writes files does not need); hot paths
    read `load().unit_dimensions`."""
    return _dimensions(read_toml("units")["dimensions"])


def dimensions() -> dict[str, Words]:
    """units.toml [dimensions]: dimension -> its unit codes, both in file order."""
    return _by_dimension(unit_dimensions())


def _by_dimension(dims: dict[str, str]) -> dict[str, Words]:
    return {d: tuple(c for c in dims if dims[c] == d) for d in dict.fromkeys(dims.values())}


def _units(data: dict[str, Any]) -> tuple[dict[str, Unit], dict[str, str]]:
    dims = unit_dimensions()
    units: dict[str, Unit] = {}
    for i, spec in enumerate(data["unit"]):
        key, entry = f"unit #{i}", dict(spec) if isinstance(spec, dict) else {}
        surfaces = _value(f"units.toml [{key}] surfaces", "Words", entry.pop("surfaces", None))
        if entry.get("code") not in dims:
            raise VocabularyError(f"units.toml [{key}]: code {entry.get('code')!r} is in no [dimensions] set")
        unit = table(Unit, "units", key, entry, {"dimension": dims[entry["code"]]})
        for surface in surfaces:
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
    for name in TABLES:  # every file's tables, including those other stages read
        read_toml(name)
    raw = {name: read_toml(name) for name in VOCAB_FILES}
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
        baseline_start=tuple(periods["baseline"]["start"]),
        plans={k: int(v) for k, v in periods["plans"].items()},
        furniture_lines=tuple(_compile("furniture", "line", p) for p in furn["line"]["patterns"]),
        furniture_max_line_chars=int(furn["line"]["max_line_chars"]),
        list_headings=tuple(furn["list"]["headings"]),
        list_max_item_chars=int(furn["list"]["max_item_chars"]),
        inline_furniture=_compile("furniture", "inline", _any_of(furn["inline"]["patterns"])),
        datelines=tuple(
            _compile("furniture", "dateline", p, re.MULTILINE) for p in furn["dateline"]["patterns"]
        ),
        blocked=_compile("blocklist", "names", _any_of(block["names"]["patterns"])),
        kind_cues=table(KindCues, "cues", "kind", cues["kind"]),
        neutral_words=_words("cues", "neutral", cues["neutral"]),
        rank_cues=table(RankCues, "cues", "rank", cues["rank"]),
        qualifier=table(QualifierCues, "cues", "qualifier", cues["qualifier"]),
        time_kpi_words=_words("cues", "time", cues["time"], "kpi_words"),
        partial_period=table(PartialPeriod, "cues", "partial_period", cues["partial_period"]),
        continuation_words=_words("periods", "carry", periods["carry"], "continuation"),
        fixed=_fixed(raw["units"]["fixed"], dims),
        person_nouns=_words("units", "implicit", raw["units"]["implicit"], "person_nouns"),
    )


def vocabulary_digests() -> tuple[str, dict[str, str]]:
    """(combined sha256, {file name: sha256}) of `kpi/vocab/*.toml`, sorted by name: the lineage of every
    output (Parquet metadata, datapackage.json, tracking.parquet).

    The combined digest is the sha256 of the lines `SHA256  NAME\\n` in name order, as `sha256sum` prints.
    """
    toml = (p for p in resources.files("kpi.vocab").iterdir() if p.name.endswith(".toml"))
    files = sorted(toml, key=lambda p: p.name)
    per_file = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    listing = "".join(f"{digest}  {name}\n" for name, digest in per_file.items())
    return hashlib.sha256(listing.encode()).hexdigest(), per_file
