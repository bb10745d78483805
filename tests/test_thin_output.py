"""A user sees why a tracking table will be thin: documents without region or date, records that
`kpi track` cannot key (issue: document understanding)."""

from __future__ import annotations

import json
from pathlib import Path

from kpi.pipeline import run_extract

REPORT_HEAD = (
    "2025年河南省政府工作报告\n"
    "2025年1月18日在河南省第十四届人民代表大会第三次会议上河南省人民政府省长王凯作政府工作报告\n"
    "各位代表：\n一、2024年工作回顾\n"
    "过去一年，全年生产总值6.36万亿元、增长5.1%，规上工业增加值增长8.1%。\n"
)


def test_documents_without_region_or_date_are_counted(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "bare.txt").write_text("今年力争新招引科技型企业100家。", encoding="utf-8")
    (tmp_path / "in" / "report.txt").write_text(REPORT_HEAD, encoding="utf-8")
    summary = run_extract([tmp_path / "in"], tmp_path / "out", validate=False)
    written = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    # the report names its province and delivery date; the bare sentence names neither
    assert summary.documents_without_region == written["documents_without_region"] == 1
    assert summary.documents_without_date == written["documents_without_date"] == 1
    # the bare target has no region; the report's records are keyed where the taxonomy knows them
    assert 1 <= written["records_not_keyed"] < written["records"]
