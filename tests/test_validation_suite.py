"""The suite as a contract file: generated, shipped, engine-neutral, and in agreement with SCHEMA.md,
kpi.record, the unit vocabulary and datapackage.json."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest

from kpi.record import COLUMNS, COMPARATORS, DIMENSIONS, KINDS, QUARANTINE_SCHEMA, RECORD_SCHEMA, REQUIRED
from kpi.validation import check_schema, default_suite_path
from kpi.validation.suite_builder import load_vocabulary, render_suite, suite_targets

ROOT = Path(__file__).resolve().parents[1]
ARROW_TYPES = {  # SCHEMA.md's type names
    "string": pa.string(),
    "date32": pa.date32(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "list<string>": pa.list_(pa.string()),
}
SCHEMA_MD_PLACES = [ROOT / "docs" / "SCHEMA.md", ROOT / "SCHEMA.md", Path("/work/shared/spec/SCHEMA.md")]


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return json.loads(default_suite_path().read_text(encoding="utf-8"))


def by_name(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["meta"]["name"]: e for e in raw["expectations"]}


def value_set(raw: dict[str, Any], name: str) -> list[str]:
    return by_name(raw)[name]["kwargs"]["value_set"]


# -- generated and shipped ------------------------------------------------------------------------


def test_committed_suite_is_what_the_builder_writes() -> None:
    text = render_suite()
    repo_copy, package_copy = suite_targets(ROOT)
    assert repo_copy.read_text(encoding="utf-8") == text, "run: python -m kpi.validation.suite_builder"
    assert package_copy.read_bytes() == repo_copy.read_bytes()


def test_suite_ships_as_package_data() -> None:
    assert default_suite_path().is_file()
    assert default_suite_path().read_bytes() == (ROOT / "expectations" / "records.json").read_bytes()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"expectations/*.json"' in pyproject


def test_every_expectation_is_named_and_explained(raw: dict[str, Any]) -> None:
    names = [e["meta"]["name"] for e in raw["expectations"]]
    assert len(names) == len(set(names))
    for e in raw["expectations"]:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", e["meta"]["name"]), e["meta"]
        assert len(e["meta"]["why"]) > 10, e["meta"]


def test_suite_is_engine_neutral(raw: dict[str, Any]) -> None:
    """No pandas-syntax conditions, and every metric an expectation needs exists for pandas and Spark."""
    from kpi.validation.gx import import_gx

    import_gx()
    from great_expectations.expectations.registry import _registered_metrics, get_expectation_impl

    for e in raw["expectations"]:
        assert "condition_parser" not in e["kwargs"] and not isinstance(e["kwargs"].get("row_condition"), str)
        impl = get_expectation_impl(e["type"])
        map_metric = getattr(impl, "map_metric", None)
        metrics = [f"{map_metric}.condition"] if map_metric else list(impl.metric_dependencies)
        for metric in metrics:
            providers = set(_registered_metrics[metric]["providers"])
            assert {"PandasExecutionEngine", "SparkDFExecutionEngine"} <= providers, (
                e["meta"]["name"],
                metric,
            )


def test_loading_fails_loudly_when_gx_drops_an_expectation(raw: dict[str, Any], tmp_path: Path) -> None:
    from kpi.validation.gx import SuiteError, load_suite

    broken = json.loads(json.dumps(raw))
    broken["expectations"][3]["type"] = "expect_something_nobody_registered"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(
        SuiteError, match=rf"loaded {len(raw['expectations']) - 1} of {len(raw['expectations'])}"
    ):
        load_suite(path)
    broken = json.loads(json.dumps(raw))
    del broken["expectations"][0]["meta"]["why"]
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(SuiteError, match="meta.why"):
        load_suite(path)


# -- agreement with the vocabulary, kpi.record, datapackage.json and SCHEMA.md ------------------------


def test_suite_sets_come_from_the_vocabulary(raw: dict[str, Any]) -> None:
    vocab = load_vocabulary()
    assert value_set(raw, "unit_in_set") == list(vocab.units)
    assert value_set(raw, "dimension_in_set") == list(DIMENSIONS) == list(vocab.units_by_dimension)
    assert value_set(raw, "comparator_in_set") == list(COMPARATORS)
    assert value_set(raw, "kind_in_set") == list(KINDS)
    assert by_name(raw)["unit_matches_dimension"]["kwargs"]["mapping"] == vocab.dimension_of
    not_null = {
        e["kwargs"]["column"]
        for e in raw["expectations"]
        if e["type"] == "expect_column_values_to_not_be_null"
    }
    assert not_null == set(REQUIRED)
    assert by_name(raw)["columns_match_schema"]["kwargs"]["column_list"] == list(COLUMNS)


def test_suite_agrees_with_datapackage(raw: dict[str, Any]) -> None:
    datapackage = pytest.importorskip("kpi.io.datapackage")
    descriptor = datapackage.datapackage_descriptor()
    quarantine = next(r for r in descriptor["resources"] if r["name"] == "quarantine")
    q_fields = {f["name"]: f for f in quarantine["schema"]["fields"]}
    assert list(q_fields)[: len(COLUMNS)] == list(COLUMNS)
    # quarantined rows failed the contract: no value constraint may reject them
    assert all(
        "enum" not in f["constraints"] and not f["constraints"].get("required")
        for n, f in q_fields.items()
        if n != "failed_expectations"
    )
    for resource_name in ("records",):
        resource = next(r for r in descriptor["resources"] if r["name"] == resource_name)
        fields = {f["name"]: f for f in resource["schema"]["fields"]}
        assert list(fields)[: len(COLUMNS)] == list(COLUMNS)
        for column, name in (("unit", "unit_in_set"), ("dimension", "dimension_in_set")):
            assert fields[column]["constraints"]["enum"] == value_set(raw, name)
        for column, name in (("comparator", "comparator_in_set"), ("kind", "kind_in_set")):
            assert fields[column]["constraints"]["enum"] == value_set(raw, name)
        required = {n for n, f in fields.items() if f["constraints"].get("required")} - {
            "failed_expectations"
        }
        assert required == {
            e["kwargs"]["column"] for e in raw["expectations"] if e["type"].endswith("not_be_null")
        }
        assert (
            fields["record_id"]["constraints"].get("pattern")
            == by_name(raw)["record_id_format"]["kwargs"]["regex"]
        )


def schema_md() -> str:
    for place in SCHEMA_MD_PLACES:
        if place.is_file():
            return place.read_text(encoding="utf-8")
    pytest.skip("SCHEMA.md not found")


def test_suite_agrees_with_schema_md(raw: dict[str, Any]) -> None:
    text = schema_md()
    vocab = load_vocabulary()
    # §1 column table: | `name`[, `name`] | arrow type | null | meaning |
    columns: dict[str, tuple[str, str]] = {}
    for line in text.split("## 2.")[0].splitlines():
        m = re.match(r"\| (`[a-z_]+`(?:, `[a-z_]+`)*) \| ([a-z0-9<>\\]+) \| (yes|no) \|", line)
        if m:
            for name in re.findall(r"`([a-z_]+)`", m.group(1)):
                columns[name] = (m.group(2).replace("\\", ""), m.group(3))
    assert list(columns) == QUARANTINE_SCHEMA.names
    for f in QUARANTINE_SCHEMA:
        assert ARROW_TYPES[columns[f.name][0]] == f.type, f.name
    assert {n for n, (_, null) in columns.items() if null == "no"} - {"failed_expectations"} == set(REQUIRED)
    # the closed sets
    comparator_row = next(line for line in text.splitlines() if line.startswith("| `comparator` |"))
    assert re.findall(r"`([^`]+)`", comparator_row.split("|")[4]) == value_set(raw, "comparator_in_set")
    kind_row = next(line for line in text.splitlines() if line.startswith("| `kind` |"))
    assert re.findall(r"`([^`]+)`", kind_row.split("|")[4]) == value_set(raw, "kind_in_set")
    units_table = text.split("**Units and dimensions**")[1].split("\n\n")[1]
    rows = [r for r in units_table.splitlines() if re.match(r"\| `\w+` \|", r)]
    assert [re.findall(r"`(\w+)`", r.split("|")[1])[0] for r in rows] == value_set(raw, "dimension_in_set")
    for r in rows:
        dim = re.findall(r"`(\w+)`", r.split("|")[1])[0]
        listed = re.findall(r"`([^`]+)`", r.split("|")[2])
        known = list(vocab.units_by_dimension[dim])
        if "…" in r:  # an open-ended row lists examples: all of them in the vocabulary
            assert set(listed) <= set(known), (dim, set(listed) - set(known))
        else:
            assert listed == known, dim


# -- check_schema ---------------------------------------------------------------------------------------


def test_check_schema_accepts_the_contract_in_its_usual_layouts() -> None:
    empty = RECORD_SCHEMA.empty_table()
    assert check_schema(empty) == []
    assert check_schema(pl.from_arrow(empty)) == []  # polars: large_string / string_view
    assert check_schema(pl.from_arrow(empty).lazy()) == []
    assert check_schema(QUARANTINE_SCHEMA, schema=QUARANTINE_SCHEMA) == []


def test_check_schema_names_each_problem() -> None:
    schema = RECORD_SCHEMA.remove(RECORD_SCHEMA.get_field_index("unit"))
    schema = schema.set(schema.get_field_index("period_year"), pa.field("period_year", pa.int64()))
    schema = schema.append(pa.field("extra", pa.string()))
    assert check_schema(schema) == [
        "missing column `unit` (string)",
        "unexpected column `extra`",
        "column `period_year` is int64, expected int32",
    ]
    reordered = pa.schema(list(reversed(list(RECORD_SCHEMA))))
    assert check_schema(reordered) == [f"columns out of order: expected {', '.join(COLUMNS)}"]
    with pytest.raises(TypeError):
        check_schema({"not": "a frame"})


# -- GX stays out of the fast paths -----------------------------------------------------------------------


def test_gx_is_imported_lazily() -> None:
    code = (
        "import sys\n"
        "import kpi.cli, kpi.validation, kpi.commands.validate\n"
        "from kpi.cli import cli\n"
        "for args in (['--version'], ['--help'], ['validate', '--help']):\n"
        "    try:\n"
        "        cli(args, prog_name='kpi')\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('GX' if 'great_expectations' in sys.modules else 'no GX')\n"
    )
    out = subprocess.run([sys.executable, "-"], input=code, capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "no GX"
