"""The route sheet as a PDF (ReportLab): A4 landscape, the same header, map and stop table
as the HTML page.

The text is set in Source Sans Pro, embedded from the ``font-source-sans-pro`` package (SIL
Open Font License 1.1): ReportLab's built-in Helvetica only knows cp1252 and printed the demo's
tailor "Yılmaz" as "Y?lmaz". The font covers Latin with all its European accents (Turkish,
Polish, Czech, …), Greek and Cyrillic; a character it lacks (Chinese, emoji) is replaced so
that no glyph prints as an empty box. No italics: the package's italic lacks Greek and
Cyrillic, so notes are set apart by colour instead."""

from __future__ import annotations

import io
import unicodedata
from functools import cache
from importlib.resources import files
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from louise.dispatch.sheets import svgmap
from louise.dispatch.sheets.i18n import labels
from louise.dispatch.sheets.model import RouteSheet, SheetStop

PAGE = landscape(A4)
MARGIN = 12 * mm
MAP_W, MAP_H = 330.0, 215.0
# Nr, time, task, address, contact, parcel, locker, signature (sum = page width - margins)
COLUMNS = (26.0, 62.0, 132.0, 178.0, 100.0, 78.0, 70.0, 0.0)

FONT = "SourceSansPro"
FONT_BOLD = "SourceSansPro-Bold"
_FONT_FILES = {FONT: "SourceSansPro-Regular.ttf", FONT_BOLD: "SourceSansPro-Bold.ttf"}
NOTE_COLOUR = "#374151"

_BASE = ParagraphStyle("cell", fontName=FONT, fontSize=9, leading=10.5)
_BOLD = ParagraphStyle("bold", parent=_BASE, fontName=FONT_BOLD)
_SEQ = ParagraphStyle("seq", parent=_BOLD, fontSize=11.5, leading=13, alignment=1)
_HEAD = ParagraphStyle("head", parent=_BOLD, fontSize=9)
_TITLE = ParagraphStyle("title", parent=_BOLD, fontSize=19, leading=22, spaceAfter=6)
_FACT = ParagraphStyle("fact", parent=_BASE, fontSize=11.5, leading=15)
_SMALL = ParagraphStyle("small", parent=_BASE, fontSize=8, leading=9, textColor=colors.grey)

# Stand-ins for characters the font lacks; anything else it lacks becomes "?".
_REPLACEMENTS = {"\u2009": " ", "\u202f": " ", "\u200a": " ", "→": "->", "←": "<-", "✓": "x"}


@cache
def printable() -> frozenset[int]:
    """Register the embedded font with ReportLab (once) and return the code points that both
    its weights can print."""
    folder = files("font_source_sans_pro") / "files"
    faces = []
    for name, filename in _FONT_FILES.items():
        font = TTFont(name, str(folder / filename))
        pdfmetrics.registerFont(font)
        faces.append(frozenset(font.face.charToGlyph))
    # <b> in Paragraph markup picks the bold face; the upright faces stand in for italics
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )
    return faces[0] & faces[1]


def plain_text(value: object | None) -> str:
    """``value`` as text the embedded font can print: composed (NFC), with characters it
    lacks replaced."""
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    known = printable()
    return "".join(c if ord(c) in known or c in "\n\t" else _REPLACEMENTS.get(c, "?") for c in text)


def pdf_text(value: object | None) -> str:
    """:func:`plain_text`, escaped for Paragraph markup."""
    return escape(plain_text(value))


def _note(text: str) -> str:
    return f'<font color="{NOTE_COLOUR}">{text}</font>'


def map_drawing(sheet: RouteSheet, width: float = MAP_W, height: float = MAP_H) -> Drawing:
    """The map of :mod:`svgmap` drawn with ReportLab shapes (y flipped: PDF y grows upwards)."""
    points, marks = sheet.map_points()
    geo = svgmap.layout(points, marks, width, height, hub=sheet.hub)
    ink = colors.HexColor(svgmap.INK)
    blue = colors.HexColor(svgmap.LINE_COLOUR)
    drawing = Drawing(width, height)
    drawing.initialFontName = FONT  # else the renderer starts every map in Helvetica
    drawing.add(
        Rect(0, 0, width, height, fillColor=colors.HexColor("#f8fafc"), strokeColor=colors.grey)
    )

    def flip(xy: tuple[float, float]) -> tuple[float, float]:
        return xy[0], height - xy[1]

    if len(geo.line) > 1:
        flat = [c for xy in geo.line for c in flip(xy)]
        drawing.add(PolyLine(flat, strokeColor=blue, strokeWidth=2, strokeLineJoin=1))
    for x, y, angle in geo.arrows:
        tri = [c for xy in svgmap.arrow_polygon(x, y, angle) for c in flip(xy)]
        drawing.add(Polygon(tri, fillColor=blue, strokeColor=None))
    for m in geo.markers:
        x, y = flip((m.x, m.y))
        if m.hub:
            drawing.add(
                Rect(
                    x - 6,
                    y - 6,
                    12,
                    12,
                    fillColor=colors.HexColor(svgmap.HUB_COLOUR),
                    strokeColor=ink,
                    strokeWidth=0.8,
                )
            )
            continue
        w = svgmap.marker_width(m.text) * 0.8
        drawing.add(
            Rect(
                x - w / 2,
                y - 7,
                w,
                14,
                rx=7,
                ry=7,
                fillColor=colors.white,
                strokeColor=ink,
                strokeWidth=1,
            )
        )
        drawing.add(
            String(
                x,
                y - 3,
                plain_text(m.text),
                fontName=FONT_BOLD,
                fontSize=8,
                textAnchor="middle",
            )
        )
    if geo.scale_px:
        x0, y0 = 12.0, 10.0
        drawing.add(Line(x0, y0, x0 + geo.scale_px, y0, strokeColor=ink, strokeWidth=1.2))
        drawing.add(Line(x0, y0, x0, y0 + 4, strokeColor=ink, strokeWidth=1.2))
        drawing.add(
            Line(x0 + geo.scale_px, y0, x0 + geo.scale_px, y0 + 4, strokeColor=ink, strokeWidth=1.2)
        )
        drawing.add(
            String(x0 + geo.scale_px + 5, y0 - 1, geo.scale_label, fontName=FONT, fontSize=8)
        )
    return drawing


def _cell(parts: list[str], style: ParagraphStyle = _BASE) -> Paragraph:
    return Paragraph("<br/>".join(p for p in parts if p), style)


def _row(stop: SheetStop, t: dict[str, str]) -> list[object]:
    task = [f"<b>{pdf_text(stop.action)}</b>", pdf_text(stop.item)]
    if stop.for_whom:
        task.append(f"{pdf_text(t['for'])} {pdf_text(stop.for_whom)}")
    address = [pdf_text(stop.address)]
    if stop.access_notes:
        address.append(_note(pdf_text(stop.access_notes)))
    parcel = [f"<b>{pdf_text(stop.booking_code)}</b>" if stop.booking_code else ""]
    if stop.parcel_size:
        parcel.append(f"{pdf_text(t['size'])} {pdf_text(stop.parcel_size)}")
    locker = [
        f"{pdf_text(t['compartment'])} {pdf_text(stop.compartment)}" if stop.compartment else ""
    ]
    if stop.pin:
        locker.append(f"{pdf_text(t['pin'])} <b>{pdf_text(stop.pin)}</b>")
    elif stop.pin_hidden:
        locker.append(f"{pdf_text(t['pin'])}: {_note(pdf_text(t['pin_hidden']))}")
    return [
        Paragraph(str(stop.seq), _SEQ),
        _cell([pdf_text(stop.time_window), pdf_text(stop.type_label)]),
        _cell(task),
        _cell(address),
        _cell([pdf_text(stop.contact_name), pdf_text(stop.contact_phone)]),
        _cell(parcel),
        _cell(locker),
        "",
    ]


def render_pdf(sheet: RouteSheet) -> bytes:
    """The sheet as PDF bytes in the sheet's language."""
    printable()  # registers the font
    t = labels(sheet.lang)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=plain_text(sheet.title),
        author="louise",
        lang=sheet.lang,
        initialFontName=FONT,  # else every page starts in Helvetica
    )
    facts = sheet.facts(t)
    left: list[object] = [Paragraph(pdf_text(t["title"]), _TITLE)]
    left += [Paragraph(f"<b>{pdf_text(k)}:</b> {pdf_text(v)}", _FACT) for k, v in facts]
    right = [map_drawing(sheet), Paragraph(pdf_text(t["map_note"]), _SMALL)]
    usable = PAGE[0] - 2 * MARGIN
    header = Table([[left, right]], colWidths=[usable - MAP_W - 6, MAP_W + 6])
    header.setStyle(
        TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )

    heads = ("seq", "time", "task", "address", "contact", "parcel", "locker", "signature")
    rows: list[list[object]] = [[Paragraph(pdf_text(t[h]), _HEAD) for h in heads]]
    rows += [_row(stop, t) for stop in sheet.stops]
    widths = list(COLUMNS)
    widths[-1] = usable - sum(COLUMNS)
    table = Table(rows, colWidths=widths, repeatRows=1)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#9ca3af")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e5e7eb")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 1), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 1), (-1, -1), 6),
    ]
    for i, stop in enumerate(sheet.stops, start=1):
        if not stop.is_task:
            style.append(("BACKGROUND", (0, i), (-1, i), colors.HexColor("#f3f4f6")))
    table.setStyle(TableStyle(style))
    story: list[object] = [header, Spacer(1, 8), table]
    if not sheet.stops:
        story.append(Paragraph(pdf_text(t["no_route"]), _BASE))

    def footer(canvas: Any, document: Any) -> None:
        page = canvas.getPageNumber()
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.drawRightString(
            PAGE[0] - MARGIN,
            MARGIN / 2,
            plain_text(f"{sheet.courier_name} · {sheet.day:%d.%m.%Y} · {page}"),
        )
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
