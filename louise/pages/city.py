"""The city's dashboard: the month's service KPIs and the km and CO2e the bikes replaced, per
ISO week (charts drawn here as SVG), per district and per shop; the open-data CSV and the
monthly report PDF to download.

Aggregates only, read-only: the figures are :func:`louise.impact.kpis.kpis` — the same service,
the same suppression of groups under five bookings as ``GET /api/v1/impact``; the CSV is its
:func:`~louise.impact.opendata.report_csv`, the PDF ``flask impact-report``'s
:mod:`louise.impact.report`. No page here shows a person: only periods, districts, shops'
public names, counts and sums.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _

from louise import clock
from louise.auth.models import AGGREGATE_READERS
from louise.errors import ValidationFailed
from louise.extensions import db
from louise.impact import reading
from louise.impact.kpis import GroupBy, KpiGroup, kpis
from louise.impact.opendata import report_csv
from louise.impact.report import build_report, month_days, render_report
from louise.impact.schemas import ImpactQueryArgsSchema
from louise.impact.shop_schemas import ShopImpactQueryArgsSchema
from louise.localtime import BUSINESS_TZ
from louise.pages import forms
from louise.pages.i18n import page_language
from louise.pages.login import login_required

bp = Blueprint("city", __name__, url_prefix="/city")

#: what the downloads of a month offer, in this order
CSV_GROUPINGS = (GroupBy.WEEK, GroupBy.DAY, GroupBy.DISTRICT, GroupBy.MERCHANT)
CSV_LABELS = {
    GroupBy.WEEK: lambda: _("CSV, one row per week"),
    GroupBy.DAY: lambda: _("CSV, one row per day"),
    GroupBy.DISTRICT: lambda: _("CSV, one row per district"),
    GroupBy.MERCHANT: lambda: _("CSV, one row per shop"),
}


def today() -> date:
    return clock.now().astimezone(BUSINESS_TZ).date()


def number(value: float | None, pattern: str | None = None) -> str:
    """A number as the page's language writes it ("1.234,5" in German); "–" for none."""
    if value is None:
        return "–"
    return str(format_decimal(value, format=pattern))


def km(value: float | None) -> str:
    return number(value, "#,##0.0")


def percent(rate: float | None) -> str:
    """A rate 0…1 as "97,5 %" ("–" without a denominator)."""
    return "–" if rate is None else number(rate * 100, "#,##0.0") + "\u00a0%"


# --------------------------------------------------------------------------- charts


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str  # the series and value, shown as a tooltip


@dataclass(frozen=True)
class Chart:
    """A bar chart per week, as SVG geometry (the template draws it with presentation
    attributes only: the page's policy forbids inline style)."""

    key: str
    title: str
    width: int
    height: int
    left: int
    bottom: int  # y of the x axis
    ticks: tuple[tuple[float, str], ...]  # (y, label) of the y axis
    columns: tuple[tuple[float, str, bool], ...]  # (x centre, week label, withheld)
    bars: tuple[Bar, ...]
    legend: tuple[tuple[str, str], ...]  # (label, colour)

    @property
    def any_withheld(self) -> bool:
        return any(withheld for _x, _label, withheld in self.columns)


GREEN, BLUE, GREY = "#166534", "#1d4ed8", "#6b7280"
_W, _H, _LEFT, _RIGHT, _TOP, _BOTTOM = 420, 220, 58, 8, 14, 32


def _nice_top(largest: float) -> float:
    """The y axis' top: 1, 2, 2.5 or 5 × a power of ten, at least ``largest``."""
    if largest <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(largest))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= largest:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def bar_chart(
    key: str,
    title: str,
    weeks: Sequence[KpiGroup],
    series: Sequence[tuple[str, str, Any]],
    fmt: Any = number,
    top: float | None = None,
) -> Chart:
    """One group of bars per week; ``series`` = (label, colour, value of a week's figures)."""
    values = [
        [None if w.suppressed else value(w.figures) for _label, _colour, value in series]
        for w in weeks
    ]
    largest = max((v for row in values for v in row if v is not None), default=0.0)
    axis_top = top if top is not None else _nice_top(float(largest))
    plot_h = _H - _TOP - _BOTTOM
    plot_w = _W - _LEFT - _RIGHT
    slot = plot_w / max(len(weeks), 1)
    bar_w = min(40.0, slot * 0.8 / len(series))
    bars: list[Bar] = []
    columns: list[tuple[float, str, bool]] = []
    for i, week in enumerate(weeks):
        centre = _LEFT + slot * (i + 0.5)
        columns.append((round(centre, 1), week_label(week), week.suppressed))
        for n, (label, colour, _value) in enumerate(series):
            value = values[i][n]
            if value is None:
                continue
            height = plot_h * max(float(value), 0.0) / axis_top
            x = centre + (n - len(series) / 2) * bar_w
            bars.append(
                Bar(
                    round(x, 1),
                    round(_TOP + plot_h - height, 1),
                    round(bar_w - 2, 1),
                    round(height, 1),
                    colour,
                    f"{week_label(week)}, {label}: {fmt(value)}",
                )
            )
    ticks = tuple(
        (round(_TOP + plot_h - plot_h * k / 4, 1), fmt(axis_top * k / 4)) for k in range(5)
    )
    return Chart(
        key=key,
        title=title,
        width=_W,
        height=_H,
        left=_LEFT,
        bottom=_TOP + plot_h,
        ticks=ticks,
        columns=tuple(columns),
        bars=tuple(bars),
        legend=tuple((label, colour) for label, colour, _v in series),
    )


def week_label(group: KpiGroup) -> str:
    """The week's short name, "KW 48" for ``2026-W48``."""
    week = group.key.rsplit("W", 1)[-1].lstrip("0")
    return _("W%(week)s", week=week)


def weekly_charts(weeks: Sequence[KpiGroup]) -> list[Chart]:
    return [
        bar_chart(
            "usage",
            _("Bookings and deliveries per week"),
            weeks,
            (
                (_("Bookings"), GREEN, lambda f: f.bookings),
                (_("Deliveries"), BLUE, lambda f: f.deliveries),
            ),
        ),
        bar_chart(
            "on-time",
            _("Deliveries on time per week"),
            weeks,
            ((_("On time"), GREEN, lambda f: f.on_time_rate),),
            fmt=lambda v: number(v * 100, "#,##0") + "\u00a0%",
            top=1.0,
        ),
        bar_chart(
            "km",
            _("Kilometres per week: bike and e-car against the van"),
            weeks,
            (
                (_("E-cargo bike"), GREEN, lambda f: f.bike_km),
                (_("E-car"), BLUE, lambda f: f.ecar_km),
                (_("Van (comparison)"), GREY, lambda f: f.van_km),
            ),
            fmt=lambda v: number(v, "#,##0"),
        ),
        bar_chart(
            "co2e",
            _("CO2e avoided per week (kg)"),
            weeks,
            ((_("CO2e avoided"), GREEN, lambda f: f.co2e_avoided_kg),),
            fmt=km,
        ),
    ]


# --------------------------------------------------------------------------- the month


def default_month() -> date:
    """The current month, or the last month the ledger holds when this one has no day yet."""
    current = today().replace(day=1)
    built = reading.last_built_day(db.session(), not_after=today())
    if built is not None and built < current:
        return built.replace(day=1)
    return current


def _month_arg() -> tuple[date, forms.FormErrors]:
    if "month" not in request.args:
        return default_month(), forms.FormErrors()
    data, errors = forms.load_form(
        ShopImpactQueryArgsSchema(), forms.form_data(request.args, ("month",))
    )
    return (data["month"] if not errors else default_month()), errors


def _range_args(first: date, last: date, grouping: GroupBy) -> dict[str, Any]:
    return {"from": first.isoformat(), "to": last.isoformat(), "group_by": grouping.value}


@bp.get("")
@login_required(*AGGREGATE_READERS)
def dashboard() -> Any:
    """The month's figures: usage, reliability, km and CO2e, per week, district and shop."""
    first, errors = _month_arg()
    first, last = month_days(first.year, first.month)
    session = db.session()
    by_week = kpis(session, first, last, GroupBy.WEEK)
    by_district = kpis(session, first, last, GroupBy.DISTRICT)
    by_shop = kpis(session, first, last, GroupBy.MERCHANT)
    current = today().replace(day=1)
    following = last + timedelta(days=1)
    return render_template(
        "pages/city/dashboard.html",
        first=first,
        last=last,
        errors=errors,
        total=by_week.total,
        weeks=by_week.groups,
        districts=by_district.groups,
        shops=by_shop.groups,
        charts=weekly_charts(by_week.groups),
        is_future=first > current,
        is_current=first == current,
        previous=(first - timedelta(days=1)).replace(day=1),
        following=following if following <= current else None,
        downloads=[
            (
                CSV_LABELS[grouping](),
                url_for("pages.city.impact_csv", **_range_args(first, last, grouping)),
            )
            for grouping in CSV_GROUPINGS
        ],
        report_url=url_for("pages.city.report_pdf", year=first.year, month=first.month),
        number=number,
        km=km,
        percent=percent,
        week_label=week_label,
    ), (422 if errors else 200)


@bp.get("/impact.csv")
@login_required(*AGGREGATE_READERS)
def impact_csv() -> Any:
    """The open-data CSV of a range, as ``GET /api/v1/impact?format=csv`` answers it."""
    fields = ("from", "to", "group_by")
    data, errors = forms.load_form(ImpactQueryArgsSchema(), forms.form_data(request.args, fields))
    if errors:
        raise ValidationFailed(
            _("This download needs a first and last day (at most 366 days) and a grouping.")
        )
    report = kpis(db.session(), data["from_"], data["to"], GroupBy(data["group_by"]))
    name = f"louise-impact-{report.first}-{report.last}-{report.group_by.value}.csv"
    response = Response(report_csv(report), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/report-<int(fixed_digits=4):year>-<int(fixed_digits=2):month>.pdf")
@login_required(*AGGREGATE_READERS)
def report_pdf(year: int, month: int) -> Any:
    """The month's report as a PDF, made on request (as ``flask impact-report``)."""
    if not 1 <= month <= 12 or year < 2000:
        abort(404)
    report = build_report(db.session(), year, month, page_language())
    pdf = render_report(report, today())
    response = Response(pdf, mimetype="application/pdf")
    name = f"louise-report-{year}-{month:02d}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
