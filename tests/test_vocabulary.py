"""Data integrity: the vocabulary files, the record contract (kpi.record), SCHEMA.md, the expectation suite
and the data package descriptor agree on the closed sets (units, dimensions, comparators, kinds).

A vocabulary entry that breaks one of these rules fails here naming its file and key, before it can make
the extractor produce a record the validation stage would quarantine."""

from __future__ import annotations

import json
import re
import tomllib
from collections import defaultdict
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from kpi.record import COLUMNS, COMPARATORS, DIMENSIONS, KINDS
from kpi.vocabulary import VOCAB_FILES, load

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_MD = ROOT.parent / "shared" / "spec" / "SCHEMA.md"
VOCAB = resources.files("kpi.vocab")
VOCAB_NAMES = sorted(p.name for p in VOCAB.iterdir() if p.name.endswith(".toml"))
WORD_COMPARATORS = {"=", ">=", ">", "<=", "<", "~"}  # `between` comes from a range, never from a word


def _toml(name: str) -> dict[str, Any]:
    return tomllib.loads(VOCAB.joinpath(name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def units() -> dict[str, Any]:
    return _toml("units.toml")


def _codes(units: dict[str, Any]) -> dict[str, str]:
    return {code: dim for dim, codes in units["dimensions"].items() for code in codes}


# --- every file ----------------------------------------------------------------------------------


def test_the_engine_reads_every_file_it_needs() -> None:
    assert {f"{n}.toml" for n in VOCAB_FILES} <= set(VOCAB_NAMES)
    load()  # the frozen dataclasses check themselves at load


@pytest.mark.parametrize("name", VOCAB_NAMES)
def test_vocab_file_loads(name: str) -> None:
    assert _toml(name), f"{name} is empty"


@pytest.mark.parametrize("name", VOCAB_NAMES)
def test_vocab_file_opens_with_its_syntax(name: str) -> None:
    """pint's habit: a definitions file documents its own syntax in a header comment."""
    lines = VOCAB.joinpath(name).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith(f"# {name}"), f"{name}: the first line should name the file and what it holds"
    header = [line for line in lines[:12] if line.startswith("#")]
    assert len(header) >= 3, f"{name}: the header comment should state the file's syntax"


# --- units.toml ----------------------------------------------------------------------------------


def test_unit_codes_are_unique_across_dimensions(units: dict[str, Any]) -> None:
    seen: dict[str, list[str]] = defaultdict(list)
    for dim, codes in units["dimensions"].items():
        for code in codes:
            seen[code].append(dim)
    assert not {c: d for c, d in seen.items() if len(d) > 1}


def test_every_surface_maps_to_one_unit(units: dict[str, Any]) -> None:
    codes = _codes(units)
    meaning: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for i, entry in enumerate(units["unit"]):
        assert entry["code"] in codes, f"units.toml [[unit]] #{i}: code {entry['code']!r} is in no dimension"
        assert entry["surfaces"], f"units.toml [[unit]] #{i}: no surfaces"
        for surface in entry["surfaces"]:
            meaning[surface].add((entry["code"], entry.get("scale", "1")))
    assert not {s: m for s, m in meaning.items() if len(m) > 1}


def test_fixed_phrases_and_local_currencies_use_known_codes(units: dict[str, Any]) -> None:
    codes = _codes(units)
    for phrase, spec in units.get("fixed", {}).items():
        assert spec["code"] in codes, phrase
    regions = _toml("regions.toml")["region"]
    for entry in regions:
        if "local_currency" in entry:
            assert codes.get(entry["local_currency"]) == "money", entry


def test_unit_dimensions_are_the_record_dimensions(units: dict[str, Any]) -> None:
    assert list(units["dimensions"]) == list(DIMENSIONS)
    assert load().unit_dimensions == _codes(units)


# --- comparators and kinds ----------------------------------------------------------------------


def test_comparator_words_only_set_allowed_comparators() -> None:
    data = _toml("comparators.toml")
    assert set(data) == {"prefix", "suffix", "inner"}
    for section, by_comparator in data.items():
        bad = set(by_comparator) - WORD_COMPARATORS
        assert not bad, f"comparators.toml [{section}]: {sorted(bad)}"
    assert WORD_COMPARATORS | {"between"} == set(COMPARATORS)


def test_each_comparator_word_has_one_meaning_per_position() -> None:
    for section, by_comparator in _toml("comparators.toml").items():
        words = [w for ws in by_comparator.values() for w in ws]
        assert len(words) == len(set(words)), f"comparators.toml [{section}] lists a word twice"


def test_kind_cues_name_the_record_kinds() -> None:
    kinds = _toml("cues.toml")["kind"]
    assert set(KINDS) <= set(kinds)
    for key in kinds:
        if key.endswith("_weak"):  # a weak cue is a cue of that kind that only counts in its clause
            assert key.removesuffix("_weak") in KINDS, f"cues.toml [kind] {key}"
            assert set(kinds[key]) <= set(kinds[key.removesuffix("_weak")]), f"cues.toml [kind] {key}"


# --- SCHEMA.md ---------------------------------------------------------------------------------


def _schema_text() -> str:
    if not SCHEMA_MD.exists():
        pytest.skip("shared/spec/SCHEMA.md is not beside the repository")
    return SCHEMA_MD.read_text(encoding="utf-8")


def _table_after(text: str, heading: str, first_header: str) -> list[list[str]]:
    """Rows (cells) of the first Markdown table after `heading` whose header starts with `first_header`."""
    section = text[text.index(heading) :]
    rows, in_table = [], False
    for line in section.splitlines():
        if line.startswith(f"| {first_header} |"):
            in_table = True
            continue
        if in_table:
            if not line.startswith("|"):
                break
            if not set(line) <= set("|-: "):
                rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


def _ticked(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def test_schema_md_dimension_table_agrees(units: dict[str, Any]) -> None:
    rows = _table_after(_schema_text(), "**Units and dimensions**", "dimension")
    table = {_ticked(dim)[0]: set(_ticked(codes)) for dim, codes in rows}
    assert list(table) == list(DIMENSIONS)
    vocabulary = {dim: set(codes) for dim, codes in units["dimensions"].items()}
    for dim, codes in table.items():
        # SCHEMA.md lists the required codes (money and physical end in "…": the vocabulary may grow them)
        assert codes <= vocabulary[dim], f"{dim}: SCHEMA.md lists {sorted(codes - vocabulary[dim])}"


def test_schema_md_record_table_agrees() -> None:
    rows = _table_after(_schema_text(), "## 1. Records", "column")
    columns = [name for row in rows for name in _ticked(row[0])]
    assert columns[: len(COLUMNS)] == list(COLUMNS)
    assert columns[len(COLUMNS) :] == ["failed_expectations"]
    meaning = {_ticked(row[0])[0]: row[-1] for row in rows}
    assert _ticked(meaning["comparator"]) == list(COMPARATORS)
    assert _ticked(meaning["kind"]) == list(KINDS)


# --- the expectation suite and the data package ------------------------------------------------


def _suite_value_sets() -> dict[str, list[Any]]:
    path = ROOT / "kpi" / "expectations" / "records.json"
    if not path.exists():
        pytest.skip("no records expectation suite")
    suite = json.loads(path.read_text(encoding="utf-8"))
    return {
        e["kwargs"]["column"]: e["kwargs"]["value_set"]
        for e in suite["expectations"]
        if e["type"] == "expect_column_values_to_be_in_set"
    }


def test_expectation_suite_value_sets_agree(units: dict[str, Any]) -> None:
    sets = _suite_value_sets()
    assert set(sets["unit"]) == set(_codes(units))
    assert list(sets["dimension"]) == list(DIMENSIONS)
    assert list(sets["comparator"]) == list(COMPARATORS)
    assert list(sets["kind"]) == list(KINDS)


def test_datapackage_enums_agree(units: dict[str, Any]) -> None:
    datapackage = pytest.importorskip("kpi.io.datapackage")
    descriptor = datapackage.datapackage_descriptor()
    records = next(r for r in descriptor["resources"] if r["name"] == "records")
    fields = {f["name"]: f for f in records["schema"]["fields"]}
    assert list(fields) == list(COLUMNS)
    assert set(fields["unit"]["constraints"]["enum"]) == set(_codes(units))
    assert fields["dimension"]["constraints"]["enum"] == list(DIMENSIONS)
    assert fields["comparator"]["constraints"]["enum"] == list(COMPARATORS)
    assert fields["kind"]["constraints"]["enum"] == list(KINDS)


@pytest.mark.parametrize("name", VOCAB_NAMES)
def test_an_unknown_table_fails_extract_naming_the_file(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """A table no stage reads (a typo, a renamed key) fails at load, naming its file — not later, not
    silently, whichever stage reads the file."""
    import kpi
    from kpi import vocabulary

    stem = name.removesuffix(".toml")
    real = vocabulary._vocab_text
    monkeypatch.setattr(
        vocabulary, "_vocab_text", lambda n: real(n) + "\n[no_such_table]\nx = 1\n" if n == stem else real(n)
    )
    vocabulary.read_toml.cache_clear()
    load.cache_clear()
    try:
        with pytest.raises(
            vocabulary.VocabularyError, match=re.escape(f"{name}: unknown table(s) ['no_such_table']")
        ):
            kpi.extract("2024年全市地区生产总值增长6%。", doc_id="d")
    finally:
        monkeypatch.undo()
        vocabulary.read_toml.cache_clear()
        load.cache_clear()


@pytest.mark.parametrize(
    ("table", "text", "message"),
    [
        ("kind", 'target = ["力争"]', "cues.toml [kind]: unknown key(s) [], missing key(s) ['actual'"),
        (
            "partial_period",
            'early_months = "4"\nwords = ["以来"]',
            "cues.toml [partial_period] early_months: expected int",
        ),
        ("neutral", "words = []", "cues.toml [neutral] words: expected a non-empty list of words"),
    ],
)
def test_a_bad_table_fails_at_load_naming_file_and_key(
    monkeypatch: pytest.MonkeyPatch, table: str, text: str, message: str
) -> None:
    from kpi import vocabulary

    real = vocabulary.read_toml
    data = {**real("cues"), table: tomllib.loads(text)}
    monkeypatch.setattr(vocabulary, "read_toml", lambda n: data if n == "cues" else real(n))
    load.cache_clear()
    try:
        with pytest.raises(vocabulary.VocabularyError, match=re.escape(message)):
            load()
    finally:
        monkeypatch.undo()
        load.cache_clear()
