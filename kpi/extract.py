"""Placeholder until the extractor lands: the signature is final."""
from __future__ import annotations

from datetime import date

from kpi.record import Record


def extract(text: str, *, doc_id: str, published: date | None = None, region: str | None = None) -> list[Record]:
    return []
