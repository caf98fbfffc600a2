"""The route sheet as one self-contained HTML5 page: inline CSS and SVG, no scripts, no
external resources, so it prints and opens offline."""

from __future__ import annotations

from html import escape

from louise.dispatch.sheets.i18n import labels
from louise.dispatch.sheets.model import RouteSheet, SheetStop
from louise.dispatch.sheets.svgmap import route_svg

MAP_WIDTH = 560
MAP_HEIGHT = 380

_CSS = """
*{box-sizing:border-box}
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;font-size:13px;color:#111827;
margin:16px;background:#fff}
header.sheet{display:flex;gap:24px;align-items:flex-start;justify-content:space-between}
h1{font-size:22px;margin:0 0 8px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:0;font-size:15px}
dl.facts dt{font-weight:bold}
dl.facts dd{margin:0}
figure.map{margin:0}
figure.map figcaption{font-size:11px;color:#4b5563;margin-top:2px}
table.stops{width:100%;border-collapse:collapse;margin-top:14px}
table.stops th,table.stops td{border:1px solid #9ca3af;padding:4px 6px;vertical-align:top;
text-align:left}
table.stops th{background:#e5e7eb;font-size:12px}
table.stops td.seq{font-weight:bold;font-size:15px;text-align:center;width:3em}
table.stops td.time{white-space:nowrap;width:7.5em}
td.sign{width:13em;min-height:3em}
tr.break td,tr.start td,tr.end td{background:#f3f4f6}
.what{font-weight:bold;text-transform:uppercase;font-size:12px}
.type{font-size:11px;color:#4b5563}
.notes{font-size:12px;color:#374151;font-style:italic}
.code{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-weight:bold}
.pin{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-weight:bold;font-size:15px}
@media print{
 @page{size:A4 landscape;margin:10mm}
 body{margin:0;font-size:11px}
 table.stops thead{display:table-header-group}
 table.stops tr{break-inside:avoid;page-break-inside:avoid}
 figure.map svg{width:120mm;height:auto}
 tr.break td,tr.start td,tr.end td,table.stops th{-webkit-print-color-adjust:exact;
 print-color-adjust:exact}
}
"""


# the page's only inline content besides SVG: served with a CSP that allows exactly this hash
INLINE_STYLES = (_CSS,)


def _e(value: object | None) -> str:
    return escape("" if value is None else str(value))


def _row(stop: SheetStop, t: dict[str, str]) -> str:
    task = [f'<span class="what">{_e(stop.action)}</span>']
    if stop.item:
        task.append(_e(stop.item))
    if stop.for_whom:
        task.append(f"{_e(t['for'])} {_e(stop.for_whom)}")
    address = [_e(stop.address)]
    if stop.access_notes:
        address.append(f'<span class="notes">{_e(stop.access_notes)}</span>')
    contact = [_e(part) for part in (stop.contact_name, stop.contact_phone) if part]
    parcel = []
    if stop.booking_code:
        parcel.append(f'<span class="code">{_e(stop.booking_code)}</span>')
    if stop.parcel_size:
        parcel.append(f"{_e(t['size'])} {_e(stop.parcel_size)}")
    locker = []
    if stop.compartment:
        locker.append(f"{_e(t['compartment'])} {_e(stop.compartment)}")
    if stop.pin:
        locker.append(f'{_e(t["pin"])} <span class="pin">{_e(stop.pin)}</span>')
    elif stop.pin_hidden:
        locker.append(f'{_e(t["pin"])}: <span class="notes">{_e(t["pin_hidden"])}</span>')
    sign = '<td class="sign"></td>' if stop.is_task else "<td></td>"
    return (
        f'<tr class="{_e(stop.type)}" data-seq="{stop.seq}">'
        f'<td class="seq">{stop.seq}</td>'
        f'<td class="time">{_e(stop.time_window)}<br><span class="type">'
        f"{_e(stop.type_label)}</span></td>"
        f"<td>{'<br>'.join(task)}</td>"
        f'<td class="address">{"<br>".join(address)}</td>'
        f"<td>{'<br>'.join(contact)}</td>"
        f"<td>{'<br>'.join(parcel)}</td>"
        f"<td>{'<br>'.join(locker)}</td>"
        f"{sign}</tr>"
    )


def render_html(sheet: RouteSheet) -> str:
    """The sheet as a complete HTML5 document in the sheet's language."""
    t = labels(sheet.lang)
    points, marks = sheet.map_points()
    svg = route_svg(
        points, marks, MAP_WIDTH, MAP_HEIGHT, hub=sheet.hub, title=f"{t['map']} {sheet.route_id}"
    )
    facts = sheet.facts(t)
    facts_html = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    heads = ("seq", "time", "task", "address", "contact", "parcel", "locker", "signature")
    head_html = "".join(f"<th>{_e(t[h])}</th>" for h in heads)
    rows = "\n".join(_row(stop, t) for stop in sheet.stops)
    if not sheet.stops:
        rows = f'<tr><td colspan="{len(heads)}">{_e(t["no_route"])}</td></tr>'
    return f"""<!DOCTYPE html>
<html lang="{sheet.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(sheet.title)}</title>
<style>{_CSS}</style>
</head>
<body>
<header class="sheet">
<div>
<h1>{_e(t["title"])}</h1>
<dl class="facts">{facts_html}</dl>
</div>
<figure class="map">
{svg}
<figcaption>{_e(t["map_note"])}</figcaption>
</figure>
</header>
<main>
<table class="stops">
<thead><tr>{head_html}</tr></thead>
<tbody>
{rows}
</tbody>
</table>
</main>
</body>
</html>
"""
