"""The style sheet and the script of `report.html`, inlined in the page (it makes no network request).

The font stack names the common CJK fonts of Linux, macOS and Windows before the generic family, so
headings and the charts' `<text>` are drawn in a Chinese font wherever one is installed.
"""

from __future__ import annotations

from kpi.tracking.chart import STATUS_COLOURS

FONTS = (
    '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "PingFang SC", '
    '"Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", system-ui, sans-serif'
)
SYMBOLS = {"met": "✓", "missed": "✗", "unclear": "?", "pending": "…"}

_CSS = """
* { box-sizing: border-box; }
body { font-family: FONTS; margin: 0 auto; padding: 1rem 1.2rem 3rem; max-width: 1400px; color: #212121;
  line-height: 1.45; }
h1 { font-size: 1.4rem; margin: .2rem 0 .4rem; } h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; }
a { color: #0d47a1; } nav.top a { margin-right: 1rem; }
.legend span { margin-right: .9rem; white-space: nowrap; }
.sw { display: inline-block; width: .9em; height: .9em; vertical-align: -.1em; margin-right: .25em; border-radius: 2px; }
.years button { font: inherit; margin: 0 .3rem .4rem 0; padding: .1rem .6rem; border: 1px solid #90a4ae;
  background: #fff; border-radius: 3px; cursor: pointer; }
.years button[aria-pressed=true] { background: #263238; color: #fff; }
.wrap { max-width: 100%; overflow-x: auto; }
table.matrix { border-collapse: separate; border-spacing: 2px; font-size: .8rem; }
.matrix th { font-weight: 500; }
.matrix thead th { vertical-align: bottom; padding: 0; }
.matrix thead th span { display: inline-block; width: 1em; word-break: break-all; line-height: 1.1;
  padding: .2rem 0; }  /* upright, one character a line (robust where writing-mode meets poor font metrics) */
.matrix tbody th { text-align: right; padding-right: .4rem; white-space: nowrap; }
.matrix td { width: 1.7rem; height: 1.5rem; padding: 0; text-align: center; background: #f5f5f5; border-radius: 2px; }
.matrix td a { display: block; color: #fff; text-decoration: none; font-weight: 700; line-height: 1.5rem; }
ol.index { list-style: none; padding: 0; margin: 0; display: grid; gap: .25rem .8rem;
  grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); }
ol.index li { display: flex; gap: .35rem; align-items: baseline; border-bottom: 1px solid #eceff1; }
ol.index li a { flex: 1; }
.n { min-width: 1.6rem; text-align: right; font-variant-numeric: tabular-nums; font-size: .85rem; }
section.region { border-top: 1px solid #cfd8dc; margin-top: 1.5rem; }
section.region h2 small { font-weight: 400; font-size: .8rem; margin-left: .6rem; }
.multiples { display: grid; gap: .6rem; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); }
figure.chart { margin: 0; border: 1px solid #e0e0e0; border-radius: 3px; padding: .3rem .4rem 0; min-width: 0; }
figure.chart:target, tr:target { outline: 3px solid #ffb300; }
figcaption { font-size: .8rem; display: flex; gap: .4rem; justify-content: space-between; }
figcaption b { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
figcaption .unit { color: #546e7a; white-space: nowrap; }
svg.chart { width: 100%; height: auto; display: block; font-family: FONTS; }
svg .grid { stroke: #e0e0e0; stroke-width: 1; fill: none; }
svg .yt { font-size: 10px; text-anchor: end; fill: #546e7a; }
svg .xt { font-size: 10px; text-anchor: middle; fill: #37474f; }
svg .st { font-size: 9px; text-anchor: middle; }
svg .tg { stroke: #1565c0; stroke-width: 2.5; fill: none; }
svg .cross { stroke: STATUS_unclear; stroke-width: 1.6; fill: none; }
svg .q { font-size: 13px; font-weight: 700; fill: STATUS_unclear; }
.filters { display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: center; margin: .4rem 0 .6rem; font-size: .9rem; }
.filters select { font: inherit; max-width: 14rem; }
table.rows { border-collapse: collapse; font-size: .82rem; width: 100%; }
.rows th, .rows td { border: 1px solid #e0e0e0; padding: .25rem .4rem; text-align: left; vertical-align: top; }
.rows th { background: #f5f5f5; cursor: pointer; user-select: none; white-space: nowrap; }
.rows th[data-order=asc]::after { content: " \\25B2"; } .rows th[data-order=desc]::after { content: " \\25BC"; }
.rows td.side { min-width: 14rem; max-width: 34rem; }
.rows .said { font-weight: 600; } .rows .snt { color: #424242; } .rows mark { background: #fff3c4; }
.rows .doc { color: #757575; font-size: .72rem; word-break: break-all; }
.status { font-weight: 600; white-space: nowrap; } .rows td:first-child { white-space: nowrap; }
@media (max-width: 700px) { body { padding: .6rem; } .rows td.side { min-width: 9rem; } }
"""

_COLOURED = "".join(
    f".s-{s} {{ color: {c}; }} .sw.s-{s}, .matrix td.s-{s} {{ background: {c}; }} svg .s-{s} {{ fill: {c}; }}\n"
    for s, c in STATUS_COLOURS.items()
)
CSS = (_CSS.replace("FONTS", FONTS).replace("STATUS_unclear", STATUS_COLOURS["unclear"])) + _COLOURED

SCRIPT = """
(() => {
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
// overview: one matrix per year, a button shows it
$$(".years button").forEach(b => b.addEventListener("click", () => {
  $$(".years button").forEach(o => o.setAttribute("aria-pressed", o === b));
  $$(".wrap[data-year]").forEach(w => { w.hidden = w.dataset.year !== b.dataset.year; });
}));
// table: filters
const table = document.getElementById("tracking");
if (!table) return;
const selects = $$(".filters select");
const shown = document.getElementById("shown");
const filter = () => {
  const want = selects.map(s => [s.dataset.col, s.value]).filter(([, v]) => v !== "");
  let n = 0;
  for (const tr of table.tBodies[0].rows) {
    const ok = want.every(([c, v]) => tr.dataset[c] === v);
    tr.hidden = !ok; n += ok;
  }
  shown.textContent = n + " of " + table.tBodies[0].rows.length + " rows";
};
selects.forEach(s => s.addEventListener("change", filter));
$$("a[data-region]").forEach(a => a.addEventListener("click", () => {
  selects.forEach(s => { s.value = s.dataset.col === "region" ? a.dataset.region : ""; });
  filter();
}));
// table: sort by a clicked header
$$("th", table.tHead).forEach((th, i) => th.addEventListener("click", () => {
  const body = table.tBodies[0];
  const asc = th.dataset.order !== "asc";
  $$("th", table.tHead).forEach(h => delete h.dataset.order);
  th.dataset.order = asc ? "asc" : "desc";
  const key = tr => tr.cells[i].dataset.sort ?? tr.cells[i].textContent;
  const num = v => (v.trim() === "" ? NaN : Number(v));
  const cmp = (x, y) => {
    const a = num(x), b = num(y);
    return !isNaN(a) && !isNaN(b) ? a - b : x.localeCompare(y, "zh");
  };
  [...body.rows].sort((r, s) => cmp(key(r), key(s)) * (asc ? 1 : -1)).forEach(r => body.appendChild(r));
}));
filter();
})();
"""
