"""The indicator taxonomy and the region gazetteer (kpi/taxonomy.py, vocab/indicators.toml, vocab/regions.toml)."""

from __future__ import annotations

import ast
import re
from importlib import resources
from pathlib import Path

import pytest

from kpi import taxonomy as tx
from kpi import vocabulary
from kpi.taxonomy import (
    VocabularyError,
    indicator,
    indicator_id_for,
    local_currency,
    match_indicator,
    normalise_region,
    province_of,
    region_code,
)

# (sentence, mention, unit, expected id): real sentences of work reports unless marked.
INDICATOR_CASES = [
    ("国内生产总值增长5.5%左右", "5.5%左右", "percent", "gdp_growth"),
    ("国内生产总值达到63.6万亿元，比上年增长7.4%", "63.6万亿元", "CNY", "gdp"),
    ("国内生产总值达到63.6万亿元，比上年增长7.4%", "7.4%", "percent", "gdp_growth"),
    ("国内生产总值超过126万亿元，增长5.2%，增速居世界主要经济体前列", "5.2%", "percent", "gdp_growth"),
    (
        "全省地区生产总值达到5.53万亿元、稳居全国前十强、增长4.8%，其中规模工业增加值增长6.2%",
        "4.8%",
        "percent",
        "gdp_growth",
    ),
    (
        "全省地区生产总值达到5.53万亿元、稳居全国前十强、增长4.8%，其中规模工业增加值增长6.2%",
        "6.2%",
        "percent",
        "industrial_value_added_growth",
    ),
    ("经济增长预期目标为5%左右", "5%左右", "percent", "gdp_growth"),
    ("人均地区生产总值达1.19万美元", "1.19万美元", "USD", "gdp_per_capita"),
    (
        "城镇新增就业1100万人以上，城镇调查失业率全年控制在5.5%以内",
        "1100万人以上",
        "person",
        "urban_new_jobs",
    ),
    (
        "城镇新增就业1100万人以上，城镇调查失业率全年控制在5.5%以内",
        "5.5%以内",
        "percent",
        "urban_surveyed_unemployment_rate",
    ),
    ("年末城镇调查失业率降到5.5%", "5.5%", "percent", "urban_surveyed_unemployment_rate"),
    ("城镇调查失业率平均为5.2%", "5.2%", "percent", "urban_surveyed_unemployment_rate"),
    ("城镇登记失业率4.5%以内", "4.5%以内", "percent", "urban_registered_unemployment_rate"),
    ("居民消费价格涨幅3%左右", "3%左右", "percent", "cpi_growth"),
    ("居民消费价格上涨0.2%", "0.2%", "percent", "cpi_growth"),
    ("粮食产量保持在1.3万亿斤以上", "1.3万亿斤以上", "jin", "grain_output"),
    ("粮食产量首次跃上1.4万亿斤新台阶", "1.4万亿斤", "jin", "grain_output"),
    ("粮食总产达615.6亿斤、创近5年新高", "615.6亿斤", "jin", "grain_output"),
    ("粮食产量1.37万亿斤，增产74亿斤", "74亿斤", "jin", None),  # an increment, not the output
    ("单位国内生产总值能耗降低2.5%左右", "2.5%左右", "percent", "energy_intensity_change"),
    ("单位国内生产总值能耗降幅超过3%", "超过3%", "percent", "energy_intensity_change"),
    ("能耗强度下降3.1%以上", "3.1%以上", "percent", "energy_intensity_change"),
    ("单位地区生产总值二氧化碳排放下降4%", "4%", "percent", "co2_intensity_change"),
    ("今年赤字率拟按2.8%左右安排", "2.8%左右", "percent", "deficit_ratio"),
    ("财政赤字率控制在2.8%", "2.8%", "percent", "deficit_ratio"),
    ("地方一般公共预算收入增长2.5%", "2.5%", "percent", "public_budget_revenue_growth"),
    (
        "地方一般公共预算收入达3507.6亿元、增长1.7%（同口径增长2.5%以上）",
        "3507.6亿元",
        "CNY",
        "public_budget_revenue",
    ),
    (
        "地方一般公共预算收入达3507.6亿元、增长1.7%（同口径增长2.5%以上）",
        "1.7%",
        "percent",
        "public_budget_revenue_growth",
    ),
    (
        "地方一般公共预算收入达3507.6亿元、增长1.7%（同口径增长2.5%以上）",
        "2.5%以上",
        "percent",
        "public_budget_revenue_growth",
    ),
    ("规模工业增加值增长6.5%以上", "6.5%以上", "percent", "industrial_value_added_growth"),
    ("规模以上工业增加值比上年增长4.6%", "4.6%", "percent", "industrial_value_added_growth"),
    ("固定资产投资增长4.5%", "4.5%", "percent", "fixed_asset_investment_growth"),
    ("社会消费品零售总额增长5.5%以上", "5.5%以上", "percent", "retail_sales_growth"),
    ("进出口总额增长3%", "3%", "percent", "foreign_trade_growth"),
    ("货物进出口总额增长7.7%", "7.7%", "percent", "foreign_trade_growth"),
    ("出口增长5.3%", "5.3%", "percent", "export_growth"),
    ("全体居民人均可支配收入达39545元、增长5%", "39545元", "CNY", "resident_income"),
    ("全体居民人均可支配收入达39545元、增长5%", "5%", "percent", "resident_income_growth"),
    ("居民人均可支配收入实际增长5.1%", "5.1%", "percent", "resident_income_growth"),
    ("农村居民人均可支配收入增长6.1%", "6.1%", "percent", "rural_resident_income_growth"),
    ("城镇居民人均可支配收入增长4.6%", "4.6%", "percent", "urban_resident_income_growth"),
    ("农村贫困人口减少1232万人", "1232万人", "person", "rural_poverty_reduction"),
    ("全社会研发经费投入强度从2.1%提高到2.5%以上", "2.5%以上", "percent", "rd_intensity"),
    ("全社会研发投入强度提升至2.62%", "2.62%", "percent", "rd_intensity"),
    ("力争研发经费投入增长8%以上", "8%以上", "percent", "rd_expenditure_growth"),
    ("新增国家高新技术企业500家", "500家", "count", "new_high_tech_enterprises"),
    ("高新技术企业总数达到1.6万家", "1.6万家", "count", "high_tech_enterprises"),  # made up
    ("技术合同成交额突破5000亿元", "突破5000亿元", "CNY", "tech_contract_value"),
    ("技术合同成交额增长28.6%", "28.6%", "percent", "tech_contract_value_growth"),
    ("城镇化率提升0.9个百分点、达62.1%", "0.9个百分点", "pp", "urbanization_rate"),
    ("数字经济核心产业增加值占国内生产总值比重达到10%左右", "10%左右", "percent", "digital_economy_share"),
    # sub-groups and spans' subjects (exclude phrases)
    ("园区规模工业增加值增长10%", "10%", "percent", None),  # made up
    ("脱贫地区农村居民人均可支配收入增长7.5%", "7.5%", "percent", None),
    ("“新三样”出口增长88%", "88%", "percent", None),
    ("交通固定资产投资保持高位运行，全年预计约3.8万亿元", "约3.8万亿元", "CNY", None),
    # references are not subjects
    ("财政性教育经费占国内生产总值比例每年都保持在4%以上", "4%以上", "percent", None),
    ("其中农村居民收入增长5.8%、快于经济增速1个百分点", "1个百分点", "pp", None),
    ("其中农村居民收入增长5.8%、快于经济增速1个百分点", "5.8%", "percent", "rural_resident_income_growth"),
    ("县域经济增速高于全省经济增速0.4个百分点", "0.4个百分点", "pp", None),
    ("高耗能制造业增加值占规模工业增加值比重下降0.5个百分点", "0.5个百分点", "pp", None),
    # numbers of other subjects
    ("贡献了全省74.6%的规模工业增加值和40%左右的税收", "40%左右", "percent", None),
    ("信息传输软件和信息技术服务业、租赁和商务服务业增加值分别增长10.9%、10.4%", "10.9%", "percent", None),
    ("地区生产总值增长4.8%，数字经济增加值达1万亿元、增长12%", "12%", "percent", None),  # made up
    ("消费对经济增长的贡献率上升3个百分点，达到51.2%", "51.2%", "percent", None),
    ("对全球经济增长的贡献率保持在30%左右", "30%左右", "percent", None),
    ("进口、出口通关时间分别压减67%和92%", "67%", "percent", None),
    # the unit must fit the measure
    ("国内生产总值增长5%", "5%", "person", None),
    ("国内生产总值增长5%", "5%", "no-such-unit", None),
]


@pytest.mark.parametrize(
    ("sentence", "mention", "unit", "expected"),
    INDICATOR_CASES,
    ids=[f"{c[0][:24]}|{c[1]}" for c in INDICATOR_CASES],
)
def test_indicator_in_sentence(sentence: str, mention: str, unit: str, expected: str | None) -> None:
    start = sentence.index(mention)
    got = indicator_id_for(None, unit=unit, sentence=sentence, mention_start_in_sentence=start)
    assert got == expected


@pytest.mark.parametrize(
    ("words", "unit", "expected"),
    [
        ("国内生产总值", "percent", "gdp_growth"),
        ("国内生产总值", "CNY", "gdp"),
        ("地区生产总值增长", "percent", "gdp_growth"),
        ("城镇调查失业率", "percent", "urban_surveyed_unemployment_rate"),
        ("单位国内生产总值能耗", "percent", "energy_intensity_change"),
        ("认定高新技术企业", "count", "new_high_tech_enterprises"),
        ("园区规模工业增加值", "percent", None),
        ("招引亿元以上企业", "count", None),
        ("", "percent", None),
        (None, "percent", None),
    ],
)
def test_indicator_from_words(words: str | None, unit: str, expected: str | None) -> None:
    assert indicator_id_for(words, unit=unit) == expected


def test_match_gives_the_synonym_position() -> None:
    sentence = "地方一般公共预算收入达3507.6亿元、增长1.7%"
    found = match_indicator(sentence, sentence.index("1.7%"), unit="percent")
    assert found is not None and sentence[found.start : found.end] == "地方一般公共预算收入"


README_TABLE = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "tracking" / "README.md"


def test_readme_indicator_table_is_in_the_taxonomy() -> None:
    if not README_TABLE.exists():
        pytest.skip("shared corpus not found")
    rows = re.findall(
        r"^\| `([a-z_0-9]+)` \| (\S+) \| (higher|lower) \|", README_TABLE.read_text(), re.MULTILINE
    )
    assert len(rows) == 20
    for iid, name_zh, direction in rows:
        assert (indicator(iid).name_zh, indicator(iid).direction) == (name_zh, direction)


def test_every_indicator_is_well_formed() -> None:
    for ind in tx.taxonomy().indicators.values():
        assert ind.direction in tx.DIRECTIONS and ind.measure in tx.MEASURES
        assert ind.synonyms
        if ind.measure in ("growth", "change", "share", "rate"):
            assert ind.unit_dimension == "percent", ind.id


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            (
                '[[indicator]]\nid = "x"\nname_zh = "x"\ndirection = "up"\nmeasure = "level"\nunit_dimension = "money"\n'
                'synonyms = ["x"]\n'
            ),
            "indicator 'x': direction 'up'",
        ),
        (
            (
                '[[indicator]]\nid = "y"\nname_zh = "y"\ndirection = "higher"\nmeasure = "volume"\nunit_dimension = "money"\n'
                'synonyms = ["y"]\n'
            ),
            "indicator 'y': measure 'volume'",
        ),
    ],
)
def test_bad_indicator_entry_fails_naming_file_and_key(
    monkeypatch: pytest.MonkeyPatch, toml: str, message: str
) -> None:
    original = vocabulary._vocab_text
    real = original("indicators")
    matching = real[real.index("\n[matching]\n") : real.index("\n[[indicator]]\n")] + "\n"
    monkeypatch.setattr(
        vocabulary, "_vocab_text", lambda name: matching + toml if name == "indicators" else original(name)
    )
    vocabulary.read_toml.cache_clear()
    tx.taxonomy.cache_clear()
    try:
        with pytest.raises(VocabularyError, match=re.escape(f"indicators.toml: {message}")):
            tx.taxonomy()
    finally:
        monkeypatch.undo()
        vocabulary.read_toml.cache_clear()
        tx.taxonomy.cache_clear()


def test_bad_region_entry_fails_naming_file_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    real = vocabulary._vocab_text
    bad = '[[region]]\nname = "某省"\nlevel = "state"\n'
    monkeypatch.setattr(vocabulary, "_vocab_text", lambda name: bad if name == "regions" else real(name))
    vocabulary.read_toml.cache_clear()
    tx.gazetteer.cache_clear()
    try:
        with pytest.raises(VocabularyError, match="regions.toml: region '某省': level 'state'"):
            tx.gazetteer()
    finally:
        monkeypatch.undo()
        vocabulary.read_toml.cache_clear()
        tx.gazetteer.cache_clear()


REGION_CASES = [
    ("湖南", "湖南省", "湖南省", "430000"),
    ("湖南省", "湖南省", "湖南省", "430000"),
    (" 湖南省 ", "湖南省", "湖南省", "430000"),
    ("广西", "广西壮族自治区", "广西壮族自治区", "450000"),
    ("内蒙古", "内蒙古自治区", "内蒙古自治区", "150000"),
    ("香港", "香港特别行政区", "香港特别行政区", "810000"),
    ("澳门特别行政区", "澳门特别行政区", "澳门特别行政区", "820000"),
    ("北京", "北京市", "北京市", "110000"),
    ("全国", "全国", None, None),
    ("中国", "全国", None, None),
    ("深圳", "广东省深圳市", "广东省", "440300"),
    ("广东省深圳市", "广东省深圳市", "广东省", "440300"),
    ("湖南长沙", "湖南省长沙市", "湖南省", "430100"),
    ("吉林市", "吉林省吉林市", "吉林省", "220200"),
    ("吉林", "吉林省", "吉林省", "220000"),
    ("海南", "海南省", "海南省", "460000"),
    ("恩施", "湖北省恩施土家族苗族自治州", "湖北省", "422800"),
    ("江西省宜春市万载县", "江西省宜春市万载县", "江西省", None),
    ("宜春市万载县", "江西省宜春市万载县", "江西省", None),
    ("河北省保定市高阳县", "河北省保定市高阳县", "河北省", None),
    ("北京市海淀区", "北京市海淀区", "北京市", None),
    ("Atlantis", "Atlantis", None, None),
]


@pytest.mark.parametrize(
    ("name", "canonical", "province", "code"), REGION_CASES, ids=[c[0] for c in REGION_CASES]
)
def test_region(name: str, canonical: str, province: str | None, code: str | None) -> None:
    assert normalise_region(name) == canonical
    assert province_of(name) == province
    assert region_code(name) == code


def test_region_none_and_blank() -> None:
    assert normalise_region(None) is None
    assert normalise_region("  ") is None
    assert region_code(None) is None and province_of(None) is None


@pytest.mark.parametrize(
    ("region", "currency"),
    [
        ("香港", "HKD"),
        ("香港特别行政区", "HKD"),
        ("澳门", "MOP"),
        ("湖南省", None),
        ("全国", None),
        (None, None),
    ],
)
def test_local_currency(region: str | None, currency: str | None) -> None:
    assert local_currency(region) == currency


def test_gazetteer_has_every_provincial_division() -> None:
    g = tx.gazetteer()
    provinces = [r for r in g.regions if r.level == "province"]
    assert len(provinces) == 34
    assert all(r.code and r.code.endswith("0000") for r in provinces)
    assert sum(r.level == "prefecture" for r in g.regions) > 300


@pytest.mark.parametrize("name", ["indicators.toml", "regions.toml", "tracking.toml"])
def test_vocabulary_files_state_their_syntax(name: str) -> None:
    text = resources.files("kpi").joinpath("vocab", name).read_text(encoding="utf-8")
    assert text.startswith(f"# {name} — ")


_CJK = re.compile(r"[\u3400-\u9fff]")
ENGINE = [
    "kpi/taxonomy.py",
    *[f"kpi/tracking/{p.name}" for p in (Path(tx.__file__).parent / "tracking").glob("*.py")],
]


@pytest.mark.parametrize("module", ENGINE)
def test_engine_has_no_chinese_words(module: str) -> None:
    """Vocabulary is data: no Chinese in code (docstrings, whose examples are documentation, aside)."""
    tree = ast.parse((Path(tx.__file__).parents[1] / module).read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    code = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and id(n) not in docstrings
        and _CJK.search(n.value)
    ]
    assert code == []
