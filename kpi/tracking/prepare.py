"""Records -> the rows the tracker reads: canonical regions, indicator ids, span figures marked.

The records are those of SCHEMA.md §1 (a quarantine file's extra column is ignored). A record's
`indicator_id` is read from its sentence by the taxonomy where it can be (see `_read_sentences`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import polars as pl

from kpi.taxonomy import indicator_id_for, match_indicator, normalise_region, taxonomy
from kpi.tracking.cues import is_span_figure

NEEDED: tuple[str, ...] = (
    "record_id",
    "doc_id",
    "published",
    "region",
    "sentence",
    "mention",
    "span_start",
    "indicator_id",
    "value",
    "value_max",
    "unit",
    "comparator",
    "kind",
    "period_year",
)
OPTIONAL: dict[str, pl.DataType] = {"indicator": pl.String(), "period_start": pl.Int32()}


class MissingColumnsError(ValueError):
    """A records frame lacks columns the tracker needs (the message names them)."""


def check_columns(
    frame: pl.DataFrame | pl.Schema, needed: Iterable[str] = NEEDED, *, what: str = "records"
) -> None:
    names = frame.names() if isinstance(frame, pl.Schema) else frame.columns
    missing = [c for c in needed if c not in names]
    if missing:
        raise MissingColumnsError(f"{what} lack the column(s) {', '.join(missing)}")


def prepare(records: pl.DataFrame) -> pl.DataFrame:
    """One row per record_id with canonical `region`, `pub_year`, filled `indicator_id` and `is_span`
    (a figure over several years: period_start before period_year, or span words in its clause)."""
    check_columns(records)
    missing_optional = [
        pl.lit(None, dtype=t).alias(c) for c, t in OPTIONAL.items() if c not in records.columns
    ]
    df = (
        records.with_columns(missing_optional)
        .select(*NEEDED, *OPTIONAL)
        .unique("record_id", keep="first", maintain_order=True)
        .with_columns(pl.col("published").cast(pl.Date, strict=False))
    )
    regions = {r: normalise_region(r) for r in df["region"].unique().to_list()}
    df = df.with_columns(
        pl.col("region").replace_strict(regions, default=None, return_dtype=pl.String),
        pl.col("published").dt.year().cast(pl.Int32).alias("pub_year"),
        pl.col("period_year").cast(pl.Int32),
    )
    ids, spans = _read_sentences(
        df.select("doc_id", "sentence", "mention", "span_start", "unit", "indicator", "indicator_id").rows()
    )
    df = df.with_columns(
        pl.Series("indicator_id", ids, dtype=pl.String), pl.Series("is_span", spans, dtype=pl.Boolean)
    )
    # the extractor's own reading of a span of years (period_start before period_year) comes first
    span = pl.col("is_span") | (pl.col("period_start").cast(pl.Int32) < pl.col("period_year")).fill_null(False)
    df = df.with_columns(span.alias("is_span"))
    return df


def _read_sentences(rows: list[tuple[Any, ...]]) -> tuple[list[str | None], list[bool]]:
    """Each record's indicator id and whether it is a span figure.

    The id is read from the sentence where the number's place in it is known (the taxonomy then sees
    the whole clause, not only the indicator words); else the record's own id is kept; else the
    indicator words decide."""
    offsets = mention_offsets([(r[0], r[1], r[2], r[3]) for r in rows])
    known = taxonomy().indicators
    ids: list[str | None] = []
    spans: list[bool] = []
    for (_, sentence, _, _, unit, words, given), start in zip(rows, offsets, strict=True):
        found = match_indicator(sentence, start, unit=unit) if start is not None else None
        iid = (found.indicator_id if found else None) or given or indicator_id_for(words, unit=unit)
        ids.append(iid if iid in known else None)
        subject = found.start if found is not None and found.indicator_id == iid else None
        spans.append(start is not None and is_span_figure(sentence, start, subject))
    return ids, spans


def mention_offsets(rows: list[tuple[str, str, str, int]]) -> list[int | None]:
    """Where each mention starts in its sentence, from rows of (doc_id, sentence, mention, span_start).

    A mention written twice in its sentence is placed where the sentence's other records agree: they
    all share one offset of the sentence in the document (span_start − offset in sentence)."""
    found = [_occurrences(sentence or "", mention or "") for _, sentence, mention, _ in rows]
    votes: Counter[tuple[str, str, int]] = Counter()
    for (doc, sentence, _, span), starts in zip(rows, found, strict=True):
        votes.update((doc, sentence, span - s) for s in starts)
    offsets: list[int | None] = []
    for (doc, sentence, _, span), starts in zip(rows, found, strict=True):
        if len(starts) <= 1:
            offsets.append(starts[0] if starts else None)
        else:
            offsets.append(max(starts, key=lambda s: (votes[(doc, sentence, span - s)], -s)))
    return offsets


def _occurrences(text: str, part: str) -> list[int]:
    if not part:
        return []
    starts, at = [], text.find(part)
    while at >= 0:
        starts.append(at)
        at = text.find(part, at + 1)
    return starts
