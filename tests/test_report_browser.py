"""report.html in a real headless browser (Debian's chromium): the charts and the table are there, the
table sorts, and the page makes no network request.

Network requests are read from Chromium's net log with every host name resolving to nothing: requests of
the page carry its (file, so opaque: "null") origin as initiator, Chromium's own background requests
"not an origin". A probe page that does load remote resources proves the check catches them.
Skips when no chromium is installed (.ci/run installs it).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest

from kpi.record import Record, make_record_id, records_to_arrow
from kpi.tracking import build_tracking, write_report

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (apt-get install chromium)")

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def _rec(kind: str, value: float, doc: str, pub: str, year: int, iid: str, at: int, **kw: object) -> Record:
    mention = str(kw.pop("mention", f"{value:g}%"))
    return Record(
        record_id=make_record_id(doc, at, at + len(mention)),
        doc_id=doc,
        published=date.fromisoformat(pub),
        region=str(kw.pop("region", "全国")),
        sentence=mention,
        mention=mention,
        span_start=at,
        span_end=at + len(mention),
        indicator=None,
        indicator_id=iid,
        value=value,
        value_max=kw.pop("value_max", None),
        unit=str(kw.pop("unit", "percent")),
        counter=None,  # type: ignore[arg-type]
        dimension="percent",
        comparator=str(kw.pop("comparator", "=")),
        kind=kind,
        period_year=year,
    )


@pytest.fixture(scope="module")
def tracking() -> pl.DataFrame:
    """Every status, a range, a conflict, two regions, several years."""
    n = [("n2022", "2022-03-05"), ("n2023", "2023-03-05"), ("n2024", "2024-03-05")]
    records = [
        _rec("target", 5.5, *n[0], 2022, "gdp_growth", 0, comparator="~"),
        _rec("actual", 3.0, *n[1], 2022, "gdp_growth", 0),
        _rec("target", 5.0, *n[1], 2023, "gdp_growth", 100, comparator="~"),
        _rec("actual", 5.2, *n[2], 2023, "gdp_growth", 0),
        _rec("target", 5.0, *n[2], 2024, "gdp_growth", 100, comparator="~"),
        _rec("target", 3.0, *n[0], 2022, "cpi_growth", 50, comparator="~"),
        _rec("actual", 2.0, *n[1], 2022, "cpi_growth", 50),
        _rec("actual", 2.1, *n[1], 2022, "cpi_growth", 70),
        _rec(
            "target",
            6.0,
            *n[0],
            2022,
            "industrial_value_added_growth",
            80,
            comparator="between",
            value_max=6.5,
        ),
        _rec("actual", 6.2, *n[1], 2022, "industrial_value_added_growth", 80),
        _rec(
            "target",
            616e8,
            "h2025",
            "2025-01-14",
            2025,
            "grain_output",
            0,
            unit="jin",
            comparator="~",
            mention="616亿斤左右",
            region="湖南省",
        ),
        _rec(
            "actual",
            620e8,
            "h2026",
            "2026-02-03",
            2025,
            "grain_output",
            0,
            unit="jin",
            comparator=">",
            mention="突破620亿斤",
            region="湖南省",
        ),
    ]
    frame = pl.from_arrow(records_to_arrow(records))
    out = build_tracking(frame)  # type: ignore[arg-type]
    assert set(out["status"]) == {"met", "missed", "pending", "unclear"}
    return out


def _chromium(url: str, tmp: Path, *extra: str) -> tuple[str, list[dict[str, str]]]:
    """The DOM after load, and the network requests the page itself started (from the net log)."""
    netlog = tmp / f"net-{len(list(tmp.glob('net-*')))}.json"
    cmd = [
        CHROMIUM,
        *FLAGS,
        f"--user-data-dir={tmp / 'profile'}",
        f"--log-net-log={netlog}",
        *extra,
        "--dump-dom",
        url,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)  # type: ignore[list-item]
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, _page_requests(netlog)


def _page_requests(netlog: Path) -> list[dict[str, str]]:
    log = json.loads(netlog.read_text(encoding="utf-8"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    jobs = [e["params"] for e in log["events"] if e["type"] == start and "url" in e.get("params", {})]
    return [
        j for j in jobs if j.get("initiator") != "not an origin"
    ]  # Chromium's own requests are "not an origin"


class _Census(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}
        self.figures = 0
        self.in_body_row = False
        self.years: list[str] = []
        self._cell = -1
        self._section = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.figures += tag == "figure" and ("class", "chart") in attrs
        if tag == "tbody":
            self._section = "body"
        if tag == "tr" and self._section == "body":
            self._cell = -1
        if tag == "td" and self._section == "body":
            self._cell += 1

    def handle_data(self, data: str) -> None:
        if self._section == "body" and self._cell == 2 and data.strip():
            self.years.append(data.strip())


def test_report_renders_offline_with_charts_and_table(tracking: pl.DataFrame, tmp_path: Path) -> None:
    page = write_report(tracking, tmp_path / "out" / "report.html")
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/", text, re.IGNORECASE), (
        "the page names a network resource"
    )
    dom, requests = _chromium(page.as_uri(), tmp_path)
    assert requests == []
    census = _Census()
    census.feed(dom)
    groups = tracking.select("region", "indicator_id").unique().height
    assert census.figures == groups and census.tags.get("svg", 0) >= groups
    assert census.tags.get("table") == 1 and len(census.years) == tracking.height
    assert 'id="summary"' in dom and "met" in dom


def test_network_check_catches_remote_resources(tmp_path: Path) -> None:
    """Positive control: a page that loads remote resources is caught by the same check."""
    probe = tmp_path / "probe.html"
    probe.write_text(
        '<!DOCTYPE html><img src="http://kpi-probe.invalid/a.png">'
        '<script src="https://kpi-probe.invalid/b.js"></script>',
        encoding="utf-8",
    )
    _, requests = _chromium(probe.as_uri(), tmp_path)
    assert {r["url"] for r in requests} >= {
        "http://kpi-probe.invalid/a.png",
        "https://kpi-probe.invalid/b.js",
    }


def test_table_sorts_by_a_clicked_header(tracking: pl.DataFrame, tmp_path: Path) -> None:
    page = write_report(tracking, tmp_path / "report.html")
    clicks = (
        "<script>const th = document.querySelectorAll('#tracking th')[2]; th.click(); th.click();</script>"
    )
    clicked = tmp_path / "clicked.html"
    clicked.write_text(
        page.read_text(encoding="utf-8").replace("</body>", clicks + "</body>"), encoding="utf-8"
    )
    dom, requests = _chromium(clicked.as_uri(), tmp_path)
    census = _Census()
    census.feed(dom)
    assert census.years == sorted(census.years, key=int, reverse=True)  # two clicks: descending
    assert census.years != sorted(census.years, key=int) and requests == []


def test_screenshot(tracking: pl.DataFrame, tmp_path: Path) -> None:
    page = write_report(tracking, tmp_path / "report.html")
    shot = tmp_path / "shot.png"
    cmd = [
        CHROMIUM,
        *FLAGS,
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,1600",
        f"--screenshot={shot}",
        page.as_uri(),
    ]
    subprocess.run(cmd, capture_output=True, timeout=120, check=True)  # type: ignore[list-item]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
