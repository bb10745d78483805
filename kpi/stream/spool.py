"""Standard input, spooled into the checkpoint before any batch reads it (a pipe cannot be replayed).

A reader thread copies stdin, line by line, into `_checkpoint/spool/.stdin-<first line>.jsonl.tmp`
and seals the part — fsync, rename to `stdin-<first line>.jsonl`, fsync of the folder — every
`seal_lines` lines, at end of input, and whenever the runner asks (`seal`, before it plans a batch).
Sealed parts are ordinary JSON-lines inputs to the scanner; their documents are named `<stdin>:LINE`
with LINE counted over the whole stream, across parts and restarts. A part is deleted once a
committed batch has read all of it. Memory holds at most one 1 MiB piece of a line.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import IO

from kpi.io.atomic import fsync, publish

__all__ = ["SPOOL_GLOB", "StdinSpool", "recover_spool", "spool_first_line"]

log = logging.getLogger("kpi.stream")
SPOOL_GLOB = "stdin-*.jsonl"
_PIECE = 1 << 20


def spool_first_line(part: Path) -> int:
    """The stream line number of a sealed part's first line (from its name)."""
    return int(part.name.removeprefix("stdin-").removesuffix(".jsonl"))


def _part_name(first_line: int) -> str:
    return f"stdin-{first_line:012d}.jsonl"


def recover_spool(folder: Path, next_line: int) -> int:
    """Seal what a killed process had spooled but not sealed (whole lines only); return the line
    number the next part starts at."""
    for temp in sorted(folder.glob(".stdin-*.jsonl.tmp")):
        first = int(temp.name.removeprefix(".stdin-").removesuffix(".jsonl.tmp"))
        data = temp.read_bytes()
        whole = data[: data.rfind(b"\n") + 1]
        if whole:
            with temp.open("r+b") as handle:
                handle.truncate(len(whole))
            publish(temp, folder / _part_name(first), mode=None)
        else:
            temp.unlink()
    fsync(folder)
    for part in folder.glob(SPOOL_GLOB):
        with part.open("rb") as handle:
            lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(_PIECE), b""))
        next_line = max(next_line, spool_first_line(part) + lines)
    return next_line


class StdinSpool:
    """Copies a binary stream into sealed spool parts from a daemon thread."""

    def __init__(self, folder: Path, stream: IO[bytes], *, first_line: int, seal_lines: int) -> None:
        self.folder = folder
        self.stream = stream
        self.seal_lines = max(1, seal_lines)
        self.eof = False
        self.error: str | None = None
        self._next = first_line  # first line of the open part
        self._lines = 0  # complete lines in the open part
        self._open: IO[bytes] | None = None
        self._temp: Path | None = None
        self._mid_line = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._copy, name="kpi-stdin-spool", daemon=True)

    def start(self) -> StdinSpool:
        self._thread.start()
        return self

    @property
    def drained(self) -> bool:
        """Standard input has ended and everything read from it is sealed."""
        with self._lock:
            return self.eof and self._open is None

    def seal(self) -> None:
        """Seal the open part if it holds complete lines and is not in the middle of one."""
        with self._lock:
            if self._open is not None and self._lines and not self._mid_line:
                self._seal()

    def _copy(self) -> None:
        try:
            while piece := self.stream.readline(_PIECE):
                with self._lock:
                    self._write(piece)
        except (OSError, ValueError) as exc:
            self.error = f"reading standard input stopped: {exc}"
            log.error("%s", self.error)
        with self._lock:
            if self._open is not None and self._mid_line:  # the last line has no newline
                self._open.write(b"\n")
                self._lines += 1
                self._mid_line = False
            if self._open is not None:
                self._seal()
            self.eof = True

    def _write(self, piece: bytes) -> None:
        if self._open is None:
            self._temp = self.folder / f".stdin-{self._next:012d}.jsonl.tmp"
            self._open = self._temp.open("wb")
        self._open.write(piece)
        self._mid_line = not piece.endswith(b"\n")
        if not self._mid_line:
            self._lines += 1
            if self._lines >= self.seal_lines:
                self._seal()

    def _seal(self) -> None:
        assert self._open is not None and self._temp is not None
        self._open.close()
        publish(self._temp, self.folder / _part_name(self._next), mode=None)
        self._next += self._lines
        self._open, self._temp, self._lines = None, None, 0
