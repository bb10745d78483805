"""What an input becomes (SCHEMA.md §2): a `Document` or a `DeadLetter`, and the checks between.

Every reader ends in `check_text`, which turns a decoded document into a `too_large`, `empty` or
`duplicate_id` dead letter when it must, so the rules hold the same for text files, JSON lines and
Parquet rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kpi.io.decoding import DecodeFailure, decode

RAW_LIMIT = 1 << 20  # dead letters keep the input's bytes up to 1 MB
DEFAULT_MAX_DOC_CHARS = 2_000_000


class InputError(Exception):
    """The invocation or an input cannot be used at all (exit code 2); the message is one line."""


@dataclass(frozen=True, slots=True)
class Document:
    """One decoded input text with its metadata; `source` names where it came from.

    `replaced_bytes` counts the input bytes that could not be decoded and stand as U+FFFD in `text`.
    """

    doc_id: str
    text: str
    published: date | None
    region: str | None
    source: str
    replaced_bytes: int = 0


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


class SeenIds:
    """The doc_ids of a run's documents so far, each with the source that first had it."""

    __slots__ = ("first",)

    def __init__(self) -> None:
        self.first: dict[str, str] = {}

    def claim(self, doc_id: str, source: str) -> str | None:
        """None when `doc_id` is new (it is now taken by `source`), else the source that has it."""
        had = self.first.setdefault(doc_id, source)
        return None if had == source else had


def dead_letter(source: str, doc_id: str | None, reason: str, detail: str, raw: bytes | None) -> DeadLetter:
    """A dead letter keeping `raw` only when it is at most RAW_LIMIT bytes."""
    return DeadLetter(
        source, doc_id, reason, detail, raw if raw is not None and len(raw) <= RAW_LIMIT else None
    )


def check_text(
    doc: Document, raw: bytes | Callable[[], bytes], max_chars: int, ids: SeenIds | None = None
) -> Item:
    """The document, or a too_large / empty / duplicate_id dead letter (ids are claimed only by
    documents that pass, so a rejected input never blocks a later good one)."""
    reason = detail = ""
    if len(doc.text) > max_chars:
        reason, detail = "too_large", f"{len(doc.text):,} characters, more than the limit of {max_chars:,}"
    elif not doc.text.strip():
        reason, detail = "empty", "the text is empty or only white space"
    elif ids is not None and (first := ids.claim(doc.doc_id, doc.source)) is not None:
        reason, detail = "duplicate_id", f"the id {doc.doc_id!r} was already taken by {first}"
    if not reason:
        return doc
    return dead_letter(doc.source, doc.doc_id, reason, detail, raw() if callable(raw) else raw)


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


def read_text_file(
    path: Path,
    meta: Mapping[str, Any],
    max_chars: int,
    *,
    doc_id: str | None = None,
    ids: SeenIds | None = None,
) -> Item:
    """A .txt/.html file -> Document (doc_id as given, else the stem; metadata from the manifest)
    or DeadLetter."""
    source, doc_id = str(path), doc_id or path.stem
    try:
        size = path.stat().st_size
        if size > 4 * max_chars + 4:  # even the widest encodings cannot fit: do not read it
            detail = f"{size:,} bytes, more than {max_chars:,} characters can take"
            return dead_letter(source, doc_id, "too_large", detail, None)
        data = path.read_bytes()
    except OSError as exc:
        return dead_letter(source, doc_id, "unreadable", f"cannot read the file: {exc.strerror or exc}", None)
    try:
        decoded = decode(data)
    except DecodeFailure as exc:
        return dead_letter(source, doc_id, "decode_error", str(exc), data)
    try:
        published = parse_published(meta.get("published"))
    except ValueError as exc:
        return dead_letter(source, doc_id, "bad_published", f"manifest: {exc}", data)
    region = text_or_none(meta.get("region"))
    doc = Document(doc_id, decoded.text, published, region, source, decoded.replaced_bytes)
    return check_text(doc, data, max_chars, ids)


def text_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def doc_id_of(obj: Mapping[str, Any], fallback: str) -> str:
    """The `id` (else `doc_id`) of a JSON object or row: a non-blank string or an integer."""
    for key in ("id", "doc_id"):
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return fallback


def document_from_mapping(
    obj: Mapping[str, Any],
    source: str,
    fallback_id: str,
    max_chars: int,
    raw: bytes | None = None,
    *,
    replaced_bytes: int = 0,
    ids: SeenIds | None = None,
) -> Item:
    """A JSON object or Parquet row (`id`/`doc_id`, `text`, `published`, `region`) -> Document or DeadLetter.

    Without an id the document is called `fallback_id` (file name with :LINE or #ROW).
    `replaced_bytes`: bytes of the line already replaced by U+FFFD when it was decoded.
    """

    def raw_bytes() -> bytes:
        return raw if raw is not None else json.dumps(obj, ensure_ascii=False, default=str).encode()

    doc_id = doc_id_of(obj, fallback_id)
    text = obj.get("text")
    if isinstance(text, bytes | bytearray):
        try:
            decoded = decode(bytes(text))
        except DecodeFailure as exc:
            return dead_letter(source, doc_id, "decode_error", f"text: {exc}", raw_bytes())
        text, replaced_bytes = decoded.text, replaced_bytes + decoded.replaced_bytes
    if not isinstance(text, str):
        detail = "no `text` field" if text is None else f"`text` is {type(text).__name__}, not a string"
        return dead_letter(source, doc_id, "missing_text", detail, raw_bytes())
    try:
        published = parse_published(obj.get("published"))
    except ValueError as exc:
        return dead_letter(source, doc_id, "bad_published", str(exc), raw_bytes())
    region = text_or_none(obj.get("region"))
    doc = Document(doc_id, text, published, region, source, replaced_bytes)
    return check_text(doc, raw_bytes, max_chars, ids)
