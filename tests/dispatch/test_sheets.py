"""Route sheets: the PDF read back, the HTML page in both languages, the offline SVG map,
who may print which sheet, and the page in a real headless Chromium without console errors."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from html import escape
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from louise.bookings.models import DeliveryPoint, DestinationType, Leg
from louise.dispatch.models import Plan
from louise.dispatch.sheets import (
    RouteSheet,
    SheetStop,
    build_sheet,
    render_html,
    render_pdf,
    route_svg,
    write_plan_sheets,
)
from louise.dispatch.sheets.pdf import plain_text
from tests.support.dispatch import HUB, MONDAY

SVG_NS = "{http://www.w3.org/2000/svg}"


def _flat(text: str) -> str:
    """Text with every run of whitespace as one space: table cells wrap long addresses."""
    return re.sub(r"\s+", " ", text)


@pytest.fixture()
def locker(db_session: Any) -> DeliveryPoint:
    point = DeliveryPoint(
        kind=DestinationType.LOCKER,
        name="Paketschließfach Hauptbahnhof",
        address_label="Bahnhofstraße 1, 46236 Bottrop",
        lat=51.5189,
        lon=6.9300,
        compartments={"S": 4, "M": 2, "L": 1, "XL": 0},
        access_notes="24/7, Eingang Bahnhofsvorplatz",
    )
    db_session.add(point)
    db_session.commit()
    return point


@pytest.fixture()
def locker_booking(book: Any, offers: dict[str, Any], make_user: Any, locker: Any) -> Any:
    r = book(make_user("customer"), offers["product"], destination="locker", point_id=locker.id)
    assert r.status_code == 201, r.json
    return r.json


@pytest.fixture()
def planned(
    client: Any,
    auth_headers: Callable[..., dict[str, str]],
    db_session: Any,
    fleet: Any,
    day_bookings: Any,
) -> Any:
    """The Monday planned through the API (inline in the test app): headers, plan, codes."""
    dispatcher = auth_headers("dispatcher")
    r = client.post("/api/v1/plans", json={"date": MONDAY.isoformat()}, headers=dispatcher)
    assert r.status_code == 202, r.json
    plan = client.get(f"/api/v1/plans/{r.json['id']}", headers=dispatcher).json
    assert plan["status"] == "draft" and plan["routes"], plan
    codes = {leg.id: leg.booking.code for leg in db_session.scalars(select(Leg))}
    return SimpleNamespace(dispatcher=dispatcher, plan=plan, codes=codes)


def _numbers(label: str) -> set[int]:
    """'3,10–13' → {3, 10, 11, 12, 13}; the scale bar's '500 m' gives nothing."""
    found: set[int] = set()
    for part in label.split(","):
        first, _, last = part.partition("–")
        if first.isdigit() and (last.isdigit() or not last):
            found |= set(range(int(first), int(last or first) + 1))
    return found


def _url(plan: dict[str, Any], route: dict[str, Any], suffix: str) -> str:
    return f"/api/v1/plans/{plan['id']}/routes/{route['id']}/sheet.{suffix}"


def _task_stops(route: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in route["stops"] if s["type"] in ("pickup", "delivery")]


# --- the PDF and the HTML page through the API ------------------------------------------------


def test_pdf_sheet_contains_every_stop_address_and_booking_code(client, planned):
    for route in planned.plan["routes"]:
        r = client.get(_url(planned.plan, route, "pdf"), headers=planned.dispatcher)
        assert r.status_code == 200
        assert r.mimetype == "application/pdf"
        assert r.headers["Content-Disposition"].startswith("inline; filename=")
        assert r.headers["Content-Disposition"].endswith('.pdf"')
        assert "no-store" in r.headers["Cache-Control"]
        reader = PdfReader(io.BytesIO(r.data))
        text = _flat(" ".join(page.extract_text() for page in reader.pages))
        assert "Tourenblatt" in text and "Kurier" in text
        stops = _task_stops(route)
        assert stops
        for stop in stops:
            assert _flat(stop["label"]) in text, stop["label"]
            assert planned.codes[stop["leg_id"]] in text
        assert f"Stopps: {len(stops)}" in text


def test_html_sheet_lists_every_stop_in_german_by_default(client, planned):
    route = planned.plan["routes"][0]
    r = client.get(_url(planned.plan, route, "html"), headers=planned.dispatcher)
    assert r.status_code == 200
    assert r.mimetype == "text/html" and r.mimetype_params["charset"] == "utf-8"
    assert r.headers["Content-Language"] == "de"
    page = r.get_data(as_text=True)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="de">' in page
    for word in ("Tourenblatt", "Fahrzeug", "Stopps", "Unterschrift / Notiz", "abholen"):
        assert word in page
    external = page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in page and "http://" not in external and "https://" not in external
    rows = re.findall(r'<tr class="(\w+)" data-seq="(\d+)">', page)
    assert [int(seq) for _, seq in rows] == [s["seq"] for s in route["stops"]]
    for stop in _task_stops(route):
        assert _escaped(stop["label"]) in page
        assert planned.codes[stop["leg_id"]] in page


def test_html_sheet_csp_allows_its_one_inline_style_and_nothing_else(client, planned):
    route = planned.plan["routes"][0]
    r = client.get(_url(planned.plan, route, "html"), headers=planned.dispatcher)
    page = r.get_data(as_text=True)
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert len(styles) == 1
    digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    assert r.headers["Content-Security-Policy"] == (
        f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )
    # what that policy would block is not on the page: style attributes, scripts, loads
    assert " style=" not in page and "<script" not in page and "<link" not in page
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    pdf = client.get(_url(planned.plan, route, "pdf"), headers=planned.dispatcher)
    assert pdf.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


def _escaped(text: str) -> str:
    from html import escape

    return escape(text)


def test_html_sheet_speaks_english_when_asked(client, planned):
    route = planned.plan["routes"][0]
    headers = {**planned.dispatcher, "Accept-Language": "en-GB,en;q=0.9,de;q=0.5"}
    r = client.get(_url(planned.plan, route, "html"), headers=headers)
    page = r.get_data(as_text=True)
    assert r.headers["Content-Language"] == "en" and '<html lang="en">' in page
    for word in ("Route sheet", "Vehicle", "Signature / note", "collect", "Monday, 23 November"):
        assert word in page
    assert "Tourenblatt" not in page
    pdf = client.get(_url(planned.plan, route, "pdf"), headers=headers)
    text = _flat(PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text())
    assert "Route sheet" in text and "Courier" in text


def test_html_sheet_map_is_an_inline_well_formed_svg_with_every_place(client, planned):
    route = planned.plan["routes"][0]
    page = client.get(_url(planned.plan, route, "html"), headers=planned.dispatcher).get_data(
        as_text=True
    )
    found = re.search(r"<svg .*?</svg>", page, re.S)
    assert found
    svg = ET.fromstring(found.group(0))
    assert svg.tag == f"{SVG_NS}svg"
    polyline = svg.find(f"{SVG_NS}polyline")
    assert polyline is not None
    placed = [s for s in route["stops"] if s["type"] != "break"]
    assert len(polyline.get("points", "").split()) == len(placed)
    numbers = {n for t in svg.iter(f"{SVG_NS}text") for n in _numbers(t.text or "")}
    for stop in _task_stops(route):
        assert stop["seq"] in numbers
    assert svg.find(f".//{SVG_NS}rect[@class='hub']") is not None
    assert svg.find(f".//{SVG_NS}g[@class='scale']") is not None


def test_locker_pin_is_on_the_couriers_own_sheet_only(client, auth_headers, planned_with_locker):
    p = planned_with_locker
    route = next(
        r for r in p.plan["routes"] if any(s["leg_id"] in p.locker_legs for s in r["stops"])
    )
    staff = client.get(_url(p.plan, route, "html"), headers=p.dispatcher).get_data(as_text=True)
    assert p.pin not in staff and "nur auf dem Kurier-Blatt" in staff
    assert f"Fach {p.size}" in staff and "ins Fach legen" in staff
    client.post(f"/api/v1/plans/{p.plan['id']}/publish", headers=p.dispatcher)
    courier = auth_headers(p.courier_of(route))
    own = client.get(f"/api/v1/courier/routes/{route['id']}/sheet.html", headers=courier)
    assert own.status_code == 200
    assert f'PIN <span class="pin">{p.pin}</span>' in own.get_data(as_text=True)
    pdf = client.get(f"/api/v1/courier/routes/{route['id']}/sheet.pdf", headers=courier)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = _flat(" ".join(pg.extract_text() for pg in PdfReader(io.BytesIO(pdf.data)).pages))
    assert p.pin in text and "24/7, Eingang Bahnhofsvorplatz" in text


@pytest.fixture()
def planned_with_locker(
    client: Any, auth_headers: Any, fleet: Any, day_bookings: Any, locker_booking: Any
) -> Any:
    dispatcher = auth_headers("dispatcher")
    plan_id = client.post(
        "/api/v1/plans", json={"date": MONDAY.isoformat()}, headers=dispatcher
    ).json["id"]
    plan = client.get(f"/api/v1/plans/{plan_id}", headers=dispatcher).json
    couriers = {shift.courier_id: shift.courier for shift in fleet}
    return SimpleNamespace(
        dispatcher=dispatcher,
        plan=plan,
        pin=locker_booking["pickup_pin"],
        size=locker_booking["parcel_size"],
        locker_legs={leg["id"] for leg in locker_booking["legs"]},
        courier_of=lambda route: couriers[route["courier_id"]],
    )


# --- who may print which sheet ------------------------------------------------------------------


def test_sheets_are_for_dispatchers_and_the_routes_own_courier_after_publishing(
    client, auth_headers, planned, fleet
):
    plan, route = planned.plan, planned.plan["routes"][0]
    own_url = f"/api/v1/courier/routes/{route['id']}/sheet.html"
    for role in ("customer", "merchant", "courier"):
        r = client.get(_url(plan, route, "pdf"), headers=auth_headers(role))
        assert r.status_code == 403, role
    for role in ("customer", "merchant", "dispatcher"):
        assert client.get(own_url, headers=auth_headers(role)).status_code == 403, role
    assert client.get(_url(plan, route, "html")).status_code == 401
    admin = auth_headers("admin")
    assert client.get(_url(plan, route, "html"), headers=admin).status_code == 200
    wrong_plan = {**plan, "id": plan["id"] + 1000}
    r = client.get(_url(wrong_plan, route, "html"), headers=planned.dispatcher)
    assert r.status_code == 404 and r.json["error"] == "not_found"

    owner = next(s.courier for s in fleet if s.courier_id == route["courier_id"])
    other = next(s.courier for s in fleet if s.courier_id != route["courier_id"])
    assert client.get(own_url, headers=auth_headers(owner)).status_code == 404  # still a draft
    client.post(f"/api/v1/plans/{plan['id']}/publish", headers=planned.dispatcher)
    assert client.get(own_url, headers=auth_headers(owner)).status_code == 200
    assert client.get(own_url, headers=auth_headers(other)).status_code == 404
    missing = f"/api/v1/courier/routes/{route['id'] + 1000}/sheet.pdf"
    assert client.get(missing, headers=auth_headers(owner)).status_code == 404


def test_openapi_documents_the_sheet_endpoints_with_their_media_types(client):
    spec = client.get("/api/openapi.json").json
    pdf = spec["paths"]["/api/v1/plans/{plan_id}/routes/{route_id}/sheet.pdf"]["get"]
    assert "application/pdf" in pdf["responses"]["200"]["content"]
    assert {"401", "403", "404"} <= set(pdf["responses"])
    html = spec["paths"]["/api/v1/courier/routes/{route_id}/sheet.html"]["get"]
    assert "text/html" in html["responses"]["200"]["content"]


# --- the builder used by the demo and by the courier app ----------------------------------------


def test_write_plan_sheets_writes_html_and_pdf_per_route(db_session, planned, tmp_path):
    plan = db_session.get(Plan, planned.plan["id"])
    written = write_plan_sheets(db_session, plan, tmp_path / "sheets", "en")
    assert len(written) == 2 * len(plan.routes)
    assert [p.suffix for p in written] == [".html", ".pdf"] * len(plan.routes)
    for path in written:
        assert path.exists() and path.stat().st_size > 1000
        assert path.name.startswith(f"{MONDAY.isoformat()}_route-")
    sheet = build_sheet(db_session, plan.routes[0], "de")
    assert sheet.stop_count == len([s for s in sheet.stops if s.is_task])
    assert sheet.km == round(plan.routes[0].distance_m / 1000, 1)
    assert re.fullmatch(
        r"\d\d:\d\d–\d\d:\d\d", next(s for s in sheet.stops if s.is_task).time_window
    )


# --- the map and the text helpers on their own --------------------------------------------------


def test_route_svg_is_standalone_svg_with_hub_numbers_and_scale_bar():
    points = [HUB, (51.529, 6.94), (51.518, 6.921), (51.529, 6.94), HUB]
    svg = route_svg(points, ["", "2", "3", "4", ""], 400, 300, title="Tour <1> & Co")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg" and root.get("viewBox") == "0 0 400 300"
    assert "href" not in svg and "<script" not in svg
    texts = [t.text for t in root.iter(f"{SVG_NS}text")]
    assert "2,4" in texts and "3" in texts  # stops at one place share a marker
    runs = route_svg([HUB, *[(51.529, 6.94)] * 4, HUB], ["", "2", "3", "4", "6", ""], 400, 300)
    assert next(t.text for t in ET.fromstring(runs).iter(f"{SVG_NS}text")) == "2–4,6"
    assert len(root.findall(f".//{SVG_NS}rect[@class='hub']")) == 1
    scale = root.find(f".//{SVG_NS}g[@class='scale']/{SVG_NS}text")
    assert scale is not None and re.fullmatch(r"\d+ m|\d+(\.\d+)? km", scale.text or "")
    for x, y in (
        map(float, p.split(",")) for p in root.find(f"{SVG_NS}polyline").get("points").split()
    ):  # type: ignore[union-attr]
        assert 0 <= x <= 400 and 0 <= y <= 300


def test_route_svg_copes_with_one_place_and_refuses_mismatched_labels():
    ET.fromstring(route_svg([HUB], [""], 200, 150))
    ET.fromstring(route_svg([], [], 200, 150, hub=HUB))
    with pytest.raises(ValueError):
        route_svg([HUB], [], 200, 150)


def test_pdf_text_keeps_what_the_embedded_font_prints_and_replaces_the_rest():
    assert plain_text("Größe – Straße → Fach ✓ 東 Yılmaz") == "Größe – Straße → Fach ✓ ? Yılmaz"
    assert plain_text("O\u0308ztu\u0308rk\u2009Łukasz 🚲") == "Öztürk Łukasz ?"  # NFD input


# Names from Bottrop's streets: Turkish, Polish, German, Russian (bug 12: "Y?lmaz").
WORLD_NAMES = (
    "Łukasz Wiśniewski",
    "Ayşe Yılmaz",
    "Änderungsschneiderei Yılmaz",
    "Gladbecker Straße 5, 46236 Bottrop",
    "Öztürk Gemüse",
    "Hinterhof, bei Дмитрий Öztürk klingeln",
    "Ğ İ ş Ş ç ı — „Zuhause“",
)


def _world_sheet() -> RouteSheet:
    sheet = _sample_sheet()
    start, stop = sheet.stops
    stop = replace(
        stop,
        contact_name=WORLD_NAMES[1],
        for_whom=WORLD_NAMES[2],
        address=WORLD_NAMES[3],
        item=WORLD_NAMES[4],
        access_notes=WORLD_NAMES[5],
        contact_phone=WORLD_NAMES[6],
    )
    return replace(sheet, courier_name=WORLD_NAMES[0], stops=(start, stop))


def test_pdf_sheet_prints_turkish_polish_and_cyrillic_names_exactly():
    sheet = _world_sheet()
    reader = PdfReader(io.BytesIO(render_pdf(sheet)))
    text = _flat(" ".join(page.extract_text() for page in reader.pages))
    for name in WORLD_NAMES:
        assert name in text, name
    assert "?" not in text
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
        if "/BaseFont" in font
    }
    assert not {f for f in fonts if "Helvetica" in f}, fonts  # nothing left in a standard font
    assert {f.split("+")[-1] for f in fonts} == {"SourceSansPro-Regular", "SourceSansPro-Bold"}


def test_html_sheet_and_svg_map_keep_every_character():
    page = render_html(_world_sheet())
    for name in WORLD_NAMES:
        assert escape(name, quote=False) in page, name
    svg = route_svg([HUB, (51.529, 6.94)], ["", "2"], 200, 150, title=WORLD_NAMES[0])
    assert ET.fromstring(svg).find(f"{SVG_NS}title").text == WORLD_NAMES[0]  # type: ignore[union-attr]


def _sample_sheet(lang: str = "de") -> RouteSheet:
    stop = SheetStop(
        seq=2,
        type="delivery",
        type_label="Zustellung",
        time_from="17:45",
        time_to="18:15",
        address='Hauptstraße 1 <b>"&"</b>',
        lat=51.53,
        lon=6.94,
        action="übergeben",
        contact_name="Jörg <script>alert(1)</script>",
        booking_code="LX-7",
    )
    start = SheetStop(
        seq=1, type="start", type_label="Start", time_from="17:30", time_to="17:30",
        address="City-Station", lat=HUB[0], lon=HUB[1],
    )  # fmt: skip
    return RouteSheet(
        lang="en" if lang == "en" else "de",
        plan_id=1,
        plan_version=1,
        route_id=1,
        day=date(2026, 11, 23),
        day_text="Montag, 23.11.2026",
        courier_name="Kurier Ünal",
        vehicle_name="Lastenrad 1",
        starts_at="17:30",
        ends_at="19:00",
        km=3.2,
        km_text="3,2 km",
        stop_count=1,
        stops=(start, stop),
        hub=HUB,
    )


def test_html_escapes_everything_it_prints():
    page = render_html(_sample_sheet())
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<b>" not in page and "&lt;b&gt;&quot;&amp;&quot;" in page
    text = _flat(PdfReader(io.BytesIO(render_pdf(_sample_sheet()))).pages[0].extract_text())
    assert "Jörg" in text and "alert(1)" in text and "Kurier Ünal" in text


# --- a real browser ---------------------------------------------------------------------------


@pytest.mark.slow
def test_sheet_renders_in_headless_chromium_without_console_errors(
    chromium, client, planned, tmp_path
):
    route = planned.plan["routes"][0]
    page = client.get(_url(planned.plan, route, "html"), headers=planned.dispatcher)
    sheet = tmp_path / "sheet.html"
    # the page under the policy it is served with (a file has no headers: a <meta> carries it;
    # frame-ancestors is header-only and would be reported as ignored)
    policy = page.headers["Content-Security-Policy"].replace("; frame-ancestors 'none'", "")
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    sheet.write_text(page.get_data(as_text=True).replace("<head>", "<head>" + meta, 1), "utf-8")
    # the control: the same check must see the errors of a broken page
    broken = tmp_path / "broken.html"
    broken.write_text(
        '<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>x</title></head>'
        '<body><script>console.error("kaputt"); missingFunction();</script></body></html>',
        encoding="utf-8",
    )
    browser = chromium()
    browser.open(broken.as_uri())
    control = browser.errors()
    assert any("kaputt" in e for e in control) and any("Uncaught" in e for e in control)

    browser = chromium()
    browser.open(sheet.as_uri())
    assert browser.errors() == []
    assert browser.evaluate("document.documentElement.lang") == "de"
    box = browser.evaluate(
        "JSON.stringify(document.querySelector('figure.map svg.route-map').getBoundingClientRect())"
    )
    assert json.loads(box)["width"] > 300 and json.loads(box)["height"] > 200
    stops = browser.evaluate("document.querySelectorAll('svg.route-map rect.stop').length")
    assert stops >= 1
    rows = browser.evaluate("document.querySelectorAll('table.stops tbody tr').length")
    assert rows == len(route["stops"])
    png = browser.screenshot()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_sheet_times_are_local_berlin_time(db_session, planned):
    route = db_session.get(Plan, planned.plan["id"]).routes[0]
    sheet = build_sheet(db_session, route, "de")
    assert sheet.starts_at == route.starts_at.astimezone(ZoneInfo("Europe/Berlin")).strftime(
        "%H:%M"
    )
    assert sheet.stops[0].time_window == sheet.starts_at
