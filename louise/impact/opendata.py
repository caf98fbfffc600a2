"""The KPI report as plain data: one dict per group (the API's JSON) and CSV (open data).

No personal data reaches either: the groups carry periods, district names, shop ids and
shops' public business names, and counts and sums only — withheld below five bookings
(``kpis.MIN_GROUP_BOOKINGS``)."""

from __future__ import annotations

import csv
import io
from typing import Any

from louise.impact.kpis import FIGURES, MIN_GROUP_BOOKINGS, KpiGroup, KpiReport

CSV_COLUMNS = ("key", "label", "from", "to", "suppressed", *FIGURES)


def group_dict(group: KpiGroup) -> dict[str, Any]:
    figures = {name: getattr(group.figures, name) for name in FIGURES}
    return {
        "key": group.key,
        "label": group.label,
        "from": group.first,
        "to": group.last,
        "suppressed": group.suppressed,
        **figures,
    }


def report_dict(report: KpiReport) -> dict[str, Any]:
    return {
        "from": report.first,
        "to": report.last,
        "group_by": report.group_by.value,
        "min_group_bookings": MIN_GROUP_BOOKINGS,
        "factor_set_versions": list(report.factor_set_versions),
        "groups": [group_dict(g) for g in report.groups],
        "total": group_dict(report.total),
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def report_csv(report: KpiReport) -> str:
    """A header row, one row per group, the total last (key ``total``); a withheld figure is
    an empty cell. Comma-separated, UTF-8, CRLF line ends (RFC 4180)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for group in (*report.groups, report.total):
        row = group_dict(group)
        writer.writerow([_cell(row[column]) for column in CSV_COLUMNS])
    return out.getvalue()
