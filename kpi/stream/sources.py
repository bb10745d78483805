"""Where a stream's documents come from: scanning the sources, planning batches, reading slices.

* `Scanner` keeps the queue of files not yet committed: explicit files, folders (searched
  recursively; with --follow, again every trigger interval) and the parts of standard input spooled
  into the checkpoint. Hidden files are skipped, so a file counts once it is renamed into place.
* `Scanner.plan` cuts the next batch off the head of the queue: whole text files, line ranges of
  JSON-lines files and row ranges of Parquet files, within a budget of units and bytes.
* `read_slice` turns a slice into the same `Document`s and `DeadLetter`s batch mode reads from that
  part of the file (same sources, line and row numbers, fallback ids), reading Parquet a few hundred
  rows at a time.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import pyarrow as pa
import pyarrow.parquet as pq

from kpi.io.documents import Document, SeenIds, check_text
from kpi.io.readers import (
    _INPUT_COLUMNS,
    PARQUET_BATCH_ROWS,
    STDIN,
    Input,
    InputError,
    Item,
    _dead,
    _json_line,
    _line_limit,
    _read_lines,
    check_parquet,
    document_from_mapping,
    input_kind,
    read_text_input,
    relative_name,
    several_folders,
)
from kpi.stream.plan import STDIN_LABEL, STDIN_NAME, FileId, Kind, Ledger, Slice, StatKey
from kpi.stream.spool import SPOOL_GLOB, spool_first_line

__all__ = ["Budget", "Pending", "Scanner", "read_slice"]

log = logging.getLogger("kpi.stream")
_BLOCK = 1 << 20


@dataclass(slots=True)
class Budget:
    """What one batch may still take: units (files, lines, rows) and bytes."""

    units: int
    bytes: int

    def spend(self, units: int, size: int) -> None:
        self.units -= units
        self.bytes -= size

    @property
    def left(self) -> bool:
        return self.units > 0 and self.bytes > 0


@dataclass(slots=True)
class Pending:
    """A file in the queue: what a scan saw, and its identity once hashed."""

    kind: Kind
    path: str
    abspath: str
    size: int
    mtime_ns: int
    first_seen: float
    label: str
    name: str
    first_line: int = 1
    file: FileId | None = None

    @property
    def stat_key(self) -> StatKey:
        return (self.abspath, self.size, self.mtime_ns)


class Scanner:
    """The queue of uncommitted input files of a set of sources."""

    def __init__(self, sources: Iterable[str], *, spool: Path, exclude: Iterable[Path], ledger: Ledger):
        self.sources = [s for s in sources if s != STDIN]
        self.spool = spool
        self.ledger = ledger
        self._skip = tuple(os.path.realpath(p) for p in [*exclude, spool.parent])
        self.queue: dict[str, Pending] = {}
        self.done: list[str] = []  # committed files still in place (to move or, if spooled, delete)

    # --- scanning --------------------------------------------------------------------------------

    @staticmethod
    def check_sources(sources: Iterable[str]) -> None:
        """InputError for a source that does not exist or is not an input file."""
        for name in sources:
            if name == STDIN:
                continue
            path = Path(name)
            if not path.exists():
                raise InputError(f"{path}: no such file or folder")
            if not path.is_dir() and input_kind(path) is None:
                raise InputError(f"{path}: not a .txt, .html, .jsonl or .parquet file")

    def candidates(self) -> Iterator[tuple[str, str, str, int]]:
        """(path as given, label, name, first line) of every input file the sources hold now."""
        several = several_folders(self.sources)  # names as in batch mode (kpi.io.discovery)
        for name in self.sources:
            path = Path(name)
            if path.is_dir():
                for found in _walk(path, self._skip):
                    yield found, found, relative_name(Path(found), path, several), 1
            elif path.exists():
                yield name, name, path.name, 1
        for part in sorted(self.spool.glob(SPOOL_GLOB)):
            yield str(part), STDIN_LABEL, STDIN_NAME, spool_first_line(part)

    def refresh(self) -> None:
        """Rescan the sources: queue new and changed files, note committed ones still in place."""
        now, seen = time.time(), set()
        self.done = []
        for path, label, name, first_line in self.candidates():
            abspath = os.path.abspath(path)
            try:
                st = os.stat(abspath)
            except OSError:
                continue
            seen.add(abspath)
            stat_key = (abspath, st.st_size, st.st_mtime_ns)
            progress = self.ledger.progress_of_stat(stat_key)
            if progress is not None and progress.done:
                self.queue.pop(abspath, None)
                self.done.append(abspath)
                continue
            known = self.queue.get(abspath)
            if known is not None and known.stat_key == stat_key:
                continue
            kind = cast(Kind, input_kind(Path(path)))  # candidates are input files only
            self.queue[abspath] = Pending(
                kind, path, abspath, st.st_size, st.st_mtime_ns, now, label, name, first_line
            )
        for gone in [p for p in self.queue if p not in seen]:
            del self.queue[gone]

    def take_done(self) -> list[str]:
        """The committed files found still in place since the last call."""
        done, self.done = self.done, []
        return done

    def oldest_age(self, now: float) -> float:
        """Seconds since the oldest queued file was first seen (0 when the queue is empty)."""
        return max((now - p.first_seen for p in self.queue.values()), default=0.0)

    # --- planning --------------------------------------------------------------------------------

    def plan(self, budget: Budget) -> list[Slice]:
        """The slices of the next batch, from the head of the queue; [] when nothing is pending."""
        slices: list[Slice] = []
        for pending in list(self.queue.values()):
            if not budget.left:
                break
            file = pending.file or _identify(pending)
            pending.file = file
            progress = self.ledger.progress(file)
            if progress.done:  # the same content was committed before (touched, or copied back)
                self.ledger.alias(file.stat_key, file.key)
                del self.queue[pending.abspath]
                self.done.append(pending.abspath)
                continue
            piece, size = _slice(file, progress.offset, progress.line, budget)
            budget.spend(piece.units, size)
            slices.append(piece)
        return slices

    def advance(self, slices: list[Slice]) -> None:
        """Drop the files a committed batch finished from the queue (the ledger has the rest)."""
        for s in slices:
            if s.last:
                self.queue.pop(s.file.abspath, None)


def _walk(folder: Path, skip: tuple[str, ...]) -> Iterator[str]:
    """Input files under `folder` in sorted order, hidden entries and `skip` folders left out."""
    for root, dirs, files in os.walk(folder):
        if _is_under(os.path.realpath(root), skip):
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and input_kind(Path(name)) is not None:
                yield os.path.join(root, name)


def _is_under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def _identify(pending: Pending) -> FileId:
    """The file's identity; its sha256 is "" when it cannot be read (reading it dead-letters it)."""
    digest = hashlib.sha256()
    try:
        with open(pending.abspath, "rb") as handle:
            while block := handle.read(_BLOCK):
                digest.update(block)
        sha = digest.hexdigest()
    except OSError:
        sha = ""
    return FileId(
        pending.kind,
        pending.path,
        pending.abspath,
        pending.size,
        pending.mtime_ns,
        sha,
        pending.label,
        pending.name,
        pending.first_line,
    )


def _slice(file: FileId, offset: int, line: int, budget: Budget) -> tuple[Slice, int]:
    """The next slice of `file` from `offset` within `budget` (at least one unit), and its bytes."""
    whole = Slice(file, 0, file.size, line, 1, True)
    if file.kind == "text" or not file.sha256:
        return whole, file.size
    if file.kind == "jsonl":
        try:
            end, lines = _line_range(file.abspath, offset, file.size, budget)
        except OSError:
            return whole, file.size
        return Slice(file, offset, end, line, lines, end >= file.size), end - offset
    try:
        check_parquet(Path(file.abspath))
        rows = pq.ParquetFile(file.abspath).metadata.num_rows
    except (InputError, OSError, pa.ArrowException):
        return whole, file.size  # reading it gives the dead letter
    per_row = max(1, file.size // max(1, rows))
    end = min(rows, offset + max(1, min(budget.units, budget.bytes // per_row)))
    return Slice(file, offset, end, offset, end - offset, end >= rows), (end - offset) * per_row


def _line_range(path: str, start: int, size: int, budget: Budget) -> tuple[int, int]:
    """(end byte, lines) of the next lines of a complete file from byte `start`, within `budget`."""
    lines, end, pos = 0, start, start
    with open(path, "rb") as handle:
        handle.seek(start)
        while pos < size and (block := handle.read(min(_BLOCK, size - pos))):
            at = 0
            while (newline := block.find(b"\n", at)) >= 0:
                at, lines = newline + 1, lines + 1
                end = pos + at
                if lines >= budget.units or end - start >= budget.bytes:
                    return end, lines
            pos += len(block)
    if end < size:  # the last line has no newline: the file is complete, so it is a line
        return size, lines + 1
    return end, lines


# --- reading -------------------------------------------------------------------------------------


def read_slice(
    piece: Slice, metadata: Mapping[str, Mapping[str, Any]], max_chars: int, ids: SeenIds | None = None
) -> Iterator[Item]:
    """The documents and dead letters of one slice, as batch mode reads them from that part; `ids`
    makes a repeated doc_id a duplicate_id dead letter."""
    file = piece.file
    if file.kind == "text":
        item = read_text_input(Input(Path(file.abspath), file.name), metadata, max_chars)
        item = item if file.abspath == file.path else replace(item, source=file.label)
        if ids is not None and isinstance(item, Document):  # claimed under the label, as batch mode
            item = check_text(item, Path(file.abspath).read_bytes, max_chars, ids)
        yield item
    elif file.kind == "jsonl":
        yield from _read_lines_of(piece, max_chars, ids)
    else:
        yield from _read_rows_of(piece, max_chars, ids)


def _read_lines_of(piece: Slice, max_chars: int, ids: SeenIds | None) -> Iterator[Item]:
    file = piece.file
    try:
        handle = open(file.abspath, "rb")  # noqa: SIM115  closed below
    except OSError as exc:
        yield _dead(file.label, None, "unreadable", f"cannot read the file: {exc.strerror or exc}", None)
        return
    with handle:
        handle.seek(piece.start)

        def readline(limit: int) -> bytes:
            left = piece.end - handle.tell()
            return handle.readline(min(limit, left)) if left > 0 else b""

        limit = _line_limit(max_chars)
        try:
            for number, line in _read_lines(readline, limit):
                lineno = piece.line + number - 1
                source = f"{file.label}:{lineno}"
                if line is None:
                    yield _dead(source, None, "too_large", f"the line is longer than {limit:,} bytes", None)
                elif line.strip():
                    yield _json_line(line.rstrip(b"\r\n"), source, f"{file.name}:{lineno}", max_chars, ids=ids)
        except OSError as exc:
            yield _dead(file.label, None, "unreadable", f"reading stopped: {exc.strerror or exc}", None)


def _read_rows_of(piece: Slice, max_chars: int, ids: SeenIds | None) -> Iterator[Item]:
    """Rows [start, end) of a Parquet file, PARQUET_BATCH_ROWS at a time, only the row groups needed."""
    file, row = piece.file, piece.start
    label = file.label
    try:
        check_parquet(Path(file.abspath))
    except InputError as exc:
        yield _dead(label, None, "missing_text", str(exc).removeprefix(f"{file.abspath}: "), None)
        return
    try:
        with pq.ParquetFile(file.abspath) as parquet:
            groups, first = _row_groups(parquet, piece.start, piece.end)
            columns = [c for c in _INPUT_COLUMNS if c in parquet.schema_arrow.names]
            at = first
            for batch in parquet.iter_batches(
                batch_size=PARQUET_BATCH_ROWS, row_groups=groups, columns=columns
            ):
                lo, hi = max(piece.start - at, 0), min(piece.end - at, batch.num_rows)
                at += batch.num_rows
                if hi <= lo:
                    continue
                for obj in batch.slice(lo, hi - lo).to_pylist():
                    yield document_from_mapping(
                        obj, f"{label}#{row}", f"{file.name}#{row}", max_chars, ids=ids
                    )
                    row += 1
                if at >= piece.end:
                    break
    except (OSError, pa.ArrowException) as exc:
        source = f"{label}#{row}" if row else label
        yield _dead(source, None, "unreadable", f"cannot read Parquet rows from #{row} on: {exc}", None)


def _row_groups(parquet: pq.ParquetFile, start: int, end: int) -> tuple[list[int], int]:
    """The row groups holding rows [start, end) and the number of the first row of the first one."""
    groups, first, at = [], -1, 0
    for i in range(parquet.num_row_groups):
        rows = parquet.metadata.row_group(i).num_rows
        if at + rows > start and at < end:
            groups.append(i)
            first = at if first < 0 else first
        at += rows
    return groups, max(first, 0)
