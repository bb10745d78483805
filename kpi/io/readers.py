"""Inputs of a batch run (SCHEMA.md §4): every input becomes a `Document` or a `DeadLetter` (§2).

`iter_inputs` checks the invocation at once (raising `InputError`, exit code 2, for a missing path, a
folder without inputs, a Parquet file without a text column or a broken manifest) and then yields
lazily, one input at a time, so memory is bounded by the largest document, never by the corpus.
Every input yields exactly one item, so documents in = documents processed + dead letters, and no
two documents of a run share a doc_id: a repeat is a `duplicate_id` dead letter naming the first.

The work is split by concern: `kpi.io.decoding` (bytes -> text), `kpi.io.discovery` (files and
their names), `kpi.io.documents` (Document, DeadLetter and their checks), `kpi.io.formats` (JSON
lines, Parquet, the manifest). This module ties them together and re-exports their public names.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from kpi.io.decoding import Decoded, DecodeFailure, decode, decode_bytes
from kpi.io.discovery import (
    JSONL_SUFFIXES,
    PARQUET_SUFFIXES,
    STDIN,
    TEXT_SUFFIXES,
    Input,
    discover,
    discover_inputs,
    input_kind,
    relative_name,
    several_folders,
)
from kpi.io.documents import (
    DEFAULT_MAX_DOC_CHARS,
    RAW_LIMIT,
    DeadLetter,
    Document,
    InputError,
    Item,
    SeenIds,
    dead_letter,
    document_from_mapping,
    parse_published,
    read_text_file,
)
from kpi.io.formats import (
    INPUT_COLUMNS,
    PARQUET_BATCH_ROWS,
    check_parquet,
    iter_json_lines,
    iter_jsonl_file,
    iter_parquet,
    json_line,
    line_limit,
    load_manifest,
    read_lines,
    readline_of,
)

__all__ = [
    "DEFAULT_MAX_DOC_CHARS",
    "JSONL_SUFFIXES",
    "PARQUET_BATCH_ROWS",
    "PARQUET_SUFFIXES",
    "RAW_LIMIT",
    "STDIN",
    "TEXT_SUFFIXES",
    "DeadLetter",
    "DecodeFailure",
    "Decoded",
    "Document",
    "Input",
    "InputError",
    "Item",
    "SeenIds",
    "check_parquet",
    "decode",
    "decode_bytes",
    "discover",
    "discover_inputs",
    "document_from_mapping",
    "input_kind",
    "iter_inputs",
    "load_manifest",
    "parse_published",
    "read_text_file",
    "read_text_input",
    "relative_name",
    "several_folders",
]

# Older private names, still imported by the stream's readers (kpi.stream.sources).
_INPUT_COLUMNS = INPUT_COLUMNS
_dead = dead_letter
_json_line = json_line
_line_limit = line_limit
_read_lines = read_lines


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
    inputs = discover_inputs(paths, exclude=[*exclude, *([manifest] if manifest is not None else [])])
    for found in inputs:
        if input_kind(found.path) == "parquet":
            check_parquet(found.path)
    metadata = load_manifest(manifest)
    return _generate(inputs, metadata, max_doc_chars, stdin)


def read_text_input(
    found: Input, metadata: Mapping[str, Mapping[str, Any]], max_chars: int, ids: SeenIds | None = None
) -> Item:
    """A text file under its name in the run: the doc_id from the name, the manifest's metadata for
    that id (else for the file's stem, as manifests written for flat folders have it)."""
    meta = metadata.get(found.doc_id) or metadata.get(found.path.stem, {})
    return read_text_file(found.path, meta, max_chars, doc_id=found.doc_id, ids=ids)


def _generate(
    inputs: list[Input], metadata: Mapping[str, Mapping[str, Any]], max_chars: int, stdin: IO[Any] | None
) -> Iterator[Item]:
    ids = SeenIds()  # one run, one namespace of doc_ids
    for found in inputs:
        path = found.path
        if str(path) == STDIN:
            yield from iter_json_lines(readline_of(stdin or sys.stdin), "<stdin>", "stdin", max_chars, ids)
            continue
        kind = input_kind(path) if not path.is_dir() else None
        if kind == "text":
            yield read_text_input(found, metadata, max_chars, ids)
        elif kind == "jsonl":
            yield from iter_jsonl_file(path, found.name, max_chars, ids)
        elif kind == "parquet":
            yield from iter_parquet(path, found.name, max_chars, ids)
        else:
            yield dead_letter(str(path), None, "unreadable", "this folder cannot be listed", None)
