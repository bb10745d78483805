"""Where a stream's batches land: a Parquet dataset (default) or Delta Lake tables.

Both write the three tables of batch k through `ParquetSink`s (the batch job's writer: same schema,
lineage metadata, chunked row groups) and publish them one table at a time, so the runner can crash
between any two. Publishing is idempotent per batch, which makes replaying an uncommitted batch safe:

* Parquet: `DIR/<table>/part-<k>.parquet`, written through a hidden temporary file that is renamed
  into place (kpi.io.atomic: fsync, rename, fsync of the folder). A replay writes the same name again, so a reader that globs
  `DIR/records/*.parquet` sees every record exactly once, even after crashes.
* Delta: `DIR/<table>/` Delta tables (the `deltalake` package). Batch k is staged as Parquet in the
  checkpoint, then appended in one Delta commit carrying the application transaction
  `(app id, k)`; a replay skips a table whose transaction version already is k or more.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

import pyarrow as pa
import pyarrow.parquet as pq

from kpi.io.datapackage import datapackage_descriptor
from kpi.io.writers import ParquetSink, lineage_metadata, write_json_atomic
from kpi.record import OUTPUT_SCHEMAS
from kpi.stream.checkpoint import batch_name

__all__ = ["TABLES", "BatchOutput", "DeltaSink", "ParquetDatasetSink", "Sink", "make_sink"]

TABLES = OUTPUT_SCHEMAS  # name -> Arrow schema of each output table


class BatchOutput:
    """The three open tables of one batch; `publish` each in turn, or leave by an exception to drop them."""

    def __init__(self, paths: dict[str, Path], publish: Callable[[str, Path], None]) -> None:
        self.paths = paths
        self._publish = publish
        self.sinks: dict[str, ParquetSink] = {}
        try:
            for name, schema in TABLES.items():
                self.sinks[name] = ParquetSink(paths[name], schema)
        except BaseException:
            self.abort()
            raise

    def publish(self, name: str) -> None:
        self.sinks[name].close()
        self._publish(name, self.paths[name])

    def abort(self) -> None:
        for sink in self.sinks.values():
            sink.abort()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is not None:
            self.abort()


class Sink(Protocol):
    """What the runner needs of a sink: set up (and clean up after a crash), open a batch's tables,
    tidy after its commit, describe the tables in datapackage.json."""

    def prepare(self) -> None: ...
    def open_batch(self, k: int, *, replay: bool) -> BatchOutput: ...
    def after_commit(self, k: int) -> None: ...
    def write_datapackage(self) -> None: ...


class ParquetDatasetSink:
    """`DIR/records/part-<k>.parquet` & co."""

    def __init__(self, out: Path) -> None:
        self.out = out

    def prepare(self) -> None:
        for name in TABLES:
            folder = self.out / name
            folder.mkdir(parents=True, exist_ok=True)
            for temp in folder.glob(".part-*.tmp"):  # left by a killed process; hidden from globs
                temp.unlink(missing_ok=True)

    def open_batch(self, k: int, *, replay: bool) -> BatchOutput:
        paths = {name: self.out / name / f"part-{batch_name(k)}.parquet" for name in TABLES}
        return BatchOutput(paths, self._publish)

    @staticmethod
    def _publish(name: str, path: Path) -> None:
        pass  # ParquetSink.close published it durably (kpi.io.atomic)

    def after_commit(self, k: int) -> None:
        pass

    def parts(self, name: str) -> list[str]:
        return sorted(f"{name}/{p.name}" for p in (self.out / name).glob("part-*.parquet"))

    def write_datapackage(self) -> None:
        paths: dict[str, str | list[str]] = {name: self.parts(name) or f"{name}/" for name in TABLES}
        write_json_atomic(self.out / "datapackage.json", datapackage_descriptor(paths))


class DeltaSink:
    """`DIR/records/` & co. as Delta tables; one commit per table and batch, tagged `(app_id, k)`."""

    def __init__(self, out: Path, *, app_id: str, staging: Path) -> None:
        self.out = out
        self.app_id = app_id
        self.staging = staging
        self._replay = False
        self._batch = -1

    def prepare(self) -> None:
        from deltalake import DeltaTable

        for name, schema in TABLES.items():
            path = self.out / name
            if not DeltaTable.is_deltatable(str(path)):
                path.mkdir(parents=True, exist_ok=True)
                DeltaTable.create(str(path), schema=schema, mode="ignore", name=name)
        shutil.rmtree(self.staging, ignore_errors=True)
        self.staging.mkdir(parents=True, exist_ok=True)

    def open_batch(self, k: int, *, replay: bool) -> BatchOutput:
        folder = self.staging / batch_name(k)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self._replay, self._batch = replay, k
        return BatchOutput({name: folder / f"{name}.parquet" for name in TABLES}, self._publish)

    def _publish(self, name: str, staged: Path) -> None:
        from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake

        table = str(self.out / name)
        k = self._batch
        if self._replay:
            done = DeltaTable(table).transaction_version(self.app_id)
            if done is not None and done >= k:
                return  # this table committed batch k before the crash
        parquet = pq.ParquetFile(staged)
        if parquet.metadata.num_rows == 0:
            return
        schema = TABLES[name]
        reader = pa.RecordBatchReader.from_batches(schema, (b.cast(schema) for b in parquet.iter_batches()))
        lineage = {
            key: value for key, value in lineage_metadata(schema).items() if key != "kpi_field_descriptions"
        }
        properties = CommitProperties(
            app_transactions=[Transaction(self.app_id, k)], custom_metadata={"kpi_batch": str(k), **lineage}
        )
        write_deltalake(table, reader, mode="append", commit_properties=properties)

    def after_commit(self, k: int) -> None:
        shutil.rmtree(self.staging / batch_name(k), ignore_errors=True)

    def write_datapackage(self) -> None:
        descriptor = datapackage_descriptor({name: f"{name}/" for name in TABLES})
        for resource in descriptor["resources"]:
            resource["format"] = "delta"
            resource.pop("mediatype", None)
            resource["description"] = "a Delta Lake table: read it with a Delta reader, not by globbing"
        write_json_atomic(self.out / "datapackage.json", descriptor)


def make_sink(kind: str, out: Path, *, app_id: str, staging: Path) -> Sink:
    if kind == "delta":
        return DeltaSink(out, app_id=app_id, staging=staging)
    return ParquetDatasetSink(out)
