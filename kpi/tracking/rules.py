"""The status rules of the tracking README, as pure functions over small records.

Nothing here knows about frames or files, so the batch tracker and the stream's tracking state share it.

>>> t = Quantity("t", "national-2022", "5.5%左右", 5.5, None, "percent", "~")
>>> judge(t, "higher", [Quantity("a", "national-2023", "3%", 3.0, None, "percent", "=")], next_report=True).status
'missed'
>>> judge(t, "higher", [], next_report=False).status
'pending'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

_SWAP = {">=": "<=", "<=": ">=", ">": "<", "<": ">"}
_SLACK = Decimal("1e-9")  # relative: values that differ by less are equal
_NEAR = Decimal("0.05")  # `~`: within 5 % of the target


@dataclass(frozen=True, slots=True)
class Quantity:
    """A target or a result as the tracker needs it (a record's fields)."""

    record_id: str
    doc_id: str
    mention: str
    value: float
    value_max: float | None
    unit: str
    comparator: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """The status of one target, the result it was judged on and every conflicting value."""

    status: str
    actual: Quantity | None = None
    actual_value: float | None = None
    conflicts: tuple[float, ...] = ()


def _dec(x: float) -> Decimal:
    return Decimal(repr(float(x)))


def compare(a: float, b: float) -> int:
    """-1, 0 or 1 as a is below, equal to (within a relative 1e-9) or above b, in decimal arithmetic."""
    da, db = _dec(a), _dec(b)
    if abs(da - db) <= _SLACK * max(abs(da), abs(db)):
        return 0
    return -1 if da < db else 1


def is_met(target: Quantity, direction: str, a: float) -> bool:
    """Rule 3: whether a result `a` meets the target (comparator swapped for a decrease)."""
    v = target.value
    comparator = _SWAP.get(target.comparator, target.comparator) if v < 0 else target.comparator
    c = compare(a, v)
    good = c >= 0 if direction == "higher" else c <= 0
    if comparator == ">=":
        return c >= 0
    if comparator == ">":
        return c > 0
    if comparator == "<=":
        return c <= 0
    if comparator == "<":
        return c < 0
    if comparator == "~":
        near = abs(_dec(a) - _dec(v)) <= _NEAR * abs(_dec(v)) * (1 + _SLACK)
        return good or near
    if comparator == "between":
        high = target.value_max if target.value_max is not None else v
        bound = min(v, high) if direction == "higher" else max(v, high)
        return compare(a, bound) >= 0 if direction == "higher" else compare(a, bound) <= 0
    return good  # "=": on the good side


def distinct_values(results: Sequence[Quantity]) -> list[Quantity]:
    """The results with a value not seen before, in the order given (agreeing duplicates collapse)."""
    kept: list[Quantity] = []
    for r in results:
        if not any(_same(r, k) for k in kept):
            kept.append(r)
    return kept


def _same(x: Quantity, y: Quantity) -> bool:
    if compare(x.value, y.value) != 0:
        return False
    if x.value_max is None or y.value_max is None:
        return x.value_max is None and y.value_max is None
    return compare(x.value_max, y.value_max) == 0


def judge(target: Quantity, direction: str, results: Sequence[Quantity], *, next_report: bool) -> Outcome:
    """The status of `target` given the results for its year from the next report, in text order.

    `next_report` says whether a report of the same region published in the following year exists."""
    if not next_report:
        return Outcome("pending")
    usable = [r for r in results if r.unit == target.unit]
    if not usable:  # not stated as a number, or only in a unit that does not convert (斤/吨, percent/pp)
        return Outcome("unclear", results[0] if results else None)
    different = distinct_values(usable)
    first = different[0]
    if len(different) > 1:
        return Outcome("unclear", first, first.value, tuple(r.value for r in different))
    status = "met" if is_met(target, direction, first.value) else "missed"
    return Outcome(status, first, first.value)
