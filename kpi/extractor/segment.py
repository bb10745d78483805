"""Stage 2 — the layout of a normalised document: sentences (split at 。！？ and line breaks, never at
commas or semicolons: gold contexts cross ；, and a list of targets after one cue is one sentence),
spans that must not yield records (page furniture, navigation lists, contact numbers, mojibake runs)
and datelines (a date inside the page applies to the text after it)."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from kpi.adapters.dates import parse_date
from kpi.extractor import reach
from kpi.first_chars import class_led
from kpi.vocabulary import Vocabulary, load

# A line break, or a run of 。!?！？ (opening with one class, so the engine skips to the next one).
_BOUNDARY = re.compile(class_led([("\n", ""), ("。!?！？", "[。!?！？]*")]))
_NEWLINE = re.compile(r"\n")
_LINE = re.compile(r"[^\n]*")


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    text: str
    line_start: int  # offset of the line (paragraph) the sentence is in


@dataclass(slots=True)
class Layout:
    """Sentence boundaries, masked spans and datelines of a normalised text. Sentences are built on
    demand (most of a document holds no quantity), then cached."""

    text: str
    boundaries: list[int]  # offsets where a sentence may start: 0 and after each 。！？ or line break
    line_starts: list[int]
    masked: list[tuple[int, int]]  # sorted, merged spans no record may come from
    datelines: list[tuple[int, date]]  # (offset, date), in text order
    _cache: dict[int, Sentence] = field(default_factory=dict)

    def sentence_at(self, pos: int) -> Sentence:
        """The sentence holding offset `pos`."""
        k = bisect.bisect_right(self.boundaries, pos) - 1
        start = self.boundaries[k]
        cached = self._cache.get(start)
        if cached is not None:
            return cached
        end = self.boundaries[k + 1] if k + 1 < len(self.boundaries) else len(self.text)
        s, e, t = start, end, self.text
        while s < e and t[s].isspace():
            s += 1
        while e > s and t[e - 1].isspace():
            e -= 1
        line = self.line_starts[bisect.bisect_right(self.line_starts, start) - 1]
        sentence = Sentence(s, e, t[s:e], line)
        self._cache[start] = sentence
        return sentence

    def paragraph_openers(self) -> list[Sentence]:
        """The first sentence of every non-empty line (where headings and section openers stand)."""
        out = []
        for ls in self.line_starts:
            k = bisect.bisect_left(self.boundaries, ls)
            if k < len(self.boundaries):
                sentence = self.sentence_at(self.boundaries[k])
                if sentence.text:
                    out.append(sentence)
        return out

    def is_masked(self, start: int, end: int) -> bool:
        """True when [start, end) overlaps a masked span."""
        k = bisect.bisect_right(self.masked, (end, end)) - 1
        while k >= 0:
            s, e = self.masked[k]
            if e <= start:
                return False
            if s < end:
                return True
            k -= 1
        return False

    def date_before(self, offset: int) -> date | None:
        k = bisect.bisect_right(self.datelines, (offset, date.max)) - 1
        return self.datelines[k][1] if k >= 0 else None


@cache
def _mojibake() -> re.Pattern[str]:
    """Runs of three or more rare characters (outside GB2312 level 1), '?', U+FFFD or Latin letters with
    diacritics, at most two ordinary characters apart: what UTF-8 read as GBK (or the reverse) looks like."""
    common = []
    for cp in range(0x4E00, 0xA000):
        try:
            b = chr(cp).encode("gb2312")
        except UnicodeEncodeError:
            continue
        if 0xB0 <= b[0] <= 0xD7:
            common.append(cp)
    ranges, prev = [], 0x4E00 - 1
    for cp in common + [0xA000]:
        if cp != prev + 1 and prev + 1 <= cp - 1:
            ranges.append(f"\\u{prev + 1:04x}-\\u{cp - 1:04x}" if cp - 1 > prev + 1 else f"\\u{prev + 1:04x}")
        prev = cp
    body = "".join(ranges) + r"?\ufffd\u00c0-\u024f\ue000-\uf8ff"
    rare, other = f"[{body}]", f"[^{body}\n]"  # disjoint classes: the match cannot backtrack
    return re.compile(rf"{rare}(?:{other}{{0,2}}{rare}){{2,}}")


def _line_furniture(text: str, v: Vocabulary) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    in_list = False
    for m in _LINE.finditer(text):
        line = m.group(0)
        stripped = line.strip()
        if not stripped:
            continue
        if in_list and len(stripped) > v.list_max_item_chars:
            in_list = False
        if len(stripped) <= reach.LIST_HEADING_MAX and any(h in stripped for h in v.list_headings):
            in_list = True
        short = len(stripped) <= v.furniture_max_line_chars
        if in_list or (short and any(p.search(line) for p in v.furniture_lines)):
            spans.append((m.start(), m.end()))
    return spans


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


# Every dateline holds a year 19xx/20xx, an RFC 822 date (a year and a time) or `date:`; only lines
# with one are searched (opening with one class, so the engine skips to the next 1, 2 or d).
_DATE_HINT = re.compile(
    class_led([("1", r"9\d\d[-/.年]"), ("2", r"0\d\d[-/.年]"), ("12", r"\d{3} \d\d:\d\d"), ("d", "ate:")])
)


def _datelines(text: str, v: Vocabulary) -> list[tuple[int, date]]:
    found: dict[int, date] = {}
    line_end = -1
    for hint in _DATE_HINT.finditer(text):
        if hint.start() < line_end:
            continue
        line_start = text.rfind("\n", 0, hint.start()) + 1
        line_end = text.find("\n", hint.start())
        line_end = len(text) if line_end == -1 else line_end
        if line_end - line_start > reach.DATELINE_LINE_MAX:  # a paragraph of the article, not a dateline
            continue
        for pattern in v.datelines:
            for m in pattern.finditer(text, line_start, line_end):
                d = parse_date(m.group("date").strip())
                if d is not None and 1949 < d.year < 2100:
                    found.setdefault(m.start(), d)
    return sorted(found.items())


def layout(text: str) -> Layout:
    v = load()
    masked = _line_furniture(text, v)
    masked += [m.span() for m in v.inline_furniture.finditer(text)]
    masked += [m.span() for m in _mojibake().finditer(text)]
    boundaries = [0] + [m.end() for m in _BOUNDARY.finditer(text)]
    line_starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
    return Layout(text, boundaries, line_starts, _merge(masked), _datelines(text, v))
