"""Bytes -> text for every input (SCHEMA.md §2): BOM -> UTF-8 -> GB18030 -> Big5-HKSCS, leniently.

`decode` tries, in order:

1. a byte-order mark (UTF-8, UTF-32, UTF-16): the mark decides the codec;
2. strict UTF-8;
3. UTF-8 with a few undecodable bytes, when the rest is unmistakably UTF-8 (many valid multi-byte
   characters, at least ten for each bad byte) — otherwise a UTF-8 report whose last character was
   cut would pass as strict GB18030 mojibake;
4. strict GB18030 and Big5-HKSCS, kept only when the result is plausible Chinese text;
5. all three codecs leniently, U+FFFD put in for each undecodable sequence; the plausible decoding
   with the fewest replaced bytes wins.

A lenient decoding is accepted when its replaced bytes are at most `MAX_REPLACED_SHARE` (1 %) of the
input, or at most `MIN_REPLACED_ALLOWANCE` bytes (one cut character) in a short input, and always
less than half of it; decoding stops as soon as more are found, so junk is rejected cheaply. Every
decoding must also look like text (no NUL, few control characters) and, for the Chinese codecs, like
Chinese (mostly common characters). Anything else is a `DecodeFailure` (a `decode_error` dead letter).
"""

from __future__ import annotations

import codecs
import functools
import itertools
import re
import threading
import unicodedata
from dataclasses import dataclass

MAX_REPLACED_SHARE = 0.01  # lenient decoding: at most 1 % of the bytes replaced ...
MIN_REPLACED_ALLOWANCE = 4  # ... or a cut character's worth in a short input
_UTF8_EVIDENCE = 10  # step 3: valid characters beyond U+07FF per replaced byte

_BOMS = (  # UTF-32 before UTF-16: the UTF-32-LE mark starts with the UTF-16-LE one
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
_CHINESE = ("gb18030", "big5hkscs")
_NAMES = {"utf-8": "UTF-8", "gb18030": "GB18030", "big5hkscs": "Big5-HKSCS"}

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # C0/C1 controls but \t \n \v \f \r
_NEUTRAL = re.compile(
    r"[\s\x20-\x7e\xa0-\xff\u2000-\u206f\u2150-\u218f\u2460-\u24ff\u25a0-\u25ff"
    r"\u3000-\u303f\uff01-\uff5e\ufffd]"
)  # ASCII, Latin-1, punctuation, numbers, shapes, the replacement character
_WIDE = re.compile(r"[\u0800-\ufffc\U00010000-\U0010ffff]")  # three- and four-byte UTF-8 characters
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_SAMPLE = 100_000  # characters scored when choosing between GB18030 and Big5-HKSCS
_TIE_MIN_BYTES = 32  # below this charset-normalizer guesses worse than the GB18030-first order


class DecodeFailure(ValueError):
    """The bytes are not text in UTF-8, GB18030 or Big5-HKSCS; the message says where."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """A decoding: the text, its codec, and how many input bytes became U+FFFD."""

    text: str
    codec: str
    replaced_bytes: int = 0


def decode(data: bytes) -> Decoded:
    """The text of `data` by the order above, else DecodeFailure (one readable sentence)."""
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            return _with_bom(data, codec, name)
    try:
        return Decoded(_plausible_or_fail(data.decode("utf-8"), data, "utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        utf8_at = exc.start
    nearly = _lenient(data, "utf-8")
    if nearly is not None and _looks_utf8(nearly):
        return Decoded(_plausible_or_fail(nearly.text, data, "utf-8"), "utf-8", nearly.replaced_bytes)
    strict, furthest, garbled = _strict_chinese(data, utf8_at)
    if strict:
        return _choose(strict, data)
    lenient, lenient_garbled = _lenient_candidates(data, nearly)
    if lenient:
        return _fewest_replaced(lenient, data)
    if garbled or lenient_garbled:
        why = garbled or lenient_garbled
        raise DecodeFailure(f"not UTF-8 (at byte {utf8_at:,}), GB18030 or Big5-HKSCS text ({why})")
    raise DecodeFailure(f"not UTF-8, GB18030 or Big5-HKSCS at byte {furthest:,}: {_undecodable(data)}")


def decode_bytes(data: bytes) -> str:
    """The text of `data` (see `decode`), without the count of replaced bytes."""
    return decode(data).text


# --- the steps -----------------------------------------------------------------------------------


def _looks_utf8(decoded: Decoded) -> bool:
    """Enough valid characters beyond U+07FF (three or four UTF-8 bytes each) per replaced byte."""
    needed = _UTF8_EVIDENCE * decoded.replaced_bytes
    return sum(1 for _ in itertools.islice(_WIDE.finditer(decoded.text), needed)) >= needed


def _with_bom(data: bytes, codec: str, name: str) -> Decoded:
    """The decoding the byte-order mark names; binary data that happens to start like one (many
    private-use or unassigned characters) is a DecodeFailure."""
    try:
        decoded: Decoded | None = Decoded(data.decode(codec), codec)
    except UnicodeDecodeError:
        decoded = _lenient(data, codec)
    if decoded is None:
        raise DecodeFailure(f"not {name} text despite its byte-order mark: {_undecodable(data)}")
    _plausible_or_fail(decoded.text, data, codec)
    if odd := _odd(decoded.text[:_SAMPLE]):
        raise DecodeFailure(f"not {name} text despite its byte-order mark: {odd}")
    return decoded


def _strict_chinese(data: bytes, utf8_at: int) -> tuple[list[Decoded], int, str]:
    """Strict GB18030 / Big5-HKSCS decodings that look like Chinese text (raising for binary data),
    the furthest byte either codec reached, and why the decodings that do not look right were left out."""
    candidates, furthest = [], utf8_at
    for codec in _CHINESE:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            furthest = max(furthest, exc.start)
            continue
        candidates.append(Decoded(text, codec))
    for candidate in candidates:  # control characters are the same bytes in every codec
        _plausible_or_fail(candidate.text, data, candidate.codec)
    plausible = [c for c in candidates if _garble(c.text) is None]
    why = "; ".join(f"as {_NAMES[c.codec]}: {_garble(c.text)}" for c in candidates if c not in plausible)
    return plausible, furthest, why


def _lenient_candidates(data: bytes, utf8: Decoded | None) -> tuple[list[Decoded], str]:
    """Lenient decodings within the allowance that are plausible text (raising for binary data), and
    why those that do not look like Chinese text were left out."""
    found = [c for c in (utf8, *(_lenient(data, c) for c in _CHINESE)) if c is not None]
    for candidate in found:
        _plausible_or_fail(candidate.text, data, candidate.codec)
    why = {c.codec: _garble(c.text) for c in found if c.codec != "utf-8"}
    kept = [c for c in found if not why.get(c.codec)]
    return kept, "; ".join(f"as {_NAMES[codec]} with U+FFFD: {w}" for codec, w in why.items() if w)


def _fewest_replaced(candidates: list[Decoded], data: bytes) -> Decoded:
    """The candidate with the fewest replaced bytes; on a tie UTF-8, else the likelier Chinese codec."""
    fewest = min(c.replaced_bytes for c in candidates)
    best = [c for c in candidates if c.replaced_bytes == fewest]
    return best[0] if len(best) == 1 or best[0].codec == "utf-8" else _choose(best, data)


def _undecodable(data: bytes) -> str:
    """Why a lenient decoding failed: more bytes than `_allowance` cannot be decoded."""
    return f"more than {_allowance(len(data)):,} of its {len(data):,} bytes cannot be decoded"


# --- lenient decoding ----------------------------------------------------------------------------

_tally = threading.local()  # bytes replaced so far by the decoding running in this thread, and its limit


class _TooMany(Exception):
    """More bytes than allowed cannot be decoded: stop decoding (it is not text)."""


def _count_and_replace(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _tally.replaced += exc.end - exc.start
    if _tally.replaced > _tally.limit:
        raise _TooMany
    return "\ufffd", exc.end


codecs.register_error("kpi.count_replace", _count_and_replace)


def _lenient(data: bytes, codec: str) -> Decoded | None:
    """`data` decoded with U+FFFD for each undecodable sequence, counting the bytes replaced; None as
    soon as more bytes than `_allowance` cannot be decoded (so junk costs little)."""
    _tally.replaced, _tally.limit = 0, _allowance(len(data))
    try:
        text = data.decode(codec, "kpi.count_replace")
    except _TooMany:
        return None
    return Decoded(text, codec, _tally.replaced)


def _allowance(size: int) -> int:
    """Bytes a lenient decoding may replace (see the module's docstring): 1 % of `size`, at least
    a cut character's worth, always less than half."""
    return min(max(int(size * MAX_REPLACED_SHARE), MIN_REPLACED_ALLOWANCE), (size - 1) // 2)


# --- plausibility --------------------------------------------------------------------------------


def _plausible_or_fail(text: str, data: bytes, codec: str) -> str:
    """`text` unless it looks binary (a NUL, or more than one control character in a thousand)."""
    controls = _CONTROL.findall(text)
    if "\x00" in controls or len(controls) > len(text) // 1000:
        first = _CONTROL.search(text)
        assert first is not None
        at = _byte_offset(text[: first.start()], data, codec)
        raise DecodeFailure(
            f"binary data, not text: control character U+{ord(first.group()):04X} at byte {at:,}"
        )
    return text


def _byte_offset(prefix: str, data: bytes, codec: str) -> int:
    """Roughly where `prefix` ends in `data` (exact for valid input)."""
    for bom, bom_codec, _ in _BOMS:
        if data.startswith(bom) and bom_codec == codec:
            width = {"utf-8-sig": "utf-8", "utf-32": "utf-32-le", "utf-16": "utf-16-le"}[codec]
            return len(bom) + len(prefix.encode(width, "replace"))
    return len(prefix.encode(codec, "replace"))


def _garble(text: str) -> str | None:
    """Why `text` looks like a wrong decoding (private-use/unassigned or mostly rare characters), or None."""
    sample = text[:_SAMPLE]
    if odd := _odd(sample):
        return odd
    common, scored = _commonness(sample)
    if scored >= 8 and common * 2 < scored:
        return f"only {common} of {scored} characters are common Chinese characters"
    return None


def _odd(sample: str) -> str | None:
    """Why `sample` is no text: more than 1 % private-use or unassigned characters; else None."""
    odd = sum(1 for ch in sample if ord(ch) > 0x7E and unicodedata.category(ch) in ("Co", "Cn", "Cs"))
    return f"{odd} private-use or unassigned characters" if odd > len(sample) // 100 else None


def _commonness(text: str) -> tuple[int, int]:
    """(common Han characters, scored characters): everything but ASCII, punctuation and the like."""
    common_set = _common_han()
    rest = _NEUTRAL.sub("", text)
    return sum(1 for ch in rest if ch in common_set), len(rest)


@functools.cache
def _common_han() -> frozenset[str]:
    """Han characters of GB2312 and of Big5's level 1 (the frequent ones) — built from the codecs."""
    pairs = [(a, b, "gb2312") for a in range(0xB0, 0xF8) for b in range(0xA1, 0xFF)]
    pairs += [(a, b, "big5") for a in range(0xA4, 0xC7) for b in (*range(0x40, 0x7F), *range(0xA1, 0xFF))]
    chars = set()
    for a, b, codec in pairs:
        try:
            chars.add(bytes((a, b)).decode(codec))
        except UnicodeDecodeError:
            continue
    return frozenset(ch for ch in chars if _HAN.match(ch))


def _choose(plausible: list[Decoded], data: bytes) -> Decoded:
    """One of one or two plausible Chinese decodings: more common characters wins; on a tie
    charset-normalizer may pick Big5-HKSCS."""
    if len(plausible) == 1:
        return plausible[0]
    gb_text, big5_text = (next(c for c in plausible if c.codec == codec) for codec in _CHINESE)
    gb, big5 = (_share(_commonness(c.text[:_SAMPLE])) for c in (gb_text, big5_text))
    if abs(gb - big5) > 0.05 or len(data) < _TIE_MIN_BYTES:
        return big5_text if big5 > gb else gb_text
    import charset_normalizer  # only for the rare tie: keep `import kpi` fast

    best = charset_normalizer.from_bytes(data[: 4 * _SAMPLE], cp_isolation=list(_CHINESE)).best()
    return big5_text if best is not None and best.encoding == "big5hkscs" and big5 >= gb else gb_text


def _share(counts: tuple[int, int]) -> float:
    common, scored = counts
    return common / scored if scored else 1.0
