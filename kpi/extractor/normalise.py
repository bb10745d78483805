"""Stage 1 — normalise text as crawls deliver it, keeping a map back to the raw offsets.

One regex pass removes markup and noise (HTML tags and entities, Markdown images and links, zero-width
characters, pinyin annotations such as 經(jīng)); a translate table folds full-width ASCII; OpenCC
converts traditional characters. Records index the *normalised* text (`span_start/span_end`);
`NormalisedText.raw_offset` maps such an offset back to the raw input."""

from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass, field

from kpi.adapters.script import to_simplified

_PINYIN_LETTERS = "a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü"
_NOISE = re.compile(
    r"""
    (?=[<!\[\]&(（\r\u200b-\u200f\u2060\ufeff\u00ad])                 # every alternative starts so
    (?:(?P<drop_block>(?i:<(script|style|noscript|head|nav|select|button|svg)\b[^>]*>.*?</\2\s*>))  # non-text blocks
  | (?P<drop_comment><!--.*?-->)                                    # HTML comments, multi-line too
  | (?P<drop_cdata><!\[CDATA\[|\]\]>)                               # CDATA markers
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

# Full-width ASCII (！ to ～) -> ASCII; ideographic and no-break spaces -> space.
_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_WIDTH.update({0x3000: 0x20, 0x00A0: 0x20, 0x2002: 0x20, 0x2003: 0x20, 0x2009: 0x20})


_FULL_WIDTH = re.compile("[" + "".join(re.escape(chr(c)) for c in _WIDTH) + "]+")


def _narrow(m: re.Match[str]) -> str:
    return m.group(0).translate(_WIDTH)


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
    for m in _NOISE.finditer(raw):
        parts.append(raw[pos : m.start()])
        out += m.start() - pos
        rep = _replacement(m)
        parts.append(rep)
        out_anchor.append(out)
        in_anchor.append(m.start())
        out += len(rep)
        out_anchor.append(out)
        in_anchor.append(m.end())
        pos = m.end()
    parts.append(raw[pos:])
    text = _FULL_WIDTH.sub(_narrow, "".join(parts))
    simplified = to_simplified(text)
    if len(simplified) != len(text):  # OpenCC changed a length (rare phrase): convert line by line
        simplified = "\n".join(
            line if len(s := to_simplified(line)) != len(line) else s for line in text.split("\n")
        )
    return NormalisedText(simplified, raw, out_anchor, in_anchor)
