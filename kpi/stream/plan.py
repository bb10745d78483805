"""What a micro-batch covers, as data: input files by identity, the slice of each a batch reads, and
the ledger of how far every file has been committed.

A batch's plan is a list of `Slice`s, written to the write-ahead log (`_checkpoint/offsets/<k>.json`)
before the batch runs. The `Ledger` is folded from the plans of committed batches only, so on restart
it says exactly which files (and which lines or rows of them) are done: a file is never read twice.

>>> f = FileId("text", "in/a.txt", "/x/in/a.txt", 12, 1, "ab12", "in/a.txt", "a.txt", 1)
>>> ledger = Ledger()
>>> ledger.progress(f).done
False
>>> ledger.apply([Slice(f, 0, 12, 1, 1, True)])
>>> ledger.progress(f).done, ledger.progress_of_stat(f.stat_key) == ledger.progress(f)
(True, True)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = ["FileId", "Ledger", "Progress", "Slice", "StatKey"]

Kind = Literal["text", "jsonl", "parquet"]
StatKey = tuple[str, int, int]  # (absolute path, size, mtime in ns): cheap to get from a scan
STDIN_LABEL = "<stdin>"  # source label and fallback-id prefix of standard input, as in batch mode
STDIN_NAME = "stdin"


@dataclass(frozen=True, slots=True)
class FileId:
    """One input file, identified by path, size, modification time and content hash.

    `path` is the path as the user gave it (it names documents and dead letters, as in batch mode);
    `abspath` is where it is read from, whatever the working folder of a restart. Standard input is
    spooled into the checkpoint in parts: `label`/`name` are then `<stdin>`/`stdin` and `first_line`
    the line number of the part's first line in the whole stream.
    """

    kind: Kind
    path: str
    abspath: str
    size: int
    mtime_ns: int
    sha256: str
    label: str
    name: str
    first_line: int = 1

    @property
    def stat_key(self) -> StatKey:
        return (self.abspath, self.size, self.mtime_ns)

    @property
    def key(self) -> tuple[str, str]:
        """The identity under which progress is kept: the same content at the same place."""
        return (self.abspath, self.sha256)

    @property
    def is_stdin(self) -> bool:
        return self.label == STDIN_LABEL


@dataclass(frozen=True, slots=True)
class Slice:
    """The part of one file a batch reads.

    text: the whole file (start 0, end = size). jsonl: bytes [start, end), whose first line is line
    number `line`. parquet: rows [start, end) (`line` = start). `units` is the lines, rows or files
    it holds (what --max-batch-docs counts); `last` says the slice reaches the end of the file.
    """

    file: FileId
    start: int
    end: int
    line: int
    units: int
    last: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Slice:
        return cls(**{**obj, "file": FileId(**obj["file"])})


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a file is committed: the next byte (jsonl) or row (parquet) and its line number."""

    offset: int = 0
    line: int = 1
    done: bool = False


class Ledger:
    """Committed progress per file identity, plus an index from (path, size, mtime) to identity so a
    scan recognises a known file without hashing it again. Memory grows with the number of files,
    never with their length."""

    def __init__(self) -> None:
        self._progress: dict[tuple[str, str], Progress] = {}
        self._by_stat: dict[StatKey, tuple[str, str]] = {}
        self.stdin_next_line = 1  # line number the next spooled part of standard input starts at

    def apply(self, slices: list[Slice]) -> None:
        """Fold in the slices of a committed batch."""
        for s in slices:
            f = s.file
            line = s.line + s.units
            self._progress[f.key] = Progress(offset=s.end, line=line, done=s.last)
            self._by_stat[f.stat_key] = f.key
            if f.is_stdin:
                self.stdin_next_line = max(self.stdin_next_line, line)

    def alias(self, stat_key: StatKey, key: tuple[str, str]) -> None:
        """Remember that a file seen under `stat_key` has identity `key` (touched or copied back)."""
        self._by_stat[stat_key] = key

    def progress_of_stat(self, stat_key: StatKey) -> Progress | None:
        key = self._by_stat.get(stat_key)
        return None if key is None else self._progress.get(key)

    def progress(self, file: FileId) -> Progress:
        return self._progress.get(file.key) or Progress(line=file.first_line)

    def __len__(self) -> int:
        return len(self._progress)
