"""Atomic output files: a chunked Parquet writer and a JSON writer.

Both write through kpi.io.atomic (a temporary file in the destination folder, fsync, rename, fsync of
the folder), so a reader never sees a half-written file and a failed run leaves the previous output
in place. Parquet
files carry lineage in their key-value metadata (SCHEMA.md §1): `kpi_version`, the sha256 of the
vocabulary files and each field's description — never as columns.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from kpi.io.atomic import atomic_path, publish, temp_beside
from kpi.io.closing import ClosedOnExit
from kpi.vocabulary import vocabulary_digests

__all__ = ["ParquetSink", "lineage_metadata", "write_json_atomic"]


def lineage_metadata(schema: pa.Schema) -> dict[str, str]:
    """File-level key-value metadata: kpi version, vocabulary digests, field descriptions (JSON)."""
    from kpi import __version__

    combined, per_file = vocabulary_digests()
    descriptions = {
        f.name: (f.metadata or {}).get(b"description", b"").decode() for f in schema if f.metadata
    }
    return {
        "kpi_version": __version__,
        "kpi_vocab_sha256": combined,
        "kpi_vocab_files_sha256": json.dumps(per_file, sort_keys=True),
        "kpi_field_descriptions": json.dumps(descriptions, ensure_ascii=False),
    }


def write_json_atomic(path: str | Path, obj: Any) -> Path:
    """Write `obj` as indented UTF-8 JSON to `path` atomically and durably (kpi.io.atomic)."""
    path = Path(path)
    with atomic_path(path) as temp, temp.open("w", encoding="utf-8") as out:
        json.dump(obj, out, ensure_ascii=False, indent=2)
        out.write("\n")
    return path


class ParquetSink(ClosedOnExit):
    """Append tables to one Parquet file, a row group per `write`; `close` publishes it atomically.

    The file always has `schema` (plus lineage metadata), even when nothing was written. Use it as
    a context manager: leaving the block by an exception removes the temporary file and keeps any
    previous file at `path`.

    >>> import tempfile, pyarrow as pa, pyarrow.parquet as pq
    >>> folder = Path(tempfile.mkdtemp())
    >>> with ParquetSink(folder / "t.parquet", pa.schema([("x", pa.int64())])) as sink:
    ...     sink.write(pa.table({"x": [1, 2]}))
    >>> pq.read_table(folder / "t.parquet").num_rows
    2
    """

    def __init__(self, path: str | Path, schema: pa.Schema, *, metadata: Mapping[str, str] | None = None):
        self.path = Path(path)
        extra = lineage_metadata(schema) if metadata is None else dict(metadata)
        self.schema = schema.with_metadata({**(schema.metadata or {}), **extra})
        self.rows = 0
        self._temp = temp_beside(self.path)
        try:
            self._writer: pq.ParquetWriter | None = pq.ParquetWriter(self._temp, self.schema)
        except BaseException:
            self._temp.unlink(missing_ok=True)
            raise

    def write(self, table: Any) -> None:
        """Append a pyarrow Table or a polars DataFrame (columns selected and cast to the schema)."""
        if self._writer is None:
            raise ValueError(f"{self.path}: the sink is closed")
        if not isinstance(table, pa.Table):
            table = table.to_arrow()
        if table.num_rows == 0:
            return
        table = table.select(self.schema.names).cast(self.schema)
        self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> Path:
        """Finish the file and publish it at `path` (fsync, rename, fsync of the folder)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            publish(self._temp, self.path)
        return self.path

    def abort(self) -> None:
        """Drop what was written; the previous file at `path`, if any, stays."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._temp.unlink(missing_ok=True)
