"""`vocab/structure.toml` as typed, frozen dataclasses that check themselves at load (through
`kpi.vocabulary.table` and `checked`): an unknown or missing key, a wrong type or an empty list fails
naming the file and the key."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from kpi.vocabulary import VocabularyError, Words, checked, read_toml, table

_NAME = "structure"
KINDS = ("target", "actual")
MODES = ("review_year", "review_plan", "goals_plan", "targets_year", "tasks_year")


def _weights(data: Any, key: str) -> dict[str, float]:
    """A table of word = weight (each weight a number)."""
    where = f"{_NAME}.toml [{key}]"
    if not isinstance(data, dict) or not data:
        raise VocabularyError(f"{where}: expected a non-empty table of word = weight")
    bad = {w: v for w, v in data.items() if isinstance(v, bool) or not isinstance(v, int | float)}
    if bad:
        raise VocabularyError(f"{where}: weights must be numbers, got {bad!r}")
    return {w: float(v) for w, v in data.items()}


@dataclass(frozen=True, slots=True)
class ModeSpec:
    name: str
    rank: int
    kind: str
    bias: float
    plan_period: bool
    headings: Words
    words: Words


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
    strong: Words
    weak: Words


@dataclass(frozen=True, slots=True)
class Structure:
    genre_threshold: float
    work_report_signals: dict[str, float]
    modes: tuple[ModeSpec, ...]
    scoring: Scoring
    done: dict[str, float]  # word -> weight
    planned: dict[str, float]
    spans: Words
    flows: Words
    transitions: Transitions
    override_actual: Words
    override_target: Words
    region_head_chars: int
    institutions: Words
    region_suffixes: Words
    region_peoples: Words
    region_generic: frozenset[str]
    special_regions: tuple[SpecialRegion, ...]
    bulletin_head_chars: int
    bulletin_title_max_chars: int
    bulletin_words: Words

    def mode(self, name: str) -> ModeSpec:
        return next(m for m in self.modes if m.name == name)


def _modes(data: Any) -> tuple[ModeSpec, ...]:
    if not isinstance(data, dict) or set(data) != set(MODES):
        raise VocabularyError(f"{_NAME}.toml [modes]: expected the modes {list(MODES)}, got {list(data)}")
    modes = []
    for name, spec in data.items():
        m = table(ModeSpec, _NAME, f"modes.{name}", spec, {"name": name})
        if m.kind not in KINDS:
            raise VocabularyError(f"{_NAME}.toml [modes.{name}] kind: {m.kind!r} is not one of {KINDS}")
        modes.append(m)
    return tuple(modes)


def parse(data: dict[str, Any]) -> Structure:
    """Check and type the parsed TOML of structure.toml."""
    genre, region = data["genre"], dict(data["region"])
    if not isinstance(genre, dict) or set(genre) != {"threshold", "work_report"}:
        raise VocabularyError(f"{_NAME}.toml [genre]: expected the keys threshold and work_report")
    if set(data["aspect"]) != {"done", "planned"}:
        raise VocabularyError(f"{_NAME}.toml [aspect]: expected the tables done and planned")
    special = region.pop("special", None)
    if not isinstance(special, dict) or not special:
        raise VocabularyError(f"{_NAME}.toml [region.special]: expected a table of regions")
    places = checked(
        _NAME,
        "region",
        region,
        head_chars="int",
        institutions="Words",
        suffixes="Words",
        peoples="Words",
        generic="Words",
    )
    spans = checked(_NAME, "spans", data["spans"], words="Words", flows="Words")
    override = checked(_NAME, "override", data["override"], actual="Words", target="Words")
    bulletin = checked(
        _NAME, "bulletin", data["bulletin"], head_chars="int", title_max_chars="int", title_words="Words"
    )
    return Structure(
        genre_threshold=_weights({"threshold": genre["threshold"]}, "genre")["threshold"],
        work_report_signals=_weights(genre["work_report"], "genre.work_report"),
        modes=_modes(data["modes"]),
        scoring=table(Scoring, _NAME, "scoring", data["scoring"]),
        done=_weights(data["aspect"]["done"], "aspect.done"),
        planned=_weights(data["aspect"]["planned"], "aspect.planned"),
        spans=spans["words"],
        flows=spans["flows"],
        transitions=table(Transitions, _NAME, "transitions", data["transitions"]),
        override_actual=override["actual"],
        override_target=override["target"],
        region_head_chars=places["head_chars"],
        institutions=places["institutions"],
        region_suffixes=places["suffixes"],
        region_peoples=places["peoples"],
        region_generic=frozenset(places["generic"]),
        special_regions=tuple(
            table(SpecialRegion, _NAME, f"region.special.{n}", spec, {"name": n})
            for n, spec in special.items()
        ),
        bulletin_head_chars=bulletin["head_chars"],
        bulletin_title_max_chars=bulletin["title_max_chars"],
        bulletin_words=bulletin["title_words"],
    )


@cache
def structure() -> Structure:
    """The document-structure vocabulary, loaded and checked once."""
    return parse(read_toml("structure"))
