"""The doc_ids a stream has taken, across batches and runs: `duplicate_id` as in batch mode.

Batch k's ids are written into the checkpoint before `commits/<k>` (so they count once the batch
does, and a replay of an uncommitted batch rewrites them), as two append-only files per batch:

    _checkpoint/ids/<k>.u64        8-byte digests (blake2b) of the ids, little-endian
    _checkpoint/ids/<k>.jsonl.gz   [doc_id, source] per id, in the same order
    _checkpoint/ids/index-<k>.u64  sorted digests of all committed batches up to k, then their batch
                                   numbers (int32): written on start when many batch files piled up

Memory holds only the digests with their batch numbers (12 bytes an id, in sorted arrays); a digest
that matches is confirmed against the exact ids of its batch, read from disk (rare: only repeats
match), which also gives the first source for the dead letter's detail. Start-up reads the digest
files of committed batches only.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from kpi.io.atomic import write_bytes_atomic
from kpi.io.documents import SeenIds
from kpi.stream.checkpoint import batch_name as _name

__all__ = ["StreamIds", "digest"]

COMPACT_FILES = 256  # per-batch digest files that make a start write one index instead
_CACHED_IDS = 200_000  # exact ids of recently matched batches kept in memory (at least one batch)
_MERGE_AT = 1 << 16  # digests folded in a dict before they join the sorted arrays
_U64, _I32 = np.dtype("<u8"), np.dtype("<i4")


def digest(doc_id: str) -> int:
    data = doc_id.encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


class StreamIds(SeenIds):
    """`SeenIds` of a stream: `first` holds the running batch's ids; committed batches' are on disk."""

    __slots__ = ("_cache", "_digests", "_owners", "_recent", "folder")

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        self._digests = np.empty(0, _U64)  # sorted
        self._owners = np.empty(0, _I32)  # batch of each digest
        self._recent: dict[int, int] = {}  # digest -> batch, folded since the last merge
        self._cache: OrderedDict[int, dict[str, str]] = OrderedDict()

    @classmethod
    def load(cls, folder: Path, committed: Iterable[int]) -> StreamIds:
        """The ids of the committed batches (a batch without id files, from before they existed,
        adds none); writes an index when many batch files piled up."""
        ids = cls(folder)
        committed = sorted(committed)
        upto, digests, owners = ids._read_index(committed[-1] if committed else -1)
        parts, numbers = [digests], [owners]
        for k in committed:
            path = folder / f"{_name(k)}.u64"
            if k > upto and path.exists():
                part = np.fromfile(path, _U64)
                parts.append(part)
                numbers.append(np.full(len(part), k, _I32))
        ids._digests, ids._owners = _sorted(np.concatenate(parts), np.concatenate(numbers))
        if len(parts) > COMPACT_FILES:
            ids._write_index(committed[-1])
        return ids

    def __len__(self) -> int:
        """Ids of committed batches plus the running batch's."""
        return len(self._digests) + len(self._recent) + len(self.first)

    # --- claims ---------------------------------------------------------------------------------

    def claim(self, doc_id: str, source: str) -> str | None:
        """As `SeenIds.claim`, over every committed batch of the stream and the running one."""
        return self._committed_source(doc_id) or super().claim(doc_id, source)

    def _committed_source(self, doc_id: str) -> str | None:
        d = digest(doc_id)
        owners = []
        if (k := self._recent.get(d)) is not None:
            owners.append(k)
        if len(self._digests):
            i = int(np.searchsorted(self._digests, np.uint64(d)))
            while i < len(self._digests) and int(self._digests[i]) == d:
                owners.append(int(self._owners[i]))
                i += 1
        for k in owners:  # more than one only when two ids share a digest
            if (first := self._sources(k).get(doc_id)) is not None:
                return first
        return None

    def _sources(self, k: int) -> dict[str, str]:
        if k not in self._cache:
            with gzip.open(self.folder / f"{_name(k)}.jsonl.gz", "rt", encoding="utf-8") as handle:
                self._cache[k] = {doc_id: source for doc_id, source in map(json.loads, handle)}
            while len(self._cache) > 1 and sum(map(len, self._cache.values())) > _CACHED_IDS:
                self._cache.popitem(last=False)
        self._cache.move_to_end(k)
        return self._cache[k]

    # --- the batch's part of the commit ----------------------------------------------------------

    def begin(self) -> None:
        """A batch starts (or is replayed): it has taken no id yet."""
        self.first = {}

    def write(self, k: int) -> None:
        """Durably write the ids batch k took; a replay writes the same files again."""
        lines = "".join(json.dumps([i, s]) + "\n" for i, s in self.first.items())
        write_bytes_atomic(self.folder / f"{_name(k)}.jsonl.gz", gzip.compress(lines.encode(), mtime=0))
        digests = np.fromiter((digest(i) for i in self.first), _U64, len(self.first))
        write_bytes_atomic(self.folder / f"{_name(k)}.u64", digests.tobytes())

    def fold(self, k: int) -> None:
        """Batch k is committed: its ids count from now on."""
        self._recent.update((digest(i), k) for i in self.first)
        self.first = {}
        if len(self._recent) >= _MERGE_AT:  # a linear merge: both parts are sorted runs
            recent = np.fromiter(self._recent, _U64, len(self._recent))
            owners = np.fromiter(self._recent.values(), _I32, len(self._recent))
            recent, owners = _sorted(recent, owners)
            self._digests, self._owners = _sorted(
                np.concatenate([self._digests, recent]), np.concatenate([self._owners, owners])
            )
            self._recent = {}

    # --- the index ------------------------------------------------------------------------------

    def _indexes(self) -> list[tuple[int, Path]]:
        found = (p for p in self.folder.glob("index-*.u64"))
        return sorted((int(p.name[6:-4]), p) for p in found if p.name[6:-4].isdigit())

    def _read_index(self, last: int) -> tuple[int, np.ndarray, np.ndarray]:
        """(batch it covers up to, digests, batch numbers) of the newest index, else (-1, empty)."""
        usable = [(k, p) for k, p in self._indexes() if k <= last]
        if not usable:
            return -1, np.empty(0, _U64), np.empty(0, _I32)
        upto, path = usable[-1]
        data = path.read_bytes()
        n = len(data) // (_U64.itemsize + _I32.itemsize)
        return upto, np.frombuffer(data, _U64, n), np.frombuffer(data, _I32, n, offset=8 * n)

    def _write_index(self, upto: int) -> None:
        """One index of everything loaded (all committed up to `upto`), then drop what it replaces."""
        data = self._digests.tobytes() + self._owners.tobytes()
        write_bytes_atomic(self.folder / f"index-{_name(upto)}.u64", data)
        for k, path in self._indexes():
            if k < upto:
                path.unlink(missing_ok=True)
        for path in self.folder.glob("[0-9]*.u64"):
            if int(path.name.removesuffix(".u64")) <= upto:
                path.unlink(missing_ok=True)


def _sorted(digests: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(digests, kind="stable")
    return digests[order], owners[order]
