"""The city's monthly impact report as a PDF (``flask impact-report``).

Page 1 the headline figures of the month; then charts per ISO week (deliveries, on-time
rate, bike km against avoided van km), a table per district, the method and the factor
table(s) with sources and years. The figures are ``kpis`` — the same as the API, the same
suppression of groups under five bookings. Texts: ``report_texts`` (German by default).
Charts: matplotlib's object API on the Agg canvas (no pyplot, no display, no global state);
text in the route sheets' embedded Source Sans Pro (umlauts, any European name).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import escape

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from sqlalchemy.orm import Session

from louise.dispatch.sheets.pdf import FONT, FONT_BOLD, plain_text
from louise.impact.factors import Factors, factors, stored_factors
from louise.impact.kpis import MIN_GROUP_BOOKINGS, Figures, GroupBy, KpiGroup, kpis
from louise.impact.report_texts import month_name, number, percent, texts

MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN

_BODY = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=13)
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8, leading=10)
_H1 = ParagraphStyle("h1", fontName=FONT_BOLD, fontSize=20, leading=24, spaceAfter=6)
_H2 = ParagraphStyle("h2", fontName=FONT_BOLD, fontSize=13, leading=16, spaceBefore=8)
_CELL = ParagraphStyle("cell", parent=_BODY, fontSize=8.5, leading=10.5)
_HEAD = ParagraphStyle("head", parent=_CELL, fontName=FONT_BOLD, fontSize=7.5, leading=9)
_BIG = ParagraphStyle("big", fontName=FONT_BOLD, fontSize=16, leading=19, alignment=2)


@dataclass(frozen=True)
class MonthlyReport:
    """What the PDF shows; built from the database, rendered without it."""

    year: int
    month: int
    lang: str
    first: date
    last: date
    total: KpiGroup
    weeks: tuple[KpiGroup, ...]
    districts: tuple[KpiGroup, ...]
    factor_tables: tuple[tuple[int | None, Factors], ...]  # (version or None: defaults)


def month_days(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def build_report(session: Session, year: int, month: int, lang: str = "de") -> MonthlyReport:
    """The month's figures: in total, per ISO week, per district; the factor tables used."""
    first, last = month_days(year, month)
    by_week = kpis(session, first, last, GroupBy.WEEK)
    by_district = kpis(session, first, last, GroupBy.DISTRICT)
    tables: list[tuple[int | None, Factors]] = []
    for version in by_week.factor_set_versions:
        stored = stored_factors(session, version)
        if stored is not None:
            tables.append((version, stored))
    if not tables:
        tables.append((None, factors()))
    return MonthlyReport(
        year=year,
        month=month,
        lang="en" if lang == "en" else "de",
        first=first,
        last=last,
        total=by_week.total,
        weeks=by_week.groups,
        districts=by_district.groups,
        factor_tables=tuple(tables),
    )


def _day(value: date, lang: str) -> str:
    return value.isoformat() if lang == "en" else value.strftime("%d.%m.%Y")


def _p(text: str, style: ParagraphStyle = _BODY) -> Paragraph:
    return Paragraph(escape(plain_text(text)), style)


def _headline(report: MonthlyReport) -> list[object]:
    t, lang, f = texts(report.lang), report.lang, report.total.figures
    rows = [
        ("deliveries", number(f.deliveries, 0, lang)),
        ("bookings", number(f.bookings, 0, lang)),
        ("bike_km", number(f.bike_km, 1, lang)),
        ("ecar_km", number(f.ecar_km, 1, lang)),
        ("van_km", number(f.van_km, 1, lang)),
        ("van_km_avoided", number(f.van_km_avoided, 1, lang)),
        ("co2e_avoided_kg", number(f.co2e_avoided_kg, 1, lang)),
        ("on_time_rate", percent(f.on_time_rate, lang)),
        ("failed_attempt_rate", percent(f.failed_attempt_rate, lang)),
        ("point_locker_share", percent(f.point_locker_share, lang)),
        ("active_residents", number(f.active_residents, 0, lang)),
        ("active_shops", number(f.active_shops, 0, lang)),
        ("round_trips", number(f.round_trips, 0, lang)),
        ("avg_turnaround_days", number(f.avg_turnaround_days, 1, lang)),
        ("stops_per_route", number(f.stops_per_route, 1, lang)),
    ]
    table = Table(
        [[_p(t[key]), _p(value, _BIG)] for key, value in rows],
        colWidths=(WIDTH * 0.6, WIDTH * 0.4),
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, -2), 0.3, colors.lightgrey),
                ("BACKGROUND", (0, 5), (-1, 6), colors.HexColor("#e8f5e9")),
            ]
        )
    )
    return [table]


def _chart(title: str, weeks: list[str], series: list[tuple[str, list[float], str]]) -> Image:
    """A bar chart (one bar group per week) as a PNG flowable; NaN: withheld week."""
    figure = Figure(figsize=(7.0, 2.4), dpi=150)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    width = 0.8 / len(series)
    for n, (label, values, colour) in enumerate(series):
        offsets = [i + (n - (len(series) - 1) / 2) * width for i in range(len(weeks))]
        axes.bar(offsets, values, width=width, label=label, color=colour)
    for i in range(len(weeks)):
        if all(math.isnan(values[i]) for _, values, _ in series):
            axes.annotate("–", (i, 0), ha="center", va="bottom", color="grey")  # withheld
    axes.set_xticks(range(len(weeks)), weeks)
    axes.set_title(title, fontsize=10)
    axes.grid(axis="y", alpha=0.3)
    if len(series) > 1:
        axes.legend(fontsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    buffer.seek(0)
    return Image(buffer, width=WIDTH, height=WIDTH * 2.4 / 7.0)


def _value(value: float | int | None, scale: float = 1.0) -> float:
    return math.nan if value is None else float(value) * scale


def _charts(report: MonthlyReport) -> list[object]:
    t = texts(report.lang)
    weeks = [f"{t['week']} {g.key.split('-W')[1]}" for g in report.weeks]
    figs: list[Figures] = [g.figures for g in report.weeks]
    return [
        _p(t["charts"], _H2),
        _chart(
            t["chart_deliveries"],
            weeks,
            [(t["deliveries"], [_value(f.deliveries) for f in figs], "#2e7d32")],
        ),
        _chart(
            t["chart_on_time"],
            weeks,
            [(t["on_time_rate"], [_value(f.on_time_rate, 100) for f in figs], "#1565c0")],
        ),
        _chart(
            t["chart_km"],
            weeks,
            [
                (
                    t["legend_bike"],
                    [_value(f.bike_km) + _value(f.ecar_km) for f in figs],
                    "#2e7d32",
                ),
                (t["legend_avoided"], [_value(f.van_km_avoided) for f in figs], "#9e9e9e"),
            ],
        ),
    ]


def _districts(report: MonthlyReport) -> list[object]:
    t, lang = texts(report.lang), report.lang
    head = [
        "district",
        "bookings",
        "deliveries",
        "on_time_rate",
        "bike_km",
        "van_km_avoided",
        "co2e_avoided_kg",
    ]
    rows: list[list[object]] = [[_p(t[key], _HEAD) for key in head]]
    for group in (*report.districts, report.total):
        f = group.figures
        rows.append(
            [
                _p(group.label if group.key != "total" else "Σ", _CELL),
                _p(number(f.bookings, 0, lang), _CELL),
                _p(number(f.deliveries, 0, lang), _CELL),
                _p(percent(f.on_time_rate, lang), _CELL),
                _p(number(f.bike_km, 1, lang), _CELL),
                _p(number(f.van_km_avoided, 1, lang), _CELL),
                _p(number(f.co2e_avoided_kg, 1, lang), _CELL),
            ]
        )
    widths = (0.17, 0.1, 0.13, 0.12, 0.13, 0.17, 0.18)
    table = Table(rows, colWidths=[WIDTH * w for w in widths])
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.6, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return [_p(t["districts"], _H2), table]


def _method(report: MonthlyReport) -> list[object]:
    t, lang = texts(report.lang), report.lang
    out: list[object] = [
        _p(t["method"], _H2),
        _p(t["method_text"].format(n=MIN_GROUP_BOOKINGS)),
    ]
    for version, table in report.factor_tables:
        title = t["defaults"] if version is None else t["factors"].format(version=version)
        rows: list[list[object]] = [
            [_p(t[key], _CELL) for key in ("factor", "value", "year", "source")]
        ]
        for factor in table.rows:
            rows.append(
                [
                    _p(t.get(f"factor.{factor.key}", factor.key), _CELL),
                    _p(
                        f"{number(factor.value, 3, lang).rstrip('0').rstrip(',.')} {factor.unit}",
                        _CELL,
                    ),
                    _p(str(factor.year), _CELL),
                    _p(f"{factor.source} {factor.url}", _CELL),
                ]
            )
        grid = Table(rows, colWidths=[WIDTH * w for w in (0.17, 0.15, 0.07, 0.61)])
        grid.setStyle(
            TableStyle(
                [
                    ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.lightgrey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        out += [_p(title, _H2), grid]
    return out


def render_report(report: MonthlyReport, today: date) -> bytes:
    """The PDF (A4 portrait)."""
    t, lang = texts(report.lang), report.lang
    month = f"{month_name(report.month, lang)} {report.year}"
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=plain_text(t["title"].format(month=month)),
        author="louise",
    )

    def footer(canvas: object, document: SimpleDocTemplate) -> None:
        text = t["footer"].format(today=_day(today, lang), page=document.page)
        canvas.setFont(FONT, 8)  # type: ignore[attr-defined]
        canvas.drawString(MARGIN, 10 * mm, plain_text(text))  # type: ignore[attr-defined]

    story: list[object] = [
        _p(t["title"].format(month=month), _H1),
        _p(t["subtitle"].format(first=_day(report.first, lang), last=_day(report.last, lang))),
        Spacer(1, 6 * mm),
        _p(t["headline"], _H2),
        *_headline(report),
        Spacer(1, 4 * mm),
        _p(t["withheld_note"].format(n=MIN_GROUP_BOOKINGS), _SMALL),
    ]
    if report.factor_tables[0][0] is None:
        story.append(_p(t["no_ledger"], _SMALL))
    story += [PageBreak(), *_charts(report), PageBreak(), *_districts(report), *_method(report)]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
