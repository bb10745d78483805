"""The document model: region and date read from the text, Hong Kong and Macau only on strong
evidence, paragraph modes decoded over a whole report, and a vocabulary checked at load."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

import kpi
from kpi.extractor.normalise import normalise
from kpi.extractor.region import detect_region
from kpi.extractor.structure import decode, is_work_report
from kpi.extractor.structure_vocab import parse, structure
from kpi.vocabulary import VocabularyError

SHARED = Path(__file__).resolve().parents[2] / "shared"
REPORTS = SHARED / "corpus" / "reports" / "documents.jsonl"
DEV2 = SHARED / "corpus" / "dev2" / "input.jsonl"


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        pytest.skip(f"{path} is not beside the project")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("2025年河南省政府工作报告\n2025年1月18日在河南省第十四届人民代表大会第三次会议上", "河南省"),
        ("——2025年1月14日自治区人民政府主席在内蒙古自治区第十四届人民代表大会第三次会议上", "内蒙古自治区"),
        ("标题：高阳县2019年政府工作报告\n发文单位：高阳县人民政府", "高阳县"),
        # an autonomous county the gazetteer does not hold: its name, its peoples and its suffix
        ("2025年长阳土家族自治县人民政府工作报告\n各位代表：", "长阳土家族自治县"),
        ("在双江拉祜族佤族布朗族傣族自治县第十八届人民代表大会第五次会议上", "双江拉祜族佤族布朗族傣族自治县"),
        # a mainland report that speaks of Hong Kong and Macau is still the mainland's
        ("2025年广东省政府工作报告\n深化粤港澳合作，香港、澳门与广东共建大湾区，支持香港融入。", "广东省"),
        ("(澳門電台消息) 統計暨普查局公布，澳門第3季總體失業率1.7%。", "澳门特别行政区"),
        ("房委會至今接獲逾10萬份申請 https://news.rthk.hk/rthk/ch/ 香港", "香港特别行政区"),
        # two mentions of 香港 in simplified text are no evidence
        ("加强与香港的合作，推动香港企业来投资。", None),
    ],
)
def test_region_from_the_text(text: str, region: str | None) -> None:
    assert detect_region(normalise(text).text, text) == region


def test_short_region_names_take_the_gazetteer_currency() -> None:
    text = "預計政府收入每年可增加約8億2000萬元。"
    (record,) = kpi.extract(text, doc_id="hk", published=date(2024, 10, 23), region="香港")
    assert (record.region, record.unit) == ("香港特别行政区", "HKD")


def test_reports_as_plain_text_get_their_province_and_delivery_date() -> None:
    rows = _rows(REPORTS)
    for row in rows:
        records = kpi.extract(row["text"], doc_id=row["id"])
        assert records, row["id"]
        assert {r.region for r in records} == {row["region"]}, row["id"]
        assert records[0].published == date.fromisoformat(row["published"]), row["id"]
        assert not [r for r in records if r.unit in ("HKD", "MOP")], row["id"]


def _modes(row: dict[str, str]) -> list[str]:
    text = normalise(row["text"]).text
    paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
    return decode(paragraphs, date.fromisoformat(row["published"]).year)


def test_a_report_reviews_before_it_plans() -> None:
    """Every full report opens with its review and ends in its plans; a 2026 report also reviews the
    plan period and sets the next one's goals; a 2025 report has no plan-period modes."""
    for row in _rows(REPORTS):
        modes = _modes(row)
        assert is_work_report(normalise(row["text"]).text), row["id"]
        first_plan = next(i for i, m in enumerate(modes) if m in ("targets_year", "tasks_year"))
        assert "review_year" in modes[:first_plan], row["id"]
        assert modes.count("targets_year") >= 1, row["id"]
        plan_period = {"review_plan", "goals_plan"} & set(modes)
        assert bool(plan_period) == row["id"].endswith("2026"), row["id"]


@pytest.mark.parametrize(
    ("doc_id", "expected"),
    [
        ("e01", {"review_year"}),
        ("e05", {"review_year"}),
        ("e07", {"review_year"}),
        ("e06", {"goals_plan", "tasks_year", "targets_year"}),
    ],
)
def test_excerpts_cut_below_their_heading_read_as_the_report_does(doc_id: str, expected: set[str]) -> None:
    row = next(r for r in _rows(DEV2) if r["id"] == doc_id)
    modes = set(_modes(row))
    # an excerpt's last paragraph may already belong to the next part (problems, closing words)
    assert expected <= modes and len(modes - expected) <= 1, modes


def test_an_unknown_key_fails_at_load_naming_the_file() -> None:
    import tomllib
    from importlib import resources

    data = tomllib.loads(resources.files("kpi.vocab").joinpath("structure.toml").read_text(encoding="utf-8"))
    data["scoring"]["heading_char"] = 40
    with pytest.raises(VocabularyError, match=r"structure\.toml \[scoring\].*heading_char"):
        parse(data)
    del data["scoring"]["heading_char"]
    data["modes"]["review_year"]["kind"] = "plan"
    with pytest.raises(VocabularyError, match=r"structure\.toml \[modes\.review_year\] kind"):
        parse(data)


def test_structure_vocabulary_loads() -> None:
    s = structure()
    assert {m.name for m in s.modes} >= {"review_year", "review_plan", "goals_plan", "targets_year", "tasks_year"}
