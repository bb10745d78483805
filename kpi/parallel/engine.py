"""What every extraction engine shares: the extractor it runs (kpi's, a patched one or $KPI_EXTRACTOR),
the time budget of a document, the outcomes (rows or a dead letter) and the `Extraction` protocol."""

from __future__ import annotations

import importlib
import logging
import operator
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from typing import Any, Protocol, Self

from kpi.io.closing import ClosedOnExit
from kpi.io.readers import DeadLetter, Document, Item, dead_letter
from kpi.record import COLUMNS, Record

log = logging.getLogger("kpi.parallel")

Extractor = Callable[..., list[Record]]
Rows = list[tuple[Any, ...]]  # records as tuples, fields in kpi.record.COLUMNS order
Outcome = Rows | DeadLetter  # a document's records, or the dead letter the input became
_as_row = operator.attrgetter(*COLUMNS)

DEFAULT_DOC_TIMEOUT = 5.0  # seconds per 100,000 characters, and at least this for any document
BUDGET_CHARS = 100_000
EXTRACTOR_ENV = "KPI_EXTRACTOR"  # "module:function" to extract with instead of kpi.extract (tests)
DEFAULT_EXTRACTOR = "kpi.extractor.extract:extract"
# A small page that takes the extractor through its lazy set-up: the vocabulary and its regular
# expressions, and the date parser (an RFC 822 dateline).
WARM_UP_TEXT = (
    "政府工作报告\n    Tue, 12 Apr 2022 02:27:27 +0800\n各位代表：\n"
    "2024年，全市地区生产总值增长5.2%。今年力争新增高新技术企业130家，城镇新增就业1.2万人。"
)


class DocTimeout(BaseException):
    """Raised in the extractor by the SIGALRM budget (a BaseException, so `except Exception` in
    extraction code does not swallow it)."""


def doc_budget(chars: int, doc_timeout: float | None) -> float | None:
    """Seconds a document of `chars` characters may take: `doc_timeout` per 100,000 characters, at
    least `doc_timeout`; None without a budget.

    >>> doc_budget(2_000, 5.0), doc_budget(250_000, 5.0), doc_budget(10, None)
    (5.0, 12.5, None)
    """
    if not doc_timeout:
        return None
    return doc_timeout * max(1.0, chars / BUDGET_CHARS)


def resolve_extractor() -> Extractor:
    """`kpi.extractor.extract.extract` as it stands now (so a patched one is used), or the function
    named by $KPI_EXTRACTOR ("module:function", for tests and experiments)."""
    return _load(os.environ.get(EXTRACTOR_ENV) or DEFAULT_EXTRACTOR)


def _for_workers() -> Extractor | str:
    """What workers should extract with, without importing the extractor here when nothing patched
    it: $KPI_EXTRACTOR, else kpi's extractor as it stands if imported (maybe patched), else its name."""
    spec = os.environ.get(EXTRACTOR_ENV)
    if spec:
        return spec
    module = sys.modules.get(DEFAULT_EXTRACTOR.partition(":")[0])
    return module.extract if module is not None else DEFAULT_EXTRACTOR  # type: ignore[no-any-return]


def _load(extract: Extractor | str) -> Extractor:
    """A function, or the function a "module:name" string names."""
    if callable(extract):
        return extract
    module, _, name = extract.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def warm_up(extract: Extractor | str = DEFAULT_EXTRACTOR) -> None:
    """Run kpi's extractor once on a small page, so its one-off set-up is done; never raises. Any
    other extractor (a test's, a patched one) is left alone: calling it is not ours to do."""
    module, _, name = DEFAULT_EXTRACTOR.partition(":")
    if isinstance(extract, str):
        if extract != DEFAULT_EXTRACTOR:
            return
    elif (getattr(extract, "__module__", None), getattr(extract, "__qualname__", None)) != (module, name):
        return
    with suppress(Exception):
        _load(extract)(WARM_UP_TEXT, doc_id="warm-up", published=None, region=None)


def timeout_letter(doc: Document, budget: float, doc_timeout: float) -> DeadLetter:
    detail = (
        f"extraction ran past its budget of {budget:.1f} s for {len(doc.text):,} characters "
        f"(--doc-timeout {doc_timeout:g} s per 100,000 characters) and was stopped"
    )
    return dead_letter(doc.source, doc.doc_id, "timeout", detail, doc.text.encode("utf-8"))


def error_letter(doc: Document, detail: str) -> DeadLetter:
    return dead_letter(doc.source, doc.doc_id, "extract_error", detail, doc.text.encode("utf-8"))


def _rows(extract: Extractor, text: str, doc_id: str, published: Any, region: str | None) -> Rows:
    return list(map(_as_row, extract(text, doc_id=doc_id, published=published, region=region)))


def _call(extract: Extractor, doc: Document) -> Rows:
    return _rows(extract, doc.text, doc.doc_id, doc.published, doc.region)


def _log_error(doc: Document, detail: str, trace: str | None = None) -> None:
    log.error("extraction failed on %s (doc_id %r): %s; dead-lettered", doc.source, doc.doc_id, detail)
    if trace:
        log.debug("%s", trace)


class Extraction(Protocol):
    """Documents in, outcomes out, in input order; a context manager that owns its resources."""

    def map(self, items: Iterable[Item]) -> Iterator[tuple[Item, Outcome]]:
        """(item, outcome) for every item in order: a Document and its records, or the item and the
        dead letter it became (a reader's dead letter is its own outcome)."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


class _Engine(ClosedOnExit):
    def close(self) -> None:
        pass
