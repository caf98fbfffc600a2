"""Printable route sheets: one HTML page and one PDF per route, with a map drawn from
coordinates (works offline). German by default, English on request.

    sheet = build_sheet(session, route, "de")
    render_html(sheet) -> str;  render_pdf(sheet) -> bytes
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.orm import Session

from louise.dispatch.models import Plan
from louise.dispatch.sheets.html import render_html
from louise.dispatch.sheets.model import RouteSheet, SheetStop, build_sheet
from louise.dispatch.sheets.pdf import render_pdf
from louise.dispatch.sheets.svgmap import route_svg

__all__ = [
    "RouteSheet",
    "SheetStop",
    "build_sheet",
    "render_html",
    "render_pdf",
    "route_svg",
    "sheet_filename",
    "write_plan_sheets",
]


def sheet_filename(sheet: RouteSheet, suffix: str) -> str:
    """``2026-11-23_route-7_kurier-1.pdf``: sortable by day, readable in a folder."""
    ascii_name = (
        sheet.courier_name.lower()
        .replace("ä", "ae")
        .replace("ö", "oe")
        .replace("ü", "ue")
        .replace("ß", "ss")
    )
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-") or "courier"
    return f"{sheet.day.isoformat()}_route-{sheet.route_id}_{slug}.{suffix}"


def write_plan_sheets(
    session: Session,
    plan: Plan,
    folder: str | Path,
    lang: str = "de",
    *,
    show_pins: bool = False,
    hub_label: str | None = None,
) -> list[Path]:
    """Write every route's sheet of ``plan`` into ``folder`` as HTML and PDF; the paths
    written, HTML before PDF, routes in id order. ``show_pins`` prints locker PINs (sheets
    handed to the couriers themselves)."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for route in plan.routes:
        sheet = build_sheet(session, route, lang, show_pins=show_pins, hub_label=hub_label)
        html_path = target / sheet_filename(sheet, "html")
        html_path.write_text(render_html(sheet), encoding="utf-8")
        pdf_path = target / sheet_filename(sheet, "pdf")
        pdf_path.write_bytes(render_pdf(sheet))
        written += [html_path, pdf_path]
    return written
