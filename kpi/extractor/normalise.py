"""Stage 1 — normalise text as crawls deliver it, keeping a map back to the raw offsets.

One regex pass removes markup and noise (HTML tags and entities, Markdown images and links, zero-width
characters, pinyin annotations such as 經(jīng)), with script/style blocks and comments cut at their close
(found by str.find, so an unclosed one costs linear time); a translate table folds full-width ASCII; OpenCC
converts traditional characters. Records index the *normalised* text (`span_start/span_end`);
`NormalisedText.raw_offset` maps such an offset back to the raw input."""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from kpi.adapters.script import to_simplified

_PINYIN_LETTERS = "a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü"
_BLOCK_TAGS = "script|style|noscript|head|nav|select|button|svg"  # non-text blocks, dropped whole
# Everything but the blocks and comments, whose ends are found with str.find (see `_noise`).
_NOISE = re.compile(
    r"""
    (?=[<!\[\]&(（\r\u200b-\u200f\u2060\ufeff\u00ad])                 # every alternative starts so
    (?:(?P<drop_cdata><!\[CDATA\[|\]\]>)                            # CDATA markers
  | (?P<newline_tag>(?i:</?(?:br|p|div|li|ul|ol|tr|td|th|table|h[1-6]|title|item|description|pubDate
                       |section|article|header|footer|blockquote|entry|summary|content))\b[^<>]{0,500}>)
  | (?P<md_image>!\[[^\]\n]{0,300}\]\([^)\n]{0,1000}\))             # Markdown image
  | (?P<md_link>\[(?P<link_text>[^\]\n]{0,300})\]\([^)\n]{0,1000}\))  # Markdown link: keep its text
  | (?P<drop_tag><[a-zA-Z/!][^<>\n]{0,1000}>)                       # any other tag, <http://…>
  | (?P<entity>&(?:[a-zA-Z]{2,8}|\#\d{2,6}|\#x[0-9a-fA-F]{2,5});)   # HTML entities
  | (?P<drop_zw>[\u200b-\u200f\u2060\ufeff\u00ad]+)                 # zero-width characters
  | (?P<drop_pinyin>(?<=[\u4e00-\u9fff])[(（]["""
    + _PINYIN_LETTERS
    + r"""]{1,7}[)）])  # 經(jīng)
  | (?P<newline_cr>\r\n?))
    """,
    re.VERBOSE | re.DOTALL,
)
# `<script …>…</script>` and `<!--…-->`, dropped whole, win over `_NOISE` where both could start. As one
# regex (`<!--.*?-->`) an opening with no close after it scans to the end of the text, at each opening:
# quadratic (20,000 × "<!--" took seconds). So the openings are found here, and a close with str.find
# only when one exists (known from the last close of each kind); an unclosed opening is left to `_NOISE`.
_OPENING = re.compile(rf"<(?:(?i:(?P<tag>{_BLOCK_TAGS}))\b|(?P<comment>!--))")
_CLOSING = re.compile(rf"</(?i:(?P<tag>{_BLOCK_TAGS}))\s*>")


@cache
def _closing(tag: str) -> re.Pattern[str]:
    return re.compile(rf"</{tag}\s*>", re.IGNORECASE)


class _Blocks:
    """The closed blocks and comments of a text, asked for in text order."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.openings = _OPENING.finditer(raw) if "<" in raw else iter(())
        self.last_close = (
            {m.group("tag").lower(): m.start() for m in _CLOSING.finditer(raw)} if "</" in raw else {}
        )
        self.last_comment_close = raw.rfind("-->")
        self.gt_from, self.gt = len(raw) + 1, -1  # gt: raw.find(">", gt_from)
        self.pending: tuple[int, int] | None = None

    def next_from(self, pos: int) -> tuple[int, int] | None:
        """(start, end) of the first closed block or comment starting at or after `pos`."""
        if self.pending is not None and self.pending[0] >= pos:
            return self.pending
        self.pending = None
        raw = self.raw
        for m in self.openings:
            start = m.start()
            if start < pos:
                continue
            if m.group("comment"):
                if self.last_comment_close < start + 4:
                    continue  # no --> after it: not a comment
                end = raw.find("-->", start + 4) + 3
            else:
                if not (self.gt_from <= start and (self.gt < 0 or start <= self.gt)):
                    self.gt_from, self.gt = start, raw.find(">", start)  # once per '>', not per opening
                tag = m.group("tag").lower()
                if self.gt < 0 or self.last_close.get(tag, -1) <= self.gt:
                    continue  # no </tag> after it: not a block
                end = _closing(tag).search(raw, self.gt + 1).end()  # type: ignore[union-attr]
            self.pending = (start, end)
            return self.pending
        return None


def _noise(raw: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, replacement) of every edit, in text order: what one regex with the blocks and
    comments first among its alternatives would find, in linear time."""
    blocks = _Blocks(raw)
    pos = 0
    m = _NOISE.search(raw)
    while True:
        block = blocks.next_from(pos)
        if m is not None and m.start() < pos:
            m = _NOISE.search(raw, pos)
        if block is not None and (m is None or block[0] <= m.start()):
            yield block[0], block[1], ""
            pos = block[1]
        elif m is not None:
            yield m.start(), m.end(), _replacement(m)
            pos = m.end()
        else:
            return


# Full-width ASCII (！ to ～) -> ASCII; ideographic and no-break spaces -> space.
_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_WIDTH.update({0x3000: 0x20, 0x00A0: 0x20, 0x2002: 0x20, 0x2003: 0x20, 0x2009: 0x20})


_FULL_WIDTH = re.compile("[" + "".join(re.escape(chr(c)) for c in _WIDTH) + "]+")


def _narrow(m: re.Match[str]) -> str:
    return m.group(0).translate(_WIDTH)


# The punctuation of Chinese prose, one in ten characters of a report: replaced by str.replace first, as a
# regex callback for each comma would cost more than the rest of the stage.
_PROSE_MARKS = tuple((c, chr(_WIDTH[ord(c)])) for c in "，；：（）！？\u3000")


def _narrow_all(text: str) -> str:
    for wide, narrow in _PROSE_MARKS:
        text = text.replace(wide, narrow)
    return _FULL_WIDTH.sub(_narrow, text)


@dataclass(frozen=True, slots=True)
class NormalisedText:
    """Normalised text plus anchors (normalised offset, raw offset) at every edit."""

    text: str
    raw: str
    _out: list[int] = field(default_factory=list, repr=False)
    _in: list[int] = field(default_factory=list, repr=False)

    def raw_offset(self, i: int) -> int:
        """The raw offset of normalised offset `i` (exact outside edits; an edit maps to its start)."""
        k = bisect.bisect_right(self._out, i) - 1
        if k < 0:
            return i
        return self._in[k] + (i - self._out[k])


def _replacement(m: re.Match[str]) -> str:
    kind = m.lastgroup
    if kind in ("newline_tag", "newline_cr"):
        return "\n"
    if kind == "md_link":
        return m.group("link_text")
    if kind == "entity":
        return html.unescape(m.group(0)).translate(_WIDTH)
    return ""


def normalise(raw: str) -> NormalisedText:
    """Normalise `raw`; the result has the same length as `raw` wherever nothing was removed."""
    parts: list[str] = []
    out_anchor: list[int] = []
    in_anchor: list[int] = []
    pos = out = 0
    for start, end, rep in _noise(raw):
        parts.append(raw[pos:start])
        out += start - pos
        parts.append(rep)
        out_anchor.append(out)
        in_anchor.append(start)
        out += len(rep)
        out_anchor.append(out)
        in_anchor.append(end)
        pos = end
    parts.append(raw[pos:])
    text = _narrow_all("".join(parts))
    simplified = to_simplified(text)
    if len(simplified) != len(text):  # OpenCC changed a length (rare phrase): convert line by line
        simplified = "\n".join(
            line if len(s := to_simplified(line)) != len(line) else s for line in text.split("\n")
        )
    return NormalisedText(simplified, raw, out_anchor, in_anchor)
