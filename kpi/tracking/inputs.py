"""What `kpi track` reads and writes: records Parquet files or folders, a documents list, tracking.parquet."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from kpi.io.atomic import atomic_path
from kpi.record import polars_schema
from kpi.tracking.prepare import NEEDED, OPTIONAL, prepare
from kpi.tracking.schema import TRACKING_SCHEMA
from kpi.vocabulary import vocabulary_digests

_NOT_RECORDS = ("dead_letter", "_checkpoint", "tracking")  # names of files and folders a folder scan skips
VOCABULARY = ("indicators.toml", "regions.toml", "tracking.toml", "units.toml")


class TrackInputError(ValueError):
    """An input `kpi track` cannot use (the message says which and why)."""


def records_files(
    inputs: Iterable[str | os.PathLike[str]], *, note: Callable[[str], None] = print
) -> list[Path]:
    """The Parquet files of records named by `inputs` (files, or folders searched recursively)."""
    files: list[Path] = []
    for given in inputs:
        path = Path(given)
        if path.is_dir():
            files += _scan(path, note)
        elif path.is_file():
            _check(path)
            files.append(path)
        else:
            raise TrackInputError(f"{path}: no such file or folder")
    if not files:
        raise TrackInputError("no records files found in " + ", ".join(str(p) for p in inputs))
    return files


def _columns(path: Path) -> list[str]:
    try:
        return list(pq.read_schema(path).names)
    except (OSError, pa.ArrowInvalid) as exc:
        raise TrackInputError(f"{path}: not a readable Parquet file ({exc})") from exc


def _check(path: Path) -> None:
    missing = [c for c in NEEDED if c not in _columns(path)]
    if missing:
        raise TrackInputError(f"{path}: not a records file: missing column(s) {', '.join(missing)}")


def _scan(folder: Path, note: Callable[[str], None]) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*.parquet")):
        parts = path.relative_to(folder).parts
        if any(p.startswith(_NOT_RECORDS) for p in parts) or path.name.startswith("."):
            continue
        if all(c in _columns(path) for c in NEEDED):
            found.append(path)
        else:
            note(f"skipped {path}: not a records file")
    return found


def read_records(files: Iterable[Path]) -> pl.DataFrame:
    """The records of every file, in the columns the tracker reads (a quarantine's extra column dropped)."""
    schema = polars_schema()
    wanted = [*NEEDED, *OPTIONAL]
    frames = []
    for path in files:
        names = _columns(path)
        frame = pl.read_parquet(path, columns=[c for c in wanted if c in names])
        frames.append(
            frame.select(
                pl.col(c).cast(schema[c]) if c in frame.columns else pl.lit(None, schema[c]).alias(c)
                for c in wanted
            )
        )
    return (
        pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema={c: schema[c] for c in wanted})
    )


def read_documents(path: Path) -> pl.DataFrame:
    """The reports: `doc_id` (from `id` or `doc_id`, when given), `published` and `region` of a JSONL,
    CSV or Parquet file of documents, such as `kpi extract`'s input or its `--manifest`."""
    if not path.is_file():
        raise TrackInputError(f"{path}: no such file")
    try:
        frame = _read_table(path)
    except (OSError, ValueError, pl.exceptions.PolarsError) as exc:
        raise TrackInputError(f"{path}: cannot read documents ({exc})") from exc
    if "doc_id" not in frame.columns and "id" in frame.columns:
        frame = frame.rename({"id": "doc_id"})
    missing = [c for c in ("published", "region") if c not in frame.columns]
    if missing:
        raise TrackInputError(f"{path}: documents lack the column(s) {', '.join(missing)}")
    published = pl.col("published")
    as_date = published.str.to_date(strict=False) if frame.schema["published"] == pl.String else published
    ids = [pl.col("doc_id").cast(pl.String)] if "doc_id" in frame.columns else []
    return frame.select(
        *ids, as_date.cast(pl.Date, strict=False).alias("published"), pl.col("region").cast(pl.String)
    )


def _read_table(path: Path) -> pl.DataFrame:
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    if path.suffix == ".csv":
        return pl.read_csv(path, infer_schema=False)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for r in rows:
        r["doc_id"] = r.get("doc_id", r.get("id"))
    keys = ("doc_id", "published", "region")
    return pl.DataFrame(
        [{k: None if r.get(k) is None else str(r[k]) for k in keys} for r in rows],
        schema=dict.fromkeys(keys, pl.String),
    )


def fill_from_documents(records: pl.DataFrame, documents: pl.DataFrame) -> tuple[pl.DataFrame, Counter[str]]:
    """Records whose `region` or `published` is null take their document's (matched on doc_id), and how
    many of each were filled. Values the records have are kept.

    A date given here comes too late for the years the extractor reads relative to it (今年, 去年): the
    count `undated_year` says how many dated records still have no `period_year` for that reason."""
    filled: Counter[str] = Counter()
    if "doc_id" not in documents.columns or records.is_empty():
        return records, filled
    known = documents.filter(pl.col("doc_id").is_not_null()).unique("doc_id", keep="first")
    columns = []
    for column in ("region", "published"):
        given = dict(known.filter(pl.col(column).is_not_null()).select("doc_id", column).iter_rows())
        looked_up = pl.col("doc_id").replace_strict(given, default=None, return_dtype=records.schema[column])
        fill = pl.col(column).is_null() & looked_up.is_not_null()
        filled[column] = int(records.select(fill.sum()).item())
        if column == "published":
            late = fill & pl.col("period_year").is_null()
            filled["undated_year"] = int(records.select(late.sum()).item())
        columns.append(pl.coalesce(column, looked_up).alias(column))
    return records.with_columns(columns), filled


def keying_gaps(records: pl.DataFrame) -> Counter[str]:
    """How many records the tracker cannot key by (region, indicator_id, period_year), and why: counts
    of `not_keyed` and of each missing part (`region`, `period_year`, `indicator_id`; a record may lack
    several), read as the tracker reads them (indicator ids from the sentence, regions canonical)."""
    rows = prepare(records)
    lacks = {c: pl.col(c).is_null() for c in ("region", "period_year", "indicator_id")}
    counts = rows.select(
        pl.any_horizontal(*lacks.values()).sum().alias("not_keyed"),
        *(e.sum().alias(c) for c, e in lacks.items()),
        pl.len().alias("records"),
    )
    return Counter({k: int(v) for k, v in counts.row(0, named=True).items()})


def _lineage() -> dict[bytes, bytes]:
    from kpi import __version__

    per_file = vocabulary_digests()[1]
    meta = {"kpi_version": __version__}
    for name in VOCABULARY:
        meta[f"sha256:{name}"] = per_file[name]
    return {k.encode(): v.encode() for k, v in meta.items()}


def write_tracking(tracking: pl.DataFrame, path: Path) -> Path:
    """tracking.parquet with exactly TRACKING_SCHEMA and lineage in the file metadata (kpi.io.atomic)."""
    table = tracking.to_arrow().cast(TRACKING_SCHEMA).replace_schema_metadata(_lineage())
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temp:
        pq.write_table(table, temp)
    return path
