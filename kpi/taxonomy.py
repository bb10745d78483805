"""The indicator taxonomy and the region gazetteer: what a number measures, and where.

Both are data (`vocab/indicators.toml`, `vocab/regions.toml`), loaded once into frozen dataclasses that
check themselves (`kpi.vocabulary.table`), so a bad entry fails at first use naming its file and key. An
id is looked up from the indicator phrase the extractor's resolver gives a number
(`kpi.extractor.indicator`); with a sentence, the same resolver reads the phrase first. Matching is
precompiled (one regex of all synonyms, longest first) and cached.

>>> indicator_id_for("国内生产总值", unit="CNY"), indicator_id_for("国内生产总值增长", unit="percent")
('gdp', 'gdp_growth')
>>> indicator_id_for(None, unit="percent", sentence="国内生产总值增长5.5%左右", mention_start_in_sentence=8)
'gdp_growth'
>>> normalise_region("湖南"), region_code("湖南省"), local_currency("香港")
('湖南省', '430000', 'HKD')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Literal, TypeVar

from kpi.vocabulary import AnyWords, VocabularyError, Words, load, read_toml, table

Direction = Literal["higher", "lower"]
Measure = Literal["growth", "level", "share", "count", "rate", "change"]
DIRECTIONS: tuple[str, ...] = ("higher", "lower")
MEASURES: tuple[str, ...] = ("growth", "level", "share", "count", "rate", "change")
LEVELS: tuple[str, ...] = ("country", "province", "prefecture")
_LEVEL_MEASURES = frozenset({"level", "count"})  # a change word before their number makes it an increment
_ID = re.compile(r"[a-z][a-z0-9_]*\Z")
T = TypeVar("T")


def unit_dimensions() -> Mapping[str, str]:
    """Canonical unit code -> dimension: `vocab/units.toml` [dimensions] as the vocabulary loads it."""
    return load().unit_dimensions


def _typed(cls: type[T], name: str, key: str, spec: object) -> T:
    """The table `spec` (`key` of `vocab/NAME.toml`) as `cls`: its keys and types checked by `table`,
    then its values by `cls.__post_init__`, either failing naming the file and key."""
    try:
        return table(cls, name, key, spec)
    except VocabularyError:
        raise
    except ValueError as exc:
        raise VocabularyError(f"{name}.toml: {key}: {exc}") from exc


def _entries(name: str, key: str, cls: type[T], label: str) -> list[T]:
    """The array of tables `[[key]]` of `vocab/NAME.toml` as `cls`, each entry named by its `label` key."""
    specs = read_toml(name)[key]
    if not isinstance(specs, list):
        raise VocabularyError(f"{name}.toml [[{key}]]: expected an array of tables")
    names = (spec.get(label, "?") if isinstance(spec, dict) else "?" for spec in specs)
    return [_typed(cls, name, f"{key} {n!r}", spec) for n, spec in zip(names, specs, strict=True)]


# --- indicators --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Indicator:
    """One canonical indicator of `indicators.toml`."""

    id: str
    name_zh: str
    direction: str
    measure: str
    unit_dimension: str
    synonyms: Words
    exclude: Words = ()

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise ValueError(f"id {self.id!r} is not snake_case")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction {self.direction!r} is not one of {DIRECTIONS}")
        if self.measure not in MEASURES:
            raise ValueError(f"measure {self.measure!r} is not one of {MEASURES}")
        if self.unit_dimension not in load().dimensions:
            raise ValueError(f"unit_dimension {self.unit_dimension!r} is not a dimension of units.toml")

    def accepts(self, dimension: str) -> bool:
        """Whether a number of this dimension can measure the indicator (percent also takes pp)."""
        return dimension == self.unit_dimension or (self.unit_dimension == "percent" and dimension == "pp")


@dataclass(frozen=True, slots=True)
class MatchingRules:
    """The [matching] table: words read around a synonym in an indicator phrase."""

    neutral_bridges: Words
    change_bridges: Words
    reference_cues: Words
    share_cues: Words
    gap_breaks: Words
    quantity_words: Words
    max_gap: int
    max_prefix: int
    cue_window: int

    def __post_init__(self) -> None:
        if min(self.max_gap, self.max_prefix, self.cue_window) < 0:
            raise ValueError("max_gap, max_prefix and cue_window must be >= 0")


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


@dataclass(frozen=True)
class Taxonomy:
    """All indicators with the compiled patterns that find them."""

    indicators: Mapping[str, Indicator]
    rules: MatchingRules
    by_surface: Mapping[str, tuple[Indicator, ...]]
    synonym_re: re.Pattern[str] = field(init=False)  # every synonym, longest first
    change_re: re.Pattern[str] = field(init=False)
    break_re: re.Pattern[str] = field(init=False)  # share cues and gap breaks
    filler_re: re.Pattern[str] = field(init=False)  # bridges, quantities, digits, punctuation

    def __post_init__(self) -> None:
        r = self.rules
        filler = r.neutral_bridges + r.change_bridges + r.quantity_words
        patterns = {
            "synonym_re": _alternation(tuple(self.by_surface)),
            "change_re": _alternation(r.change_bridges),
            "break_re": _alternation(r.share_cues + r.gap_breaks),
            "filler_re": rf"{_alternation(filler)}|[\W\d_a-zA-Z]+",
        }
        for name, pattern in patterns.items():
            object.__setattr__(self, name, re.compile(pattern))


@cache
def taxonomy() -> Taxonomy:
    """The taxonomy of `vocab/indicators.toml`, loaded and checked once."""
    name = "indicators.toml"
    rules = _typed(MatchingRules, "indicators", "matching", read_toml("indicators")["matching"])
    indicators: dict[str, Indicator] = {}
    for ind in _entries("indicators", "indicator", Indicator, "id"):
        if ind.id in indicators:
            raise VocabularyError(f"{name}: indicator {ind.id!r}: duplicate id")
        indicators[ind.id] = ind
    return Taxonomy(indicators, rules, _index_surfaces(name, indicators))


def _index_surfaces(name: str, indicators: Mapping[str, Indicator]) -> dict[str, tuple[Indicator, ...]]:
    by_surface: dict[str, tuple[Indicator, ...]] = {}
    for ind in indicators.values():
        for surface in ind.synonyms:
            clash = [o.id for o in by_surface.get(surface, ()) if o.unit_dimension == ind.unit_dimension]
            if clash:
                raise VocabularyError(
                    f"{name}: indicator {ind.id!r}: synonym {surface!r} with dimension "
                    f"{ind.unit_dimension!r} is already {clash[0]!r}"
                )
            by_surface[surface] = by_surface.get(surface, ()) + (ind,)
    return by_surface


def indicator(indicator_id: str) -> Indicator:
    """The taxonomy entry of an id (KeyError for an unknown id)."""
    return taxonomy().indicators[indicator_id]


def indicator_ids() -> tuple[str, ...]:
    return tuple(taxonomy().indicators)


@dataclass(frozen=True, slots=True)
class IndicatorMatch:
    """Where a number's indicator was named: `text[start:end]` is the synonym (in the phrase, or in
    the sentence for `match_indicator`)."""

    indicator_id: str
    start: int
    end: int


def indicator_id_for(
    indicator: str | None, *, unit: str, sentence: str = "", mention_start_in_sentence: int | None = None
) -> str | None:
    """The canonical id of what a number measures, or None when none fits.

    The `indicator` phrase decides; given the sentence and the number's offset in it instead, the
    extractor's indicator resolver reads the phrase from the sentence. The unit picks the measure:
    percent after 国内生产总值 is gdp_growth, 万亿元 is gdp."""
    if sentence and mention_start_in_sentence is not None:
        found = match_indicator(sentence, mention_start_in_sentence, unit=unit)
    else:
        found = match_phrase(indicator, unit=unit) if indicator else None
    return found.indicator_id if found else None


@lru_cache(maxsize=65536)
def match_indicator(sentence: str, mention_start: int, *, unit: str) -> IndicatorMatch | None:
    """The indicator of the number at `mention_start` of `sentence`, with the synonym's position in the
    sentence (where it is written there, else the number's)."""
    from kpi.extractor.indicator import indicator_at  # the extractor imports this module

    if unit not in unit_dimensions() or not 0 <= mention_start <= len(sentence):
        return None
    phrase = indicator_at(sentence, mention_start, unit_dimensions()[unit])
    found = match_phrase(phrase, unit=unit) if phrase else None
    if found is None:
        return None
    surface = phrase[found.start : found.end]
    at = sentence.rfind(surface, 0, mention_start)
    return IndicatorMatch(found.indicator_id, *((at, at + len(surface)) if at >= 0 else (mention_start,) * 2))


@lru_cache(maxsize=65536)
def match_phrase(phrase: str, *, unit: str) -> IndicatorMatch | None:
    """The indicator an indicator phrase names: its last synonym that is not a reference (占地区生产总值
    比重), when only bridge words follow it (增长, 实际增长, 达到) and its entry takes the unit's dimension."""
    tax = taxonomy()
    dimension = unit_dimensions().get(unit)
    if dimension is None:
        return None
    subject = _subject(tax, phrase)
    if subject is None or len(phrase) - subject.end() > tax.rules.max_gap:
        return None
    if subject.start() > tax.rules.max_prefix:
        return None  # a sub-group's figure (…沿线省份经广西口岸进出口)
    ind = next((i for i in tax.by_surface[subject.group()] if i.accepts(dimension)), None)
    if ind is None or _ends_near(phrase, subject.start(), ind.exclude, tax.rules.cue_window):
        return None
    gap = phrase[subject.end() :]
    if tax.break_re.search(gap) or _residue(tax, gap):
        return None  # a share of something else, or words that are neither bridges nor quantities
    if ind.measure in _LEVEL_MEASURES and tax.change_re.search(gap):
        return None  # an increment (增产74亿斤), not the level
    return IndicatorMatch(ind.id, subject.start(), subject.end())


def _subject(tax: Taxonomy, text: str) -> re.Match[str] | None:
    """The last synonym in `text` that is not a reference (占地区生产总值比重)."""
    for m in reversed(list(tax.synonym_re.finditer(text))):
        if not _ends_near(text, m.start(), tax.rules.reference_cues, tax.rules.cue_window):
            return m
    return None


def _ends_near(text: str, at: int, phrases: tuple[str, ...], window: int) -> bool:
    """Whether one of `phrases` ends at most `window` characters before `at`."""
    return any(text.rfind(p, max(0, at - window - len(p)), at) >= 0 for p in phrases)


def _residue(tax: Taxonomy, text: str) -> str:
    """What is left of a gap once bridges, quantities, numbers and punctuation are taken out."""
    return tax.filler_re.sub("", text)


# --- regions -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Region:
    """One division of `regions.toml`."""

    name: str
    level: str
    code: str | None = None
    parent: str | None = None
    aliases: AnyWords = ()
    local_currency: str | None = None

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"level {self.level!r} is not one of {LEVELS}")
        if self.code is not None and not re.fullmatch(r"\d{6}", self.code):
            raise ValueError(f"code {self.code!r} is not 6 digits")
        if (self.level == "prefecture") != (self.parent is not None):
            raise ValueError("a prefecture, and only a prefecture, has a parent")
        if self.local_currency is not None and self.local_currency not in unit_dimensions():
            raise ValueError(f"local_currency {self.local_currency!r} is not a unit of units.toml")

    @property
    def full_name(self) -> str:
        """The canonical form: 湖南省, 湖南省长沙市."""
        return f"{self.parent}{self.name}" if self.parent else self.name


@dataclass(frozen=True)
class Gazetteer:
    regions: tuple[Region, ...]
    by_alias: Mapping[str, Region]
    full_prefixes: tuple[str, ...]  # every full name, longest first
    short_prefixes: tuple[str, ...]  # every short alias, longest first


@cache
def gazetteer() -> Gazetteer:
    """The gazetteer of `vocab/regions.toml`, loaded and checked once."""
    name = "regions.toml"
    regions = _entries("regions", "region", Region, "name")
    by_alias: dict[str, Region] = {}
    for r in regions:
        for alias in dict.fromkeys((r.full_name, r.name, *r.aliases)):
            other = by_alias.setdefault(alias, r)
            if other is not r:
                raise VocabularyError(f"{name}: region {r.name!r}: {alias!r} is already {other.full_name!r}")
    local = [r for r in regions if r.level != "country"]
    by_len = lambda s: (-len(s), s)
    full = sorted({a for r in local for a in (r.full_name, r.name)}, key=by_len)
    short = sorted({a for r in local for a in r.aliases}, key=by_len)
    return Gazetteer(tuple(regions), by_alias, tuple(full), tuple(short))


def _split(text: str, prefixes: tuple[str, ...], want: Callable[[Region], bool]) -> tuple[Region | None, str]:
    """The first region wanted whose name starts `text`, and the rest of `text`."""
    g = gazetteer()
    for p in prefixes:
        if text.startswith(p) and want(g.by_alias[p]):
            return g.by_alias[p], text[len(p) :]
    return None, text


def _leading_region(text: str) -> tuple[Region | None, str]:
    """The province or prefecture that `text` starts with (full names before short ones)."""
    g = gazetteer()
    for prefixes in (g.full_prefixes, g.short_prefixes):
        for level in ("province", "prefecture"):
            region, rest = _split(text, prefixes, lambda r, lv=level: r.level == lv)  # type: ignore[misc]
            if region is not None:
                return region, rest
    return None, text


@lru_cache(maxsize=8192)
def normalise_region(name: str | None) -> str | None:
    """The canonical name of a region: 湖南 -> 湖南省, 长沙 -> 湖南省长沙市; unknown names come back stripped.

    County-level names keep their own words after the canonical province and prefecture
    (宜春市万载县 -> 江西省宜春市万载县)."""
    if name is None:
        return None
    text = "".join(name.split())
    if not text:
        return None
    g = gazetteer()
    if text in g.by_alias:
        return g.by_alias[text].full_name
    region, rest = _leading_region(text)
    if region is None:
        return text
    if region.level == "province":
        for prefixes in (g.full_prefixes, g.short_prefixes):
            prefecture, after = _split(rest, prefixes, lambda r: r.parent == region.name)
            if prefecture is not None:
                return prefecture.full_name + after
    return region.full_name + rest


def province_of(name: str | None) -> str | None:
    """The provincial-level division a region belongs to (None for 全国 and unknown names)."""
    canonical = normalise_region(name)
    if canonical is None:
        return None
    region, _ = _leading_region(canonical)
    if region is None:
        return None
    return region.parent or region.name


def region_code(name: str | None) -> str | None:
    """The 6-digit division code of a province or prefecture (None when not in the gazetteer)."""
    canonical = normalise_region(name)
    region = gazetteer().by_alias.get(canonical) if canonical else None
    return region.code if region is not None and region.full_name == canonical else None


def local_currency(region: str | None) -> str | None:
    """The currency of a bare 元 where it is not CNY: 'HKD' in Hong Kong, 'MOP' in Macau, else None."""
    province = province_of(region)
    return gazetteer().by_alias[province].local_currency if province else None
