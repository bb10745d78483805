"""The indicator column (rule book §2, "Indicator") and the id looked up from it, on real sentences.

Each case: (origin, sentence, mention, indicator, indicator_id). Origins: `dev/dNN`, `dev2/eNN` are
sentences of ../shared/corpus/dev*/ (their gold's indicator, or one the rule book reads the same way),
`reports/<id>` of the 22 full reports of ../shared/corpus/reports/, `tracking/<id>` of
../shared/corpus/tracking/, `rule book` its own examples. An
indicator_id of `...` is not checked. The whole sentence goes through `kpi.extract`: the mention is found
among its records (the first record whose mention holds it)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kpi.extractor.clause import clauses
from kpi.extractor.extract import extract
from kpi.taxonomy import indicator_id_for, match_indicator

ANY: Any = ...

# list items paired with their quantities (分别, 和), and the head they share
LISTS = [
    ("rule book", "进口、出口分别增长3.2%、7.5%。", "3.2%", "进口增长", ANY),
    ("rule book", "进口、出口分别增长3.2%、7.5%。", "7.5%", "出口增长", "export_growth"),
    (
        "dev/d02",
        "城镇居民、农村居民人均可支配收入分别增长4.6%、6.7%。",
        "4.6%",
        "城镇居民人均可支配收入增长",
        "urban_resident_income_growth",
    ),
    (
        "dev/d02",
        "城镇居民、农村居民人均可支配收入分别增长4.6%、6.7%。",
        "6.7%",
        "农村居民人均可支配收入增长",
        "rural_resident_income_growth",
    ),
    (
        "reports/安徽省-2026",
        "城镇、农村常住居民人均可支配收入分别增长4.4%、5.9%。",
        "5.9%",
        "农村常住居民人均可支配收入增长",
        "rural_resident_income_growth",
    ),
    ("dev/d01", "城乡低保标准分别提高9.97%和14.1%。", "14.1%", "农村低保标准提高", ANY),
    (
        "dev2/e04",
        "食品、石化、医药、信息等产业增加值分别增长7.5%、11.5%、17.4%、7.3%。",
        "11.5%",
        "石化产业增加值增长",
        ANY,
    ),
    (
        "dev2/e04",
        "食品、石化、医药、信息等产业增加值分别增长7.5%、11.5%、17.4%、7.3%。",
        "7.3%",
        "信息产业增加值增长",
        ANY,
    ),
    (
        "reports/广西壮族自治区-2025",
        "一、二、三产业增加值分别增长4.2%、5%、5.4%。",
        "4.2%",
        "第一产业增加值增长",
        "agriculture_value_added_growth",
    ),
    (
        "dev/d03",
        "全年全县500万元以上固定资产完成投资同比增长10%，其中第一产业同比下降49.1%，第二、三产业分别同比增长15.2%、6.2%。",
        "6.2%",
        "第三产业增长",
        ANY,
    ),
    ("dev2/e04", "生产安全事故起数和死亡人数分别下降15.1%、17%。", "15.1%", "生产安全事故起数变动", ANY),
    (
        "dev2/e02",
        "炼焦先进产能占比达到100%，炼铁、炼钢先进产能占比分别达到64.3%、62.3%。",
        "62.3%",
        "炼钢先进产能占比",
        ANY,
    ),
    (
        "dev2/e02",
        "规上制造业、工业战略性新兴产业增加值年均分别增长7%、6.8%。",
        "7%",
        "规上制造业增加值年均增长",
        ANY,
    ),
    (
        "dev2/e01",
        "民营规上工业增加值、限上批发零售业商品销售额、外贸进出口总额占比分别为23.1%、62.5%、45.5%。",
        "23.1%",
        "民营规上工业增加值占比",
        ANY,
    ),
    # the items are the subjects of the quantities before the list
    (
        "dev2/e03",
        "全区接待游客2.73亿人次、实现收入4140亿元，增长18.6%和23.4%。",
        "18.6%",
        "接待游客增长",
        "tourist_arrivals_growth",
    ),
    (
        "dev2/e02",
        "新建改造城市道路4767公里，更新改造地下管网1.8万公里，较“十三五”时期分别增长4.8%、50%。",
        "50%",
        "更新改造地下管网较十三五时期增长",
        ANY,
    ),
    (
        "reports/上海市-2025",
        "跨国公司地区总部、外资研发中心分别新认定60家和30家，累计分别达到1016家和591家。",
        "591家",
        "外资研发中心累计",
        ANY,
    ),
]

# a subject carried along a chain of quantities
CHAINS = [
    ("rule book", "粗钢产量2100万吨、增长3.4%。", "3.4%", "粗钢产量增长", ANY),
    ("dev/d01", "国内生产总值达到63.6万亿元，比上年增长7.4%。", "7.4%", "国内生产总值增长", "gdp_growth"),
    (
        "dev/d03",
        "其中：第一产业增加值22.9亿元，同比增长3.7%；第三产业增加值112.5亿元，同比增长4.0%。",
        "4.0%",
        "第三产业增加值增长",
        "service_value_added_growth",
    ),
    (
        "dev/d03",
        "全年实现生产总值(GDP)262.6亿元，按可比价格计算，同比增长5.3%。",
        "5.3%",
        "生产总值(GDP)增长",
        "gdp_growth",
    ),
    (
        "dev/d01",
        "消费对经济增长的贡献率上升3个百分点，达到51.2%，服务业增加值比重由46.9%提高到48.2%。",
        "51.2%",
        "消费对经济增长的贡献率",
        None,
    ),
    (
        "dev/d03",
        "全县非公有制经济实现增加值188.99亿元，增长6.3%，占GDP的比重为72.0%。",
        "72.0%",
        "非公有制经济增加值占GDP的比重",
        ANY,
    ),
    (
        "dev/d03",
        "年末固定电话用户达到29074户，比上年减少439户，下降1.5%。",
        "439户",
        "年末固定电话用户比上年减少",
        ANY,
    ),
    (
        "dev/d03",
        "年末固定电话用户达到29074户，比上年减少439户，下降1.5%。",
        "1.5%",
        "年末固定电话用户变动",
        ANY,
    ),
    ("dev2/e02", "人均GDP从2020年的5.2万元提高到2025年的7.4万元。", "7.4万元", "人均GDP", "gdp_per_capita"),
    (
        "tracking/hunan-2026",
        "全省地区生产总值达到5.53万亿元、稳居全国前十强、增长4.8%。",
        "4.8%",
        "地区生产总值增长",
        "gdp_growth",
    ),
    ("dev2/e04", "财政收入达到1350亿元，3年增长58.6%。", "58.6%", "财政收入3年增长", ANY),
    (
        "dev/d01",
        "新开工保障性安居工程740万套，基本建成511万套。",
        "511万套",
        "新开工保障性安居工程基本建成",
        ANY,
    ),
    # attribute nouns of the subject before them; the topic of a clause without a number
    (
        "dev/d07",
        "基础设施类项目276个，个数占比31.3%，总投资15491.9亿元，投资占比43.4%。",
        "43.4%",
        "基础设施类项目投资占比",
        ANY,
    ),
    (
        "reports/广西壮族自治区-2026",
        "一般公共预算收入增长4.6%，总量首次突破1900亿元。",
        "1900亿元",
        "一般公共预算收入总量",
        "public_budget_revenue",
    ),
    ("dev2/e04", "吉化乙烯项目投产，总产能达190万吨。", "190万吨", "吉化乙烯项目总产能", ANY),
]

# a rank names the ranked measure, its scope and 排名
RANKS = [
    ("dev/d01", "实际使用外商直接投资1196亿美元，居世界首位。", "首位", "实际使用外商直接投资世界排名", ANY),
    ("rule book", "光伏装机容量突破3000万千瓦、居全国第3位。", "全国第3", "光伏装机容量全国排名", ANY),
    ("dev2/e04", "粮食总产量达到871.6亿斤，稳居全国第4位。", "全国第4", "粮食总产量全国排名", ANY),
    ("dev/d08", "空气质量考核综合得分均居全市第1、全省第7。", "第7", "空气质量考核综合得分全省排名", ANY),
    ("dev2/e03", "电力集团全国500强排名上升11位。", "11位", "电力集团全国500强排名上升", ANY),
]

# a count names the act and the thing counted, wherever the thing stands
COUNTS = [
    ("rule book", "建设80个社区嵌入式托育点。", "80个", "建设社区嵌入式托育点", ANY),
    (
        "dev/d02",
        "新增5个国家级中小企业特色产业集群。",
        "5个",
        "新增国家级中小企业特色产业集群",
        "sme_characteristic_clusters",
    ),
    ("dev/d02", "4个园区入围全国园区高质量发展百强。", "4个", "园区入围全国园区高质量发展百强", ANY),
    ("dev2/e01", "新梅江公园北段、柳林公园二期和56个口袋公园向市民开放。", "56个", "口袋公园向市民开放", ANY),
    ("dev2/e02", "打造16条省级重点产业链、30个省级重点专业镇。", "30个", "打造省级重点专业镇", ANY),
    ("dev2/e01", "深化医药集中带量采购改革，580种药品和26种医用耗材价格大幅降低。", "580种", "药品", ANY),
    (
        "dev2/e01",
        "深化医药集中带量采购改革，580种药品和26种医用耗材价格大幅降低。",
        "26种",
        "医用耗材价格大幅降低",
        ANY,
    ),
    (
        "dev/d02",
        "新增专精特新“小巨人”企业40家、国家级制造业单项冠军企业11家、上市企业8家。",
        "8家",
        "新增上市企业",
        "new_listed_companies",
    ),
    (
        "dev/d06",
        "期间当局开办逾450个职业培训课程，逾8,900人次参与。",
        "8,900人次",
        "当局开办职业培训课程参与",
        ANY,
    ),
    ("dev/d06", "已协助12,251人次成功就业。", "12,251人次", "协助成功就业", ANY),
    ("reports/山西省-2026", "增加1万个普惠性学前教育学位。", "1万个", "增加普惠性学前教育学位", ANY),
    (
        "dev2/e01",
        "粮食生产“二十一连丰”，40万亩增发国债高标准农田项目率先完工。",
        "40万亩",
        "增发国债高标准农田项目率先完工",
        ANY,
    ),
    ("tracking/national-2025", "粮食产量首次跃上1.4万亿斤新台阶。", "1.4万亿斤", "粮食产量", "grain_output"),
    # things counted in a list share the head of the last
    ("dev/d07", "开工建设5个百亿级、10个三十亿以上重大工业项目。", "5个", "开工建设百亿级重大工业项目", ANY),
    (
        "reports/福建省-2025",
        "新增5个国家级、60个省级高技能人才培训基地。",
        "5个",
        "新增国家级高技能人才培训基地",
        ANY,
    ),
    (
        "reports/山西省-2026",
        "为87万名80岁以上老年人发放高龄津贴。",
        "87万名",
        "80岁以上老年人发放高龄津贴",
        ANY,
    ),
]

# noise stripped, qualifiers kept; a fall of a rate says 变动
NOISE = [
    ("rule book", "2024年全省地区生产总值57761亿元。", "57761亿元", "地区生产总值", "gdp"),
    (
        "dev/d01",
        "钢铁、水泥等15个重点行业淘汰落后产能年度任务如期完成。",
        "15个",
        "重点行业淘汰落后产能年度任务如期完成",
        ANY,
    ),
    ("dev/d04", "拉动汽车、家电等消费超500亿元。", "超500亿元", "拉动消费", ANY),
    (
        "dev/d01",
        "国务院提请全国人大常委会制定修订食品安全法等法律15件。",
        "15件",
        "国务院提请全国人大常委会制定修订法律",
        ANY,
    ),
    (
        "dev2/e04",
        "食品、石化、医药、信息等重点产业增加值占比达到55%。",
        "55%",
        "食品、石化、医药、信息等重点产业增加值占比",
        ANY,
    ),
    (
        "dev2/e02",
        "数字经济核心产业增加值预计增长10%。",
        "10%",
        "数字经济核心产业增加值增长",
        "digital_economy_core_value_added_growth",
    ),
    ("dev/d03", "全年全县服务业实现增加值112.5亿元。", "112.5亿元", "服务业增加值", ANY),
    ("dev/d04", "8.长江干线港口今年货物吞吐量超40亿吨。", "超40亿吨", "长江干线港口货物吞吐量", ANY),
    ("dev/d07", "深圳2021年全年地区生产总值3.07万亿元。", "3.07万亿元", "深圳地区生产总值", "gdp"),
    (
        "dev/d03",
        "全年规模以上工业增加值同比增长9.2%。",
        "9.2%",
        "规模以上工业增加值增长",
        "industrial_value_added_growth",
    ),
    ("dev/d01", "能耗强度下降4.8%。", "4.8%", "能耗强度变动", "energy_intensity_change"),
    (
        "dev2/e01",
        "深入打好污染防治攻坚战，PM2.5年均浓度同比下降8%。",
        "8%",
        "PM2.5年均浓度变动",
        "pm25_concentration_change",
    ),
    (
        "dev/d04",
        "今年，我国航空公司旅客运输量超过7亿人次，较2019年增长10.7%。",
        "10.7%",
        "航空公司旅客运输量较2019年增长",
        ANY,
    ),
    (
        "dev/d01",
        "全国居民人均可支配收入实际增长8%。",
        "8%",
        "全国居民人均可支配收入实际增长",
        "resident_income_growth",
    ),
    (
        "tracking/national-2024",
        "城镇调查失业率平均为5.2%。",
        "5.2%",
        "城镇调查失业率",
        "urban_surveyed_unemployment_rate",
    ),
]

CASES = LISTS + CHAINS + RANKS + COUNTS + NOISE


def _record(sentence: str, mention: str) -> Any:
    records = extract(sentence, doc_id="case", published=date(2025, 1, 15))
    found = [r for r in records if mention in r.mention or r.mention in mention]
    assert found, f"no record for {mention!r}: {[r.mention for r in records]}"
    return found[0]


@pytest.mark.parametrize(
    ("origin", "sentence", "mention", "indicator", "indicator_id"),
    CASES,
    ids=[f"{c[0]}|{c[2]}|{c[3]}" for c in CASES],
)
def test_indicator(origin: str, sentence: str, mention: str, indicator: str, indicator_id: Any) -> None:
    record = _record(sentence, mention)
    assert record.indicator == indicator
    if indicator_id is not ANY:
        assert record.indicator_id == indicator_id


@pytest.mark.parametrize(("origin", "sentence", "mention", "indicator", "indicator_id"), CASES[:12])
def test_the_sentence_api_reads_the_same_phrase(
    origin: str, sentence: str, mention: str, indicator: str, indicator_id: Any
) -> None:
    """`match_indicator` (the tracker's reading of a sentence) goes through the same resolver."""
    record = _record(sentence, mention)
    start = record.sentence.index(record.mention)
    found = match_indicator(record.sentence, start, unit=record.unit)
    assert (found.indicator_id if found else None) == indicator_id_for(record.indicator, unit=record.unit)


def test_a_required_record_never_has_an_empty_indicator() -> None:
    text = "增长5%。1.2万个。其中，达到30%，为40%。比上年增加3家。"
    records = extract(text, doc_id="case", published=date(2025, 1, 15))
    assert records and all(r.indicator for r in records)


def test_a_thousands_separator_ends_no_clause() -> None:
    text = "已协助12,251人次成功就业，开办450个课程。"
    cl = clauses(text)
    assert cl.index(text.index("251")) == 0 and cl.starts[1] == text.index("开办")


def test_the_vocabulary_states_its_syntax() -> None:
    from importlib import resources

    text = resources.files("kpi").joinpath("vocab", "indicator.toml").read_text(encoding="utf-8")
    assert text.startswith("# indicator.toml — ")
