"""Track targets against reported results: records -> the tracking table -> a report a person opens.

`build_tracking` applies the status rules of the tracking README (`rules.py` holds them as pure
functions); `write_report` draws `report.html` (imported lazily: it loads the plotting library).
"""

from __future__ import annotations

from typing import Any

from kpi.tracking.build import build_tracking, report_years
from kpi.tracking.schema import COLUMNS, STATUSES, TRACKING_SCHEMA, tracking_polars_schema

__all__ = [
    "COLUMNS",
    "STATUSES",
    "TRACKING_SCHEMA",
    "build_tracking",
    "report_years",
    "tracking_polars_schema",
    "write_report",
]


def __getattr__(name: str) -> Any:
    if name == "write_report":
        from kpi.tracking.report import write_report

        return write_report
    raise AttributeError(name)
