"""Which files a batch run reads (SCHEMA.md §4) and the names that make their ids unique.

A file found under a folder input is named by its path relative to that folder (`a/report.txt`);
when several folders are named, each folder's own name leads (`kpi extract a/ b/` -> `a/report.txt`,
`b/report.txt`), so same-named files in different folders do not collide. A file named on the
command line is named by its file name (`report.txt`). A text file's doc_id is its name
without the extension (`a/report`, `report`); JSON lines and Parquet rows without an id fall back to
the name with `:LINE` or `#ROW`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kpi.io.documents import InputError

TEXT_SUFFIXES = (".txt", ".html", ".htm")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
PARQUET_SUFFIXES = (".parquet", ".pq")
STDIN = "-"


@dataclass(frozen=True, slots=True)
class Input:
    """One input file (or `-`, or a folder that cannot be listed) and its name in the run."""

    path: Path
    name: str

    @property
    def doc_id(self) -> str:
        """A text file's doc_id: the name without its extension, with `/` separators."""
        suffix = self.path.suffix
        return self.name[: -len(suffix)] if suffix and self.name.endswith(suffix) else self.name


def input_kind(path: Path) -> str | None:
    """`text`, `jsonl` or `parquet` from the file's suffix, else None."""
    suffix = path.suffix.lower()
    for kind, suffixes in (("text", TEXT_SUFFIXES), ("jsonl", JSONL_SUFFIXES), ("parquet", PARQUET_SUFFIXES)):
        if suffix in suffixes:
            return kind
    return None


def discover(paths: Iterable[str | Path], *, exclude: Iterable[Path] = ()) -> list[Path]:
    """The input files named by `paths` (see `discover_inputs`)."""
    return [found.path for found in discover_inputs(paths, exclude=exclude)]


def discover_inputs(paths: Iterable[str | Path], *, exclude: Iterable[Path] = ()) -> list[Input]:
    """The input files named by `paths`, folders searched recursively (sorted; hidden entries skipped).

    `-` stays as `Path("-")` (JSON lines on standard input). Files found in folders are left out
    when they are, or lie under, a path in `exclude` (the manifest, the output folder). A file named
    twice is read once, under its first name. Raises InputError for a path that does not exist, a
    file of an unknown type, or when nothing is found.
    """
    skip = tuple(os.path.realpath(p) for p in exclude)
    paths = list(paths)
    several = several_folders(paths)
    found: list[Input] = []
    for name in paths:
        path = Path(name)
        if str(name) == STDIN:
            found.append(Input(path, "stdin"))
        elif path.is_dir():
            found.extend(
                Input(p, relative_name(p, path, several))
                for p in _walk(path)
                if not _is_under(os.path.realpath(p), skip)
            )
        elif not path.exists():
            raise InputError(f"{path}: no such file or folder")
        elif input_kind(path) is None:
            raise InputError(f"{path}: not a .txt, .html, .jsonl or .parquet file")
        else:
            found.append(Input(path, path.name))
    if not found:
        listed = ", ".join(str(p) for p in paths) or "(nothing)"
        raise InputError(f"no inputs found in {listed} (looked for .txt, .html, .jsonl and .parquet files)")
    first: dict[Path, Input] = {}
    for item in found:
        first.setdefault(item.path, item)
    return list(first.values())


def several_folders(paths: Iterable[str | Path]) -> bool:
    """Whether more than one of `paths` is a folder (their files' names then start with its name)."""
    return sum(1 for name in paths if str(name) != STDIN and Path(name).is_dir()) > 1


def relative_name(path: Path, folder: Path, with_folder: bool) -> str:
    """`path` relative to `folder`, with `/`; led by the folder's own name when `with_folder`."""
    try:
        name = path.relative_to(folder).as_posix()
    except ValueError:  # not under the folder (cannot happen for os.walk results): keep it unique
        return path.as_posix()
    if not with_folder:
        return name
    return f"{os.path.basename(os.path.abspath(folder)) or folder.as_posix()}/{name}"


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
