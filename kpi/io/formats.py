"""Inputs of many documents (SCHEMA.md §4): JSON lines (files and standard input), Parquet files,
and the manifest of metadata for text files. One item per line or row, read lazily."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from kpi.io.decoding import DecodeFailure, decode, decode_bytes
from kpi.io.documents import (
    InputError,
    Item,
    SeenIds,
    dead_letter,
    doc_id_of,
    document_from_mapping,
)

PARQUET_BATCH_ROWS = 256
INPUT_COLUMNS = ("id", "doc_id", "text", "published", "region")


# --- JSON lines ----------------------------------------------------------------------------------


def line_limit(max_chars: int) -> int:
    """Bytes a JSON line of `max_chars` characters can take (\\uXXXX escapes are 6 bytes) plus room."""
    return 6 * max_chars + (1 << 20)


def read_lines(readline: Callable[[int], bytes], limit: int) -> Iterator[tuple[int, bytes | None]]:
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


def iter_json_lines(
    readline: Callable[[int], bytes], label: str, name: str, max_chars: int, ids: SeenIds | None = None
) -> Iterator[Item]:
    """One item per non-blank line; `label` prefixes sources, `name` fallback ids."""
    limit = line_limit(max_chars)
    for lineno, line in read_lines(readline, limit):
        source = f"{label}:{lineno}"
        if line is None:
            yield dead_letter(source, None, "too_large", f"the line is longer than {limit:,} bytes", None)
        elif line.strip():
            yield json_line(line.rstrip(b"\r\n"), source, f"{name}:{lineno}", max_chars, ids=ids)


def json_line(
    line: bytes, source: str, fallback_id: str, max_chars: int, *, ids: SeenIds | None = None
) -> Item:
    """One JSON line -> Document or DeadLetter."""
    try:
        text, replaced = _decode_line(line)
        obj = json.loads(text)
    except DecodeFailure as exc:
        return dead_letter(source, None, "decode_error", str(exc), line)
    except (ValueError, RecursionError) as exc:
        return dead_letter(source, None, "bad_json", f"not valid JSON: {exc}", line)
    if not isinstance(obj, dict):
        return dead_letter(source, None, "bad_json", f"a JSON {type(obj).__name__}, not an object", line)
    return document_from_mapping(
        obj, source, fallback_id, max_chars, raw=line, replaced_bytes=replaced, ids=ids
    )


def _decode_line(line: bytes) -> tuple[str, int]:
    """UTF-8 as JSON requires; other encodings (and a few bad bytes) through the file chain (raw
    control characters in a UTF-8 line are left for the JSON parser to call bad_json)."""
    try:
        return line.decode("utf-8-sig"), 0
    except UnicodeDecodeError:
        decoded = decode(line)
        return decoded.text, decoded.replaced_bytes


def iter_jsonl_file(path: Path, name: str, max_chars: int, ids: SeenIds | None = None) -> Iterator[Item]:
    """The items of a JSON-lines file; `name` (the file's name in the run) makes fallback ids."""
    try:
        stream = path.open("rb")
    except OSError as exc:
        yield dead_letter(str(path), None, "unreadable", f"cannot read the file: {exc.strerror or exc}", None)
        return
    with stream:
        try:
            yield from iter_json_lines(stream.readline, str(path), name, max_chars, ids)
        except OSError as exc:
            yield dead_letter(str(path), None, "unreadable", f"reading stopped: {exc.strerror or exc}", None)


def readline_of(stream: IO[Any]) -> Callable[[int], bytes]:
    """A bytes `readline(limit)` for a binary stream or a text stream (with or without `.buffer`)."""
    if isinstance(stream, io.TextIOBase):
        buffer = getattr(stream, "buffer", None)
        if buffer is None:
            return lambda limit: stream.readline(limit).encode("utf-8", "surrogateescape")
        stream = buffer
    return stream.readline


# --- Parquet -------------------------------------------------------------------------------------


def check_parquet(path: Path) -> None:
    """InputError unless the Parquet file has a string (or binary) `text` column.

    A file whose footer cannot be read is left to the reader (an `unreadable` dead letter).
    """
    import pyarrow as pa  # here, not with the module: the extraction workers read no Parquet
    import pyarrow.parquet as pq

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


def iter_parquet(path: Path, name: str, max_chars: int, ids: SeenIds | None = None) -> Iterator[Item]:
    """One item per row, read PARQUET_BATCH_ROWS rows at a time; `#ROW` counts from 0."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    row = 0
    try:
        with pq.ParquetFile(path) as parquet:
            columns = [c for c in INPUT_COLUMNS if c in parquet.schema_arrow.names]
            for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=columns):
                for obj in batch.to_pylist():
                    yield document_from_mapping(obj, f"{path}#{row}", f"{name}#{row}", max_chars, ids=ids)
                    row += 1
    except (OSError, pa.ArrowException) as exc:
        source = f"{path}#{row}" if row else str(path)
        detail = f"cannot read Parquet rows from #{row} on: {exc}"
        yield dead_letter(source, None, "unreadable", detail, None)


# --- manifest ------------------------------------------------------------------------------------


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
        doc_id = doc_id_of(row, "")
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
