"""Data integrity: the vocabulary files, the record contract (kpi.record), SCHEMA.md, the expectation suite
and the data package descriptor agree on the closed sets (units, dimensions, comparators, kinds).

A vocabulary entry that breaks one of these rules fails here naming its file and key, before it can make
the extractor produce a record the validation stage would quarantine."""

from __future__ import annotations

import json
import re
import tomllib
from collections import defaultdict
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from kpi.extractor.clause import indicator_vocab
from kpi.record import COLUMNS, COMPARATORS, DIMENSIONS, KINDS
from kpi.taxonomy import gazetteer, taxonomy
from kpi.tracking.cues import tracking
from kpi.tracking.units_zh import unit_words
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


# The function that loads and checks each vocabulary file (each cached once per process).
LOADERS: dict[str, Callable[[], object]] = {
    "units": load,
    "cues": load,
    "tracking": tracking,
    "unit_words": unit_words,
    "indicators": taxonomy,
    "regions": gazetteer,
    "indicator": indicator_vocab,
}


# (file, section, regex, replacement, message): the first match of `regex` after the line `section` of
# the real file is replaced; loading the file must then fail with `message`, which names file and key.
BAD_ENTRIES = [
    (
        "cues",
        "[kind]",
        r"\nactual = ",
        "\nactuals = ",
        "cues.toml [kind]: unknown key(s) ['actuals'], missing key(s) ['actual']",
    ),
    (
        "cues",
        "[partial_period]",
        r"early_months = 4",
        'early_months = "4"',
        "cues.toml [partial_period] early_months: expected int",
    ),
    (
        "cues",
        "[neutral]",
        r"words = \[.*?\]",
        "words = []",
        "cues.toml [neutral] words: expected a non-empty list of words",
    ),
    (
        "units",
        "[dimensions]",
        r'pp = \["pp"\]',
        'pp = "pp"',
        "units.toml [dimensions] pp: expected a list of words",
    ),
    (
        "units",
        "[[unit]]",
        r"surfaces = ",
        "surface = ",
        "units.toml [unit #0] surfaces: expected a list of words, got None",
    ),
    ("units", "[[unit]]", r"local = true", 'local = "yes"', "units.toml [unit #1] local: expected bool"),
    (
        "tracking",
        "[span]",
        r"clause_marks = ",
        "clause_mark = ",
        "tracking.toml [span]: unknown key(s) ['clause_mark'], missing key(s) ['clause_marks']",
    ),
    (
        "tracking",
        "[span]",
        r"clause_marks = \".*?\"",
        "clause_marks = 3",
        "tracking.toml [span] clause_marks: expected str",
    ),
    (
        "unit_words",
        "[words]",
        r'"jin" = ',
        '"jn" = ',
        "unit_words.toml [words]: unknown key(s) ['jn'], missing key(s) ['jin']",
    ),
    (
        "unit_words",
        "[magnitudes]",
        r'"万" = 10000',
        '"万" = "10000"',
        "unit_words.toml [magnitudes] 万: expected int",
    ),
    (
        "unit_words",
        "[magnified]",
        r'codes = \["person", ',
        'codes = ["persons", ',
        "unit_words.toml [magnified] codes: ['persons']",
    ),
    (
        "unit_words",
        "[counter]",
        r"not_counters = ",
        "not_counter = ",
        "unit_words.toml [counter]: unknown key(s) ['not_counter']",
    ),
    (
        "indicators",
        "[matching]",
        r"max_gap = ",
        "max_gaps = ",
        "indicators.toml [matching]: unknown key(s) ['max_gaps'], missing key(s) ['max_gap']",
    ),
    (
        "indicators",
        "[[indicator]]",
        r'name_zh = ".*?"',
        "name_zh = 1",
        "indicators.toml [indicator 'gdp_growth'] name_zh: expected str",
    ),
    (
        "indicators",
        "[[indicator]]",
        r"synonyms = ",
        "synonym = ",
        "indicators.toml [indicator 'gdp_growth']: unknown key(s) ['synonym'], missing key(s) ['synonyms']",
    ),
    (
        "regions",
        "[[region]]",
        r'code = "110000"',
        'kode = "110000"',
        "regions.toml [region '北京市']: unknown key(s) ['kode']",
    ),
    (
        "regions",
        "[[region]]",
        r'code = "110000"',
        "code = 110000",
        "regions.toml [region '北京市'] code: expected str",
    ),
    (
        "indicator",
        "[clause]",
        r"item_mark = ",
        "item_marks = ",
        "indicator.toml [clause]: unknown key(s) ['item_marks'], missing key(s) ['item_mark']",
    ),
    (
        "indicator",
        "[noise]",
        r"enumeration_max_gap = 2",
        'enumeration_max_gap = "2"',
        "indicator.toml [noise] enumeration_max_gap: expected int",
    ),
    (
        "indicator",
        "[change]",
        r'changed = "变动"',
        "changed = []",
        "indicator.toml [change] changed: expected str",
    ),
    (
        "indicator",
        "[predicate.completions]",
        r'"占" = "占比"',
        '"占" = ["占比"]',
        "indicator.toml [predicate.completions] 占: expected str",
    ),
    (
        "indicator",
        "[rank]",
        r"number_patterns = \[",
        'number_patterns = ["(", ',
        "indicator.toml [rank] number_patterns: bad pattern '('",
    ),
    (
        "indicator",
        "[act]",
        r"\nverbs = ",
        "\nverb = ",
        "indicator.toml [act]: unknown key(s) ['verb'], missing key(s) ['verbs']",
    ),
    (
        "indicator",
        "[list.expand]",
        r'"城乡" = \[.*?\]',
        '"城乡" = []',
        "indicator.toml [list.expand] 城乡: expected a non-empty list of words",
    ),
]


@pytest.mark.parametrize(
    ("name", "section", "regex", "replacement", "message"),
    BAD_ENTRIES,
    ids=[f"{entry[0]}{entry[1]}-{i}" for i, entry in enumerate(BAD_ENTRIES)],
)
def test_a_bad_table_fails_at_load_naming_file_and_key(
    monkeypatch: pytest.MonkeyPatch, name: str, section: str, regex: str, replacement: str, message: str
) -> None:
    """A renamed key, a wrong type or an empty list fails when the file loads, naming the file and the key."""
    from kpi import vocabulary

    real = vocabulary._vocab_text
    text = real(name)
    head = text.index(f"\n{section}\n")
    bad = text[:head] + re.sub(regex, lambda _: replacement, text[head:], count=1, flags=re.DOTALL)
    assert bad != text, f"{name}.toml: {regex!r} matches nothing after {section}"
    loader = LOADERS[name]
    monkeypatch.setattr(vocabulary, "_vocab_text", lambda n: bad if n == name else real(n))
    caches = (vocabulary.read_toml, load, loader)
    for cached in caches:
        cached.cache_clear()  # type: ignore[attr-defined]
    try:
        with pytest.raises(vocabulary.VocabularyError, match=re.escape(message)):
            loader()
    finally:
        monkeypatch.undo()
        for cached in caches:
            cached.cache_clear()  # type: ignore[attr-defined]


def test_every_typed_file_has_a_bad_entry_case() -> None:
    assert {entry[0] for entry in BAD_ENTRIES} == set(LOADERS)
