"""Atomic, durable output: the only module of kpi that renames a file into place.

Every output is written to a hidden temporary file in the destination folder (same file system, so
the rename is atomic), flushed to disk (fsync), renamed over the destination, and the folder is
fsynced so the rename itself survives a power loss. A reader never sees a half-written file, and a
failed write leaves any previous file in place.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> with atomic_path(folder / "a.txt") as temp:
...     _ = temp.write_text("done", encoding="utf-8")
>>> (folder / "a.txt").read_text(encoding="utf-8"), sorted(p.name for p in folder.iterdir())
('done', ['a.txt'])
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "atomic_path",
    "fsync",
    "publish",
    "replace_folder",
    "temp_beside",
    "write_bytes_atomic",
    "write_text_atomic",
]

_MODE = 0o644  # readable by all like any output (mkstemp makes files 0600)


def fsync(path: Path) -> None:
    """Flush a closed file's data, or a folder's entries (a rename into it), to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_beside(path: Path) -> Path:
    """A new, empty hidden temporary file `.NAME.*.tmp` in `path`'s folder."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    return Path(name)


def publish(temp: Path, path: Path, *, mode: int | None = _MODE) -> Path:
    """Put the finished file `temp` at `path`: fsync, rename, fsync of the folder.

    `mode` None keeps the temporary file's permissions.
    """
    fsync(temp)
    if mode is not None:
        os.chmod(temp, mode)
    os.replace(temp, path)
    fsync(path.parent)
    return path


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary file beside `path` to write; published at `path` when the block ends normally,
    removed when it ends by an exception (any previous file at `path` stays)."""
    target = Path(path)
    temp = temp_beside(target)
    try:
        yield temp
        publish(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` atomically and durably."""
    with atomic_path(path) as temp:
        temp.write_bytes(data)
    return Path(path)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write `text` as UTF-8 to `path` atomically and durably."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def replace_folder(new: Path, target: Path) -> None:
    """Put the finished folder `new` at `target`: the old folder is renamed aside, `new` renamed into
    its place, then the old one removed."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{new.parent.name}")
        os.replace(target, old)
    os.replace(new, target)
    fsync(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
