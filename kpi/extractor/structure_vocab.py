"""`vocab/structure.toml` as typed, frozen dataclasses that check themselves at load: an unknown or
missing key, a wrong type or an empty list fails naming the file and the key."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from kpi.vocabulary import VocabularyError, read_toml

_FILE = "structure.toml"
KINDS = ("target", "actual")


def _check_keys(table: dict[str, Any], where: str, required: set[str], optional: set[str] = set()) -> None:
    unknown = set(table) - required - optional
    missing = required - set(table)
    if unknown:
        raise VocabularyError(f"{_FILE} [{where}]: unknown key(s) {sorted(unknown)}")
    if missing:
        raise VocabularyError(f"{_FILE} [{where}]: missing key(s) {sorted(missing)}")


def _words(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table[key]
    if not isinstance(value, list) or not value or not all(isinstance(w, str) and w for w in value):
        raise VocabularyError(f"{_FILE} [{where}] {key}: must be a non-empty list of words")
    return tuple(value)


def _number(table: dict[str, Any], key: str, where: str) -> float:
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise VocabularyError(f"{_FILE} [{where}] {key}: must be a number, not {value!r}")
    return float(value)


def _weights(table: dict[str, Any], key: str) -> dict[str, float]:
    where = f"aspect.{key}"
    words = table[key]
    if not isinstance(words, dict) or not words:
        raise VocabularyError(f"{_FILE} [{where}]: must be a non-empty table of word = weight")
    return {w: _number(words, w, where) for w in words}


@dataclass(frozen=True, slots=True)
class ModeSpec:
    name: str
    rank: int
    kind: str
    bias: float
    plan_period: bool
    headings: tuple[str, ...]
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Scoring:
    heading_chars: int
    evidence_chars: int
    heading_weight: float
    word_weight: float
    word_cap: float
    aspect_weight: float
    number_weight: float
    aspect_cap: float
    year_weight: float
    year_cap: float
    plan_heading_weight: float
    plan_heading_chars: int
    plan_word_weight: float


@dataclass(frozen=True, slots=True)
class Transitions:
    stay: float
    forward: float
    same_rank: float
    backward: float

    def cost(self, a: ModeSpec, b: ModeSpec) -> float:
        if a.name == b.name:
            return self.stay
        if a.rank == b.rank:
            return self.same_rank
        return self.forward if b.rank > a.rank else self.backward


@dataclass(frozen=True, slots=True)
class SpecialRegion:
    name: str
    strong: tuple[str, ...]
    weak: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Structure:
    genre_threshold: float
    work_report_signals: dict[str, float]
    modes: tuple[ModeSpec, ...]
    scoring: Scoring
    done: dict[str, float]  # word -> weight
    planned: dict[str, float]
    spans: tuple[str, ...]
    flows: tuple[str, ...]
    transitions: Transitions
    override_actual: tuple[str, ...]
    override_target: tuple[str, ...]
    region_head_chars: int
    institutions: tuple[str, ...]
    region_suffixes: tuple[str, ...]
    region_generic: frozenset[str]
    special_regions: tuple[SpecialRegion, ...]
    bulletin_head_chars: int
    bulletin_title_max_chars: int
    bulletin_words: tuple[str, ...]

    def mode(self, name: str) -> ModeSpec:
        return next(m for m in self.modes if m.name == name)


def _modes(table: dict[str, Any]) -> tuple[ModeSpec, ...]:
    modes = []
    for name, spec in table.items():
        where = f"modes.{name}"
        _check_keys(spec, where, {"rank", "kind", "bias", "plan_period", "headings", "words"})
        if not isinstance(spec["plan_period"], bool):
            raise VocabularyError(f"{_FILE} [{where}] plan_period: must be true or false")
        if spec["kind"] not in KINDS:
            raise VocabularyError(f"{_FILE} [{where}] kind: {spec['kind']!r} is not one of {KINDS}")
        if not isinstance(spec["rank"], int):
            raise VocabularyError(f"{_FILE} [{where}] rank: must be an integer")
        modes.append(
            ModeSpec(
                name=name,
                rank=spec["rank"],
                kind=spec["kind"],
                bias=_number(spec, "bias", where),
                plan_period=spec["plan_period"],
                headings=_words(spec, "headings", where),
                words=_words(spec, "words", where),
            )
        )
    if not modes:
        raise VocabularyError(f"{_FILE} [modes]: no mode defined")
    return tuple(modes)


def _special(table: dict[str, Any]) -> tuple[SpecialRegion, ...]:
    out = []
    for name, spec in table.items():
        where = f"region.special.{name}"
        _check_keys(spec, where, {"strong", "weak"})
        out.append(SpecialRegion(name, _words(spec, "strong", where), _words(spec, "weak", where)))
    return tuple(out)


def parse(data: dict[str, Any]) -> Structure:
    """Check and type the parsed TOML of structure.toml."""
    top = {"genre", "modes", "scoring", "aspect", "spans", "transitions", "override", "region", "bulletin"}
    _check_keys(data, "top level", top)
    genre, scoring, region, bulletin = data["genre"], data["scoring"], data["region"], data["bulletin"]
    _check_keys(genre, "genre", {"threshold", "work_report"})
    _check_keys(scoring, "scoring", set(Scoring.__slots__))  # type: ignore[attr-defined]
    _check_keys(data["aspect"], "aspect", {"done", "planned"})
    _check_keys(data["spans"], "spans", {"words", "flows"})
    _check_keys(data["transitions"], "transitions", set(Transitions.__slots__))  # type: ignore[attr-defined]
    _check_keys(data["override"], "override", {"actual", "target"})
    _check_keys(region, "region", {"head_chars", "institutions", "suffixes", "generic", "special"})
    _check_keys(bulletin, "bulletin", {"head_chars", "title_max_chars", "title_words"})
    signals = {w: _number(genre["work_report"], w, "genre.work_report") for w in genre["work_report"]}
    if not signals:
        raise VocabularyError(f"{_FILE} [genre.work_report]: no signal defined")
    modes = _modes(data["modes"])
    required_modes = {"review_year", "review_plan", "goals_plan", "targets_year", "tasks_year"}
    if missing := required_modes - {m.name for m in modes}:
        raise VocabularyError(f"{_FILE} [modes]: missing mode(s) {sorted(missing)}")
    score_values = {k: _number(scoring, k, "scoring") for k in scoring}
    score_values["heading_chars"] = int(score_values["heading_chars"])
    score_values["evidence_chars"] = int(score_values["evidence_chars"])
    score_values["plan_heading_chars"] = int(score_values["plan_heading_chars"])
    return Structure(
        genre_threshold=_number(genre, "threshold", "genre"),
        work_report_signals=signals,
        modes=modes,
        scoring=Scoring(**score_values),  # type: ignore[arg-type]
        done=_weights(data["aspect"], "done"),
        planned=_weights(data["aspect"], "planned"),
        spans=_words(data["spans"], "words", "spans"),
        flows=_words(data["spans"], "flows", "spans"),
        transitions=Transitions(
            **{k: _number(data["transitions"], k, "transitions") for k in data["transitions"]}
        ),
        override_actual=_words(data["override"], "actual", "override"),
        override_target=_words(data["override"], "target", "override"),
        region_head_chars=int(_number(region, "head_chars", "region")),
        institutions=_words(region, "institutions", "region"),
        region_suffixes=_words(region, "suffixes", "region"),
        region_generic=frozenset(_words(region, "generic", "region")),
        special_regions=_special(region["special"]),
        bulletin_head_chars=int(_number(bulletin, "head_chars", "bulletin")),
        bulletin_title_max_chars=int(_number(bulletin, "title_max_chars", "bulletin")),
        bulletin_words=_words(bulletin, "title_words", "bulletin"),
    )


@cache
def structure() -> Structure:
    """The document-structure vocabulary, loaded and checked once."""
    return parse(read_toml("structure"))
