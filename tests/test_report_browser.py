"""report.html in a real headless browser (Debian's chromium): the overview, the charts and the table
are there, the table sorts and filters, the page makes no network request and fits its window, for one
region and for 31 provinces.

Network requests are read from Chromium's net log with every host name resolving to nothing: requests of
the page carry its (file, so opaque: "null") origin as initiator, Chromium's own background requests
"not an origin". A probe page that does load remote resources proves the check catches them.
Layout is measured in the page itself (a script appended to a copy writes the sizes into the DOM that
`--dump-dom` prints). Browser tests skip when no chromium is installed (.ci/run installs it); the tests
of the page's text run everywhere.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from record_builders import percent_record
from tracking_country import country_table, provinces

from kpi.record import Record, records_to_arrow
from kpi.tracking import build_tracking, write_report

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium installed (apt-get install chromium)"
)

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


def _rec(kind: str, value: float, doc: str, pub: str, year: int, iid: str, at: int, **kw: Any) -> Record:
    return percent_record(kind, value, doc=doc, published=pub, year=year, at=at, indicator_id=iid, **kw)


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
        if tag == "table":
            self._section = "table" if ("id", "tracking") in attrs else ""
        if tag == "tbody" and self._section == "table":
            self._section = "body"
        if tag == "tr" and self._section == "body":
            self._cell = -1
        if tag == "td" and self._section == "body":
            self._cell += 1

    def handle_data(self, data: str) -> None:
        if self._section == "body" and self._cell == 2 and data.strip():
            self.years.append(data.strip())


@needs_chromium
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
    assert 'id="tracking"' in dom and len(census.years) == tracking.height
    assert 'id="summary"' in dom and "met" in dom


@needs_chromium
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


@needs_chromium
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


@needs_chromium
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


# --- a whole country: 31 provinces -----------------------------------------------------------------


@pytest.fixture(scope="module")
def country(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame]:
    tracking, records = country_table(provinces())
    page = write_report(tracking, tmp_path_factory.mktemp("country") / "report.html", records=records)
    return page, tracking


@pytest.fixture(scope="module")
def one_region(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame]:
    tracking, records = country_table(["湖南省"])
    page = write_report(tracking, tmp_path_factory.mktemp("one") / "report.html", records=records)
    return page, tracking


class _Links(HTMLParser):
    """Ids, links and the text of the page's SVG charts."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: dict[str, list[str]] = {}
        self.svg_text: list[str] = []
        self._where: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if a.get("class") in ("matrix", "index"):
            self._where.append(a["class"] or "")
        if tag == "svg":
            self._where.append("svg")
        if tag == "a" and (a.get("href") or "").startswith("#") and self._where:
            self.hrefs.setdefault(self._where[-1], []).append((a["href"] or "")[1:])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("table", "ol", "svg") and self._where:
            self._where.pop()

    def handle_data(self, data: str) -> None:
        if self._where and self._where[-1] == "svg" and data.strip():
            self.svg_text.append(data.strip())


def test_country_page_is_light_and_every_province_reachable(country: tuple[Path, pl.DataFrame]) -> None:
    page, tracking = country
    text = page.read_text(encoding="utf-8")
    assert page.stat().st_size <= 2_000_000, f"{page.stat().st_size:,} bytes"
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/", text, re.IGNORECASE)
    assert re.search(
        r'font-family: "Noto Sans CJK SC",.*"Source Han Sans SC",.*"PingFang SC",.*"Microsoft YaHei",', text
    )
    links = _Links()
    links.feed(text)
    regions = tracking["region"].unique().to_list()
    assert len(regions) == 31 and len(set(links.hrefs["index"])) == 31  # the index: every province
    assert set(links.hrefs["index"]) <= links.ids and set(links.hrefs["matrix"]) <= links.ids  # clicks land
    assert text.count('<figure class="chart"') == tracking.select("region", "indicator_id").n_unique()
    assert "<path d=" not in text and "glyph" not in text.lower()  # real text, no glyph outlines
    for said in links.svg_text:  # tick labels, years, status words: no offset notation, no unit codes
        assert not re.search(r"\de[+-]?\d|×10", said), said
    for words in ("亿斤", "万人", "万亩", "亿元", "万家", "%"):
        assert f'<span class="unit">{words}</span>' in text, words
    assert '<text class="q"' in text  # unclear targets are marked
    assert "今年经济社会发展的主要预期目标是" in text and "过去一年" in text  # both sentences


def _measured(
    page: Path, tmp: Path, width: int, actions: str = ""
) -> tuple[dict[str, Any], str, list[dict[str, str]]]:
    """Layout numbers of the page in a window `width` wide, after `actions` (script) ran."""
    measure = """<script>
    ACTIONS
    const d = document.documentElement, vw = d.clientWidth;
    const visible = [...document.querySelectorAll(".wrap[data-year]")].filter(w => !w.hidden);
    const outside = [...document.body.querySelectorAll("*")].filter(e => !e.closest(".wrap, svg, script")
      && e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().right > vw + 1);
    const m = {innerWidth: window.innerWidth, clientWidth: vw, scrollWidth: d.scrollWidth,
      years: visible.map(w => w.dataset.year), matrixRows: visible.map(w => w.querySelectorAll("tbody tr").length),
      outside: outside.slice(0, 5).map(e => e.tagName + "." + e.className),
      shownRows: [...document.querySelectorAll("#tracking tbody tr")].filter(r => !r.hidden).length,
      charts: document.querySelectorAll("figure.chart svg text").length};
    const pre = document.createElement("pre"); pre.id = "measured"; pre.textContent = JSON.stringify(m);
    document.body.appendChild(pre);
    </script>""".replace("ACTIONS", actions)
    probe = tmp / f"measure-{width}-{len(list(tmp.glob('measure-*')))}.html"
    probe.write_text(
        page.read_text(encoding="utf-8").replace("</body>", measure + "</body>"), encoding="utf-8"
    )
    dom, requests = _chromium(probe.as_uri(), tmp, f"--window-size={width},900")
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom)
    assert found, dom[-500:]
    return json.loads(html.unescape(found.group(1))), dom, requests


@needs_chromium
@pytest.mark.parametrize("which", ["country", "one_region"])
def test_page_fits_its_window_without_request(
    which: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    page, tracking = request.getfixturevalue(which)
    regions = tracking["region"].n_unique()
    for width in (1280, 500):  # 500: the narrowest window headless Chromium opens
        m, _, requests = _measured(page, tmp_path, width)
        assert requests == []
        assert m["innerWidth"] == width, m
        assert m["scrollWidth"] <= m["clientWidth"], m  # no horizontal scroll of the page
        assert m["outside"] == [], m
        assert m["years"] == ["2025"] and m["matrixRows"] == [regions], m  # one row per province
        assert m["shownRows"] == tracking.height and m["charts"] > 0


@needs_chromium
def test_year_buttons_and_filters(country: tuple[Path, pl.DataFrame], tmp_path: Path) -> None:
    page, tracking = country
    actions = """
    document.querySelector('.years button[data-year="2026"]').click();
    const pick = (col, v) => { const s = document.querySelector(`.filters select[data-col=${col}]`);
      s.value = v; s.dispatchEvent(new Event("change")); };
    pick("region", "湖南省"); pick("status", "met");
    """
    m, dom, requests = _measured(page, tmp_path, 1280, actions)
    want = tracking.filter((pl.col("region") == "湖南省") & (pl.col("status") == "met")).height
    assert requests == [] and m["years"] == ["2026"] and m["matrixRows"] == [31]
    assert 0 < m["shownRows"] == want, m
    assert f"{want} of {tracking.height} rows" in dom


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


@needs_chromium
@pytest.mark.parametrize("which", ["country", "one_region"])
def test_screenshots(which: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Screenshots at desktop and phone widths (kept under tmp for a look: pytest --basetemp)."""
    page, _ = request.getfixturevalue(which)
    for width, height in ((1280, 1800), (500, 1400)):
        shot = tmp_path / f"{which}-{width}.png"
        cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars",
               f"--window-size={width},{height}", f"--screenshot={shot}", page.as_uri()]  # fmt: skip
        subprocess.run(cmd, capture_output=True, timeout=120, check=True)  # type: ignore[list-item]
        assert _png_size(shot) == (width, height) and shot.stat().st_size > 20_000
