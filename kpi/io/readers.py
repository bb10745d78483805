"""Inputs of a batch run (SCHEMA.md §4): every input becomes a `Document` or a `DeadLetter` (§2).

`iter_inputs` checks the invocation at once (raising `InputError`, exit code 2, for a missing path, a
folder without inputs, a Parquet file without a text column or a broken manifest) and then yields
lazily, one input at a time, so memory is bounded by the largest document, never by the corpus.
Every input yields exactly one item, so documents in = documents processed + dead letters.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

TEXT_SUFFIXES = (".txt", ".html", ".htm")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
PARQUET_SUFFIXES = (".parquet", ".pq")
STDIN = "-"
RAW_LIMIT = 1 << 20  # dead letters keep the input's bytes up to 1 MB
DEFAULT_MAX_DOC_CHARS = 2_000_000
PARQUET_BATCH_ROWS = 256
_INPUT_COLUMNS = ("id", "doc_id", "text", "published", "region")


class InputError(Exception):
    """The invocation or an input cannot be used at all (exit code 2); the message is one line."""


@dataclass(frozen=True, slots=True)
class Document:
    """One decoded input text with its metadata; `source` names where it came from."""

    doc_id: str
    text: str
    published: date | None
    region: str | None
    source: str


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One input that could not become a document (a row of dead_letter.parquet)."""

    source: str
    doc_id: str | None
    reason_code: str
    detail: str
    raw: bytes | None

    def to_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__slots__}


Item = Document | DeadLetter


# --- decoding ----------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # C0/C1 controls but \t \n \v \f \r
_NEUTRAL = re.compile(
    r"[\s\x20-\x7e\xa0-\xff\u2000-\u206f\u2150-\u218f\u2460-\u24ff\u25a0-\u25ff"
    r"\u3000-\u303f\uff01-\uff5e]"
)  # ASCII, Latin-1, punctuation, numbers, shapes
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_SAMPLE = 100_000  # characters scored when choosing between GB18030 and Big5-HKSCS
_TIE_MIN_BYTES = 32  # below this charset-normalizer guesses worse than the GB18030-first order


class DecodeFailure(ValueError):
    """The bytes are not text in UTF-8, GB18030 or Big5-HKSCS; the message says where."""


def decode_bytes(data: bytes) -> str:
    """UTF-8 (with or without BOM) -> GB18030 -> Big5-HKSCS, else DecodeFailure.

    GB18030 decodes almost any bytes, so a decoding counts only when it is plausible text: no NUL and
    few control characters, (almost) no private-use or unassigned characters, mostly common Han
    characters. When both Chinese codecs are plausible the one with more common characters wins;
    on a tie charset-normalizer may pick Big5-HKSCS.
    """
    try:
        return _plausible_or_fail(data.decode("utf-8-sig"), data, "utf-8")
    except UnicodeDecodeError as exc:
        utf8_at = exc.start
    candidates, furthest = [], utf8_at
    for codec in ("gb18030", "big5hkscs"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            furthest = max(furthest, exc.start)
            continue
        candidates.append((codec, text))
    if not candidates:
        raise DecodeFailure(f"not UTF-8, GB18030 or Big5-HKSCS at byte {furthest:,}")
    for codec, text in candidates:
        _plausible_or_fail(text, data, codec)  # control characters are the same bytes in every codec
    return _choose([(c, t) for c, t in candidates if _garble(t) is None], data, utf8_at, candidates)


def _plausible_or_fail(text: str, data: bytes, codec: str) -> str:
    """`text` unless it looks binary (a NUL, or more than one control character in a thousand)."""
    controls = _CONTROL.findall(text)
    if "\x00" in controls or len(controls) > len(text) // 1000:
        first = _CONTROL.search(text)
        assert first is not None
        at = len(text[: first.start()].encode(codec, "replace")) + (
            3 if data.startswith(b"\xef\xbb\xbf") else 0
        )
        raise DecodeFailure(
            f"binary data, not text: control character U+{ord(first.group()):04X} at byte {at:,}"
        )
    return text


def _garble(text: str) -> str | None:
    """Why `text` looks like a wrong decoding (private-use/unassigned or mostly rare characters), or None."""
    sample = text[:_SAMPLE]
    odd = sum(1 for ch in sample if ord(ch) > 0x7E and unicodedata.category(ch) in ("Co", "Cn", "Cs"))
    if odd > len(sample) // 100:
        return f"{odd} private-use or unassigned characters"
    common, scored = _commonness(sample)
    if scored >= 8 and common * 2 < scored:
        return f"only {common} of {scored} characters are common Chinese characters"
    return None


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


def _choose(plausible: list[tuple[str, str]], data: bytes, utf8_at: int, tried: list[tuple[str, str]]) -> str:
    if not plausible:
        why = "; ".join(f"as {_NAMES[c]}: {_garble(t)}" for c, t in tried)
        raise DecodeFailure(f"not UTF-8 (at byte {utf8_at:,}), GB18030 or Big5-HKSCS text ({why})")
    if len(plausible) == 1:
        return plausible[0][1]
    (_, gb_text), (_, big5_text) = plausible
    gb, big5 = (_share(_commonness(t[:_SAMPLE])) for t in (gb_text, big5_text))
    if abs(gb - big5) > 0.05 or len(data) < _TIE_MIN_BYTES:
        return big5_text if big5 > gb else gb_text
    import charset_normalizer  # only for the rare tie: keep `import kpi` fast

    best = charset_normalizer.from_bytes(data[: 4 * _SAMPLE], cp_isolation=["gb18030", "big5hkscs"]).best()
    return big5_text if best is not None and best.encoding == "big5hkscs" and big5 >= gb else gb_text


def _share(counts: tuple[int, int]) -> float:
    common, scored = counts
    return common / scored if scored else 1.0


_NAMES = {"gb18030": "GB18030", "big5hkscs": "Big5-HKSCS"}


# --- discovery ---------------------------------------------------------------------------------


def input_kind(path: Path) -> str | None:
    """`text`, `jsonl` or `parquet` from the file's suffix, else None."""
    suffix = path.suffix.lower()
    for kind, suffixes in (("text", TEXT_SUFFIXES), ("jsonl", JSONL_SUFFIXES), ("parquet", PARQUET_SUFFIXES)):
        if suffix in suffixes:
            return kind
    return None


def discover(paths: Iterable[str | Path], *, exclude: Iterable[Path] = ()) -> list[Path]:
    """The input files named by `paths`, folders searched recursively (sorted; hidden entries skipped).

    `-` stays as `Path("-")` (JSON lines on standard input). Files found in folders are left out
    when they are, or lie under, a path in `exclude` (the manifest, the output folder). Raises
    InputError for a path that does not exist, a file of an unknown type, or when nothing is found.
    """
    skip = tuple(os.path.realpath(p) for p in exclude)
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if str(name) == STDIN:
            found.append(path)
        elif path.is_dir():
            found.extend(p for p in _walk(path) if not _is_under(os.path.realpath(p), skip))
        elif not path.exists():
            raise InputError(f"{path}: no such file or folder")
        elif input_kind(path) is None:
            raise InputError(f"{path}: not a .txt, .html, .jsonl or .parquet file")
        else:
            found.append(path)
    if not found:
        listed = ", ".join(str(p) for p in paths) or "(nothing)"
        raise InputError(f"no inputs found in {listed} (looked for .txt, .html, .jsonl and .parquet files)")
    return list(dict.fromkeys(found))


def _is_under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def _walk(folder: Path) -> list[Path]:
    """Input files under `folder`, sorted; a sub-folder that cannot be listed is kept (-> unreadable)."""
    found: list[Path] = []

    def keep_unlistable(exc: OSError) -> None:
        found.append(Path(exc.filename))

    for root, dirs, files in os.walk(folder, onerror=keep_unlistable):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            path = Path(root, name)
            if not name.startswith(".") and input_kind(path) is not None:
                found.append(path)
    return sorted(found)


# --- the public generator ----------------------------------------------------------------------


def iter_inputs(
    paths: Sequence[str | Path],
    *,
    manifest: Path | None = None,
    max_doc_chars: int = DEFAULT_MAX_DOC_CHARS,
    stdin: IO[Any] | None = None,
    exclude: Iterable[Path] = (),
) -> Iterator[Item]:
    """Documents and dead letters of `paths`, one per input, in a deterministic order.

    Checks run now (InputError); reading happens as the returned iterator is consumed. Folders are
    searched without the manifest and the paths in `exclude` (say, the run's output folder).
    """
    if max_doc_chars < 1:
        raise InputError(f"--max-doc-chars must be at least 1, not {max_doc_chars}")
    files = discover(paths, exclude=[*exclude, *([manifest] if manifest is not None else [])])
    for path in files:
        if input_kind(path) == "parquet":
            check_parquet(path)
    metadata = load_manifest(manifest)
    return _generate(files, metadata, max_doc_chars, stdin)


def _generate(
    files: list[Path], metadata: Mapping[str, Mapping[str, Any]], max_chars: int, stdin: IO[Any] | None
) -> Iterator[Item]:
    for path in files:
        if str(path) == STDIN:
            yield from _iter_json_lines(_readline_of(stdin or sys.stdin), "<stdin>", "stdin", max_chars)
            continue
        kind = input_kind(path) if not path.is_dir() else None
        if kind == "text":
            yield read_text_file(path, metadata.get(path.stem, {}), max_chars)
        elif kind == "jsonl":
            yield from _iter_jsonl_file(path, max_chars)
        elif kind == "parquet":
            yield from _iter_parquet(path, max_chars)
        else:
            yield _dead(str(path), None, "unreadable", "this folder cannot be listed", None)


# --- single documents --------------------------------------------------------------------------


def _dead(source: str, doc_id: str | None, reason: str, detail: str, raw: bytes | None) -> DeadLetter:
    return DeadLetter(
        source, doc_id, reason, detail, raw if raw is not None and len(raw) <= RAW_LIMIT else None
    )


def _check_text(doc: Document, raw: bytes | Callable[[], bytes], max_chars: int) -> Item:
    """The document, or a too_large / empty dead letter."""
    reason = detail = ""
    if len(doc.text) > max_chars:
        reason, detail = "too_large", f"{len(doc.text):,} characters, more than the limit of {max_chars:,}"
    elif not doc.text.strip():
        reason, detail = "empty", "the text is empty or only white space"
    if not reason:
        return doc
    return _dead(doc.source, doc.doc_id, reason, detail, raw() if callable(raw) else raw)


def parse_published(value: Any) -> date | None:
    """An ISO date (or date-time) string, a date or a datetime -> date; None or "" -> None.

    Raises ValueError with a readable message otherwise.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            try:
                return datetime.fromisoformat(text).date()
            except ValueError:
                pass
    raise ValueError(f"published {value!r} is not an ISO date (YYYY-MM-DD)")


def read_text_file(path: Path, meta: Mapping[str, Any], max_chars: int) -> Item:
    """A .txt/.html file -> Document (doc_id = stem, metadata from the manifest) or DeadLetter."""
    source, doc_id = str(path), path.stem
    try:
        size = path.stat().st_size
        if size > 4 * max_chars + 3:  # even UTF-8's widest characters cannot fit: do not read it
            detail = f"{size:,} bytes, more than {max_chars:,} characters can take"
            return _dead(source, doc_id, "too_large", detail, None)
        data = path.read_bytes()
    except OSError as exc:
        return _dead(source, doc_id, "unreadable", f"cannot read the file: {exc.strerror or exc}", None)
    try:
        text = decode_bytes(data)
    except DecodeFailure as exc:
        return _dead(source, doc_id, "decode_error", str(exc), data)
    try:
        published = parse_published(meta.get("published"))
    except ValueError as exc:
        return _dead(source, doc_id, "bad_published", f"manifest: {exc}", data)
    region = _text_or_none(meta.get("region"))
    return _check_text(Document(doc_id, text, published, region, source), data, max_chars)


def _text_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def _doc_id_of(obj: Mapping[str, Any], fallback: str) -> str:
    for key in ("id", "doc_id"):
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return fallback


def document_from_mapping(
    obj: Mapping[str, Any], source: str, fallback_id: str, max_chars: int, raw: bytes | None = None
) -> Item:
    """A JSON object or Parquet row (`id`/`doc_id`, `text`, `published`, `region`) -> Document or DeadLetter.

    Without an id the document is called `fallback_id` (file name with :LINE or #ROW).
    """

    def raw_bytes() -> bytes:
        return raw if raw is not None else json.dumps(obj, ensure_ascii=False, default=str).encode()

    doc_id = _doc_id_of(obj, fallback_id)
    text = obj.get("text")
    if isinstance(text, bytes | bytearray):
        try:
            text = decode_bytes(bytes(text))
        except DecodeFailure as exc:
            return _dead(source, doc_id, "decode_error", f"text: {exc}", raw_bytes())
    if not isinstance(text, str):
        detail = "no `text` field" if text is None else f"`text` is {type(text).__name__}, not a string"
        return _dead(source, doc_id, "missing_text", detail, raw_bytes())
    try:
        published = parse_published(obj.get("published"))
    except ValueError as exc:
        return _dead(source, doc_id, "bad_published", str(exc), raw_bytes())
    doc = Document(doc_id, text, published, _text_or_none(obj.get("region")), source)
    return _check_text(doc, raw_bytes, max_chars)


# --- JSON lines --------------------------------------------------------------------------------


def _line_limit(max_chars: int) -> int:
    """Bytes a JSON line of `max_chars` characters can take (\\uXXXX escapes are 6 bytes) plus room."""
    return 6 * max_chars + (1 << 20)


def _read_lines(readline: Callable[[int], bytes], limit: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) per line; bytes is None for a line longer than `limit` (skipped unread)."""
    lineno = 0
    while line := readline(limit + 1):
        lineno += 1
        if len(line) > limit and not line.endswith(b"\n"):
            while (rest := readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield lineno, None
        else:
            yield lineno, line


def _iter_json_lines(
    readline: Callable[[int], bytes], label: str, name: str, max_chars: int
) -> Iterator[Item]:
    """One item per non-blank line; `label` prefixes sources, `name` fallback ids."""
    limit = _line_limit(max_chars)
    for lineno, line in _read_lines(readline, limit):
        source = f"{label}:{lineno}"
        if line is None:
            yield _dead(source, None, "too_large", f"the line is longer than {limit:,} bytes", None)
        elif line.strip():
            yield _json_line(line.rstrip(b"\r\n"), source, f"{name}:{lineno}", max_chars)


def _json_line(line: bytes, source: str, fallback_id: str, max_chars: int) -> Item:
    try:
        obj = json.loads(_decode_line(line))
    except DecodeFailure as exc:
        return _dead(source, None, "decode_error", str(exc), line)
    except (ValueError, RecursionError) as exc:
        return _dead(source, None, "bad_json", f"not valid JSON: {exc}", line)
    if not isinstance(obj, dict):
        return _dead(source, None, "bad_json", f"a JSON {type(obj).__name__}, not an object", line)
    return document_from_mapping(obj, source, fallback_id, max_chars, raw=line)


def _decode_line(line: bytes) -> str:
    """UTF-8 as JSON requires; other encodings through the file chain (raw control characters in
    a UTF-8 line are left for the JSON parser to call bad_json)."""
    try:
        return line.decode("utf-8-sig")
    except UnicodeDecodeError:
        return decode_bytes(line)


def _iter_jsonl_file(path: Path, max_chars: int) -> Iterator[Item]:
    try:
        stream = path.open("rb")
    except OSError as exc:
        yield _dead(str(path), None, "unreadable", f"cannot read the file: {exc.strerror or exc}", None)
        return
    with stream:
        try:
            yield from _iter_json_lines(stream.readline, str(path), path.name, max_chars)
        except OSError as exc:
            yield _dead(str(path), None, "unreadable", f"reading stopped: {exc.strerror or exc}", None)


def _readline_of(stream: IO[Any]) -> Callable[[int], bytes]:
    """A bytes `readline(limit)` for a binary stream or a text stream (with or without `.buffer`)."""
    if isinstance(stream, io.TextIOBase):
        buffer = getattr(stream, "buffer", None)
        if buffer is None:
            return lambda limit: stream.readline(limit).encode("utf-8", "surrogateescape")
        stream = buffer
    return stream.readline


# --- Parquet -----------------------------------------------------------------------------------


def check_parquet(path: Path) -> None:
    """InputError unless the Parquet file has a string (or binary) `text` column.

    A file whose footer cannot be read is left to the reader (an `unreadable` dead letter).
    """
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException):
        return
    if "text" not in schema.names:
        columns = ", ".join(schema.names) or "none"
        raise InputError(f"{path}: Parquet file has no `text` column (its columns: {columns})")
    kind = schema.field("text").type
    if not (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_string_view(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
    ):
        raise InputError(f"{path}: the `text` column is {kind}, not a string")


def _iter_parquet(path: Path, max_chars: int) -> Iterator[Item]:
    """One item per row, read PARQUET_BATCH_ROWS rows at a time; `#ROW` counts from 0."""
    row = 0
    try:
        with pq.ParquetFile(path) as parquet:
            columns = [c for c in _INPUT_COLUMNS if c in parquet.schema_arrow.names]
            for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=columns):
                for obj in batch.to_pylist():
                    yield document_from_mapping(obj, f"{path}#{row}", f"{path.name}#{row}", max_chars)
                    row += 1
    except (OSError, pa.ArrowException) as exc:
        source = f"{path}#{row}" if row else str(path)
        yield _dead(source, None, "unreadable", f"cannot read Parquet rows from #{row} on: {exc}", None)


# --- manifest ----------------------------------------------------------------------------------


def load_manifest(path: Path | None) -> dict[str, dict[str, Any]]:
    """doc_id -> {published, region} from a JSONL or CSV manifest; InputError when it is unusable.

    Dates are checked when a document uses them (a bad one dead-letters that document only).
    """
    if path is None:
        return {}
    try:
        text = decode_bytes(path.read_bytes())
    except OSError as exc:
        raise InputError(f"manifest {path}: {exc.strerror or exc}") from None
    except DecodeFailure as exc:
        raise InputError(f"manifest {path}: {exc}") from None
    rows = _csv_rows(text, path) if path.suffix.lower() == ".csv" else _jsonl_rows(text, path)
    metadata: dict[str, dict[str, Any]] = {}
    for lineno, row in rows:
        doc_id = _doc_id_of(row, "")
        if not doc_id:
            raise InputError(f"manifest {path} line {lineno}: no doc_id")
        metadata[doc_id] = {"published": row.get("published"), "region": row.get("region")}
    return metadata


def _jsonl_rows(text: str, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise InputError(f"manifest {path} line {lineno}: not valid JSON") from None
        if not isinstance(row, dict):
            raise InputError(f"manifest {path} line {lineno}: not a JSON object")
        yield lineno, row


def _csv_rows(text: str, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"doc_id", "id"} & set(reader.fieldnames):
        raise InputError(f"manifest {path}: the CSV header has no doc_id column")
    for row in reader:
        yield reader.line_num, row
