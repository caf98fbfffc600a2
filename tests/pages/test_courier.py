"""The courier's phone screen in a real browser at 390 px, as the demo courier Aylin Demir:
stops completed with the booking code and with a photo, a failed door delivery that shows the
fallback Point and the new PIN, a completion taken offline that waits, survives a reload and is
recorded exactly once when the connection returns; and another courier sees none of it.

The route is of a day of its own (Friday 27 November 2026), so that no other test's planning of
the demo day moves its stops: the test gives Aylin a shift that day, has fresh residents book
deliveries of a paperback through the live API, and plans and publishes the day as dispatcher.
"""

from __future__ import annotations

import re
import struct
import time
import zlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import requests

from tests.pages.conftest import (
    DESKTOP,
    PHONE,
    Visit,
    WebServer,
    check_accessibility,
)

pytestmark = pytest.mark.slow

API = "/api/v1"
TIMEOUT = 60
FRIDAY = date(2026, 11, 27)
COURIER = "aylin.demir@louise.test"
OTHER_COURIER = "jonas.nowak@louise.test"
DISPATCHER = "dispatch@louise.test"
PAPERBACK = "Ruhrpott-Krimi (Taschenbuch)"
#: doors in Bottrop's centre, a few hundred metres apart
HOMES = [(51.5236, 6.9281), (51.5251, 6.9302), (51.5219, 6.9259), (51.5242, 6.9330)]


def _call(server: WebServer, token: str, method: str, path: str, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}
    return requests.request(
        method, f"{server.url}{API}{path}", headers=headers, timeout=TIMEOUT, **kw
    )


def _book_friday(server: WebServer, home: tuple[float, float]) -> tuple[str, dict[str, Any]]:
    """A fresh resident orders the paperback to their door on Friday evening."""
    resident = server.new_resident("courier")
    offers = server.api_get(resident, "/offers", q=PAPERBACK)["items"]
    offer_id = next(o["id"] for o in offers if o["title"] == PAPERBACK)
    where = {"lat": home[0], "lon": home[1]}
    slots = server.api_get(resident, "/slots", date=FRIDAY.isoformat(), offer_id=offer_id, **where)[
        "slots"
    ]
    window = next(s["window"] for s in slots if s["bookable"])
    answer = _call(
        server,
        resident,
        "POST",
        "/bookings",
        json={
            "offer_id": offer_id,
            "date": FRIDAY.isoformat(),
            "window": window,
            "address": where,
            "contact_phone": "0170 9998887",
            "notes": "Hinterhaus, 2. Etage",
        },
        headers={"Idempotency-Key": uuid4().hex},
    )
    assert answer.status_code == 201, answer.text
    return resident, dict(answer.json())


def _give_aylin_a_friday_shift(server: WebServer, dispatcher: str) -> int:
    """Aylin rides her demo-day bike on Friday afternoon and evening; her user id."""
    demo = server.api_get(dispatcher, "/shifts", date=server.demo_day, per_page=50)["items"]
    aylin = next(s for s in demo if s["courier_name"] == "Aylin Demir")
    friday = server.api_get(dispatcher, "/shifts", date=FRIDAY.isoformat(), per_page=50)["items"]
    if not any(s["courier_id"] == aylin["courier_id"] for s in friday):
        answer = _call(
            server,
            dispatcher,
            "POST",
            "/shifts",
            json={
                "courier_id": aylin["courier_id"],
                "vehicle_id": aylin["vehicle_id"],
                "starts_at": f"{FRIDAY.isoformat()}T13:00:00+01:00",
                "ends_at": f"{FRIDAY.isoformat()}T21:00:00+01:00",
            },
        )
        assert answer.status_code == 201, answer.text
    return int(aylin["courier_id"])


@pytest.fixture(scope="module")
def friday(web_server: WebServer) -> dict[str, Any]:
    """Friday planned and published: Aylin's route with four paperback deliveries."""
    dispatcher = web_server.token(DISPATCHER)
    courier_id = _give_aylin_a_friday_shift(web_server, dispatcher)
    booked = [_book_friday(web_server, home) for home in HOMES]
    started = _call(web_server, dispatcher, "POST", "/plans", json={"date": FRIDAY.isoformat()})
    assert started.status_code == 202, started.text
    plan_id = started.json()["id"]
    deadline = time.monotonic() + 60
    plan = web_server.api_get(dispatcher, f"/plans/{plan_id}")
    while plan["status"] not in ("draft", "published") and time.monotonic() < deadline:
        time.sleep(0.5)
        plan = web_server.api_get(dispatcher, f"/plans/{plan_id}")
    published = _call(web_server, dispatcher, "POST", f"/plans/{plan_id}/publish")
    assert published.status_code == 200, published.text
    courier = web_server.token(COURIER)
    routes = web_server.api_get(courier, "/courier/routes", date=FRIDAY.isoformat())["routes"]
    stops = [stop for route in routes for stop in route["stops"]]
    legs = {}
    for resident, booking in booked:
        leg_id = booking["legs"][0]["id"]
        mine = {s["type"]: s for s in stops if s["leg_id"] == leg_id}
        assert set(mine) == {"pickup", "delivery"}, f"booking {booking['code']} not on her route"
        legs[booking["code"]] = {"resident": resident, "booking": booking, **mine}
    return {"courier": courier, "courier_id": courier_id, "stops": stops, "bookings": legs}


def _png(width: int = 64, height: int = 48) -> bytes:
    """A small, valid PNG (a green square), as a phone camera would hand over a picture."""
    raw = b"".join(b"\x00" + b"\x16\x65\x34" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _courier_page(visit: Callable[..., Visit], viewport: Any = PHONE) -> Visit:
    seen = visit(viewport)
    seen.log_in(COURIER)
    seen.go(f"/courier?date={FRIDAY.isoformat()}")
    return seen


def _stop(page: Any, stop_id: int) -> Any:
    stop = page.locator(f"#stop-{stop_id}")
    details = stop.locator("details")
    if details.get_attribute("open") is None:
        stop.locator("summary").click()
    return stop


def _wait_sent(page: Any) -> None:
    page.wait_for_function(
        "() => JSON.parse(localStorage.getItem('louise.courier.queue') || '[]').length === 0"
    )


def _history(server: WebServer, token: str, booking_id: int) -> list[dict[str, Any]]:
    answer = server.api_get(token, f"/bookings/{booking_id}/history", per_page=100)
    return list(answer["items"])


def _route_stop(server: WebServer, courier: str, stop_id: int) -> dict[str, Any]:
    routes = server.api_get(courier, "/courier/routes", date=FRIDAY.isoformat())["routes"]
    return next(s for r in routes for s in r["stops"] if s["id"] == stop_id)


def test_courier_completes_stops_with_code_and_photo_and_a_failed_door_delivery_shows_the_point(
    visit: Callable[..., Visit],
    web_server: WebServer,
    friday: dict[str, Any],
    screenshot: Callable[[Any, str], Path],
    tmp_path: Path,
) -> None:
    first, second, *_ = friday["bookings"].values()
    seen = _courier_page(visit)
    page = seen.page
    assert page.get_by_role("heading", name="Meine Tour").is_visible()
    next_stop = page.locator(".stop-next")
    assert next_stop.get_by_text("Nächster Halt").is_visible()
    assert (
        page.locator(f"#stop-{first['pickup']['id']}")
        .get_by_text(first["booking"]["code"])
        .is_visible()
    )
    check_accessibility(page)
    screenshot(page, "courier-route")

    # 1: the pickup with the booking code typed
    stop = _stop(page, first["pickup"]["id"])
    stop.get_by_label("Oder die PIN oder der Buchungscode").fill(first["booking"]["code"])
    stop.get_by_role("button", name="Erledigt").click()
    _wait_sent(page)
    page.locator(f"#stop-{first['pickup']['id']}.stop-completed").wait_for()

    # 2: the pickup with a photo from the camera
    photo = tmp_path / "proof.png"
    photo.write_bytes(_png())
    stop = _stop(page, second["pickup"]["id"])
    stop.get_by_label("Foto der Übergabe").set_input_files(str(photo))
    stop.get_by_role("button", name="Erledigt").click()
    _wait_sent(page)
    page.locator(f"#stop-{second['pickup']['id']}.stop-completed").wait_for()
    recorded = _route_stop(web_server, friday["courier"], second["pickup"]["id"])
    assert recorded["status"] == "completed" and recorded["proof_kind"] == "photo"
    assert _route_stop(web_server, friday["courier"], first["pickup"]["id"])["proof_kind"] == (
        "booking_code"
    )

    # the first delivery's door: nobody at home, the parcel goes to a Point with a new PIN
    stop = _stop(page, first["delivery"]["id"])
    assert stop.get_by_role("link", name=re.compile("anrufen")).get_attribute("href") == (
        "tel:01709998887"
    )
    assert (
        stop.get_by_role("link", name="Navigation starten").get_attribute("href").startswith("geo:")
    )
    screenshot(page, "courier-stop")
    stop.get_by_label("Grund").select_option(label="Niemand angetroffen")
    stop.get_by_role("button", name="Fehlgeschlagen").click()
    _wait_sent(page)
    outcome = page.locator("#courier-outcome")
    outcome.get_by_text("Die Sendung geht stattdessen an").wait_for()
    pin = outcome.locator(".pin").inner_text()
    assert re.fullmatch(r"\d{6}", pin)
    booking = web_server.api_get(first["resident"], f"/bookings/{first['booking']['id']}")
    assert booking["pickup_pin"] == pin
    assert booking["destination"] in ("point", "locker") and booking["point_id"]
    check_accessibility(page)


def test_a_stop_completed_offline_waits_survives_a_reload_and_is_recorded_once(
    visit: Callable[..., Visit],
    web_server: WebServer,
    friday: dict[str, Any],
    screenshot: Callable[[Any, str], Path],
) -> None:
    third = list(friday["bookings"].values())[2]
    stop_id = third["pickup"]["id"]
    seen = _courier_page(visit)
    page = seen.page
    context = page.context

    context.set_offline(True)
    stop = _stop(page, stop_id)
    stop.get_by_label("Oder die PIN oder der Buchungscode").fill(third["booking"]["code"])
    stop.get_by_role("button", name="Erledigt").click()
    waiting = page.locator("#courier-queue")
    waiting.get_by_text("Wartet auf Versand (1)").wait_for()
    screenshot(page, "courier-offline")
    assert _route_stop(web_server, friday["courier"], stop_id)["status"] == "pending"

    # a dead spot: online again, but nothing gets through; the page is reloaded meanwhile
    page.route("**/courier/stops/**", lambda route: route.abort())
    context.set_offline(False)
    page.reload()
    waiting.get_by_text("Wartet auf Versand (1)").wait_for()
    assert _route_stop(web_server, friday["courier"], stop_id)["status"] == "pending"

    # through at last: sent once, and the queue is empty
    page.unroute("**/courier/stops/**")
    context.set_offline(True)
    context.set_offline(False)
    _wait_sent(page)
    page.locator(f"#stop-{stop_id}.stop-completed").wait_for()
    assert waiting.is_hidden()

    recorded = _route_stop(web_server, friday["courier"], stop_id)
    assert recorded["status"] == "completed" and recorded["proof_kind"] == "booking_code"
    history = _history(web_server, third["resident"], third["booking"]["id"])
    assert [h["to_status"] for h in history].count("picked_up") == 1


def test_another_courier_sees_nothing_of_my_route(
    visit: Callable[..., Visit], web_server: WebServer, friday: dict[str, Any]
) -> None:
    other = web_server.token(OTHER_COURIER)
    routes = web_server.api_get(other, "/courier/routes", date=FRIDAY.isoformat())["routes"]
    assert all(
        s["id"] not in {x["id"] for x in friday["stops"]} for r in routes for s in r["stops"]
    )
    seen = visit(PHONE)
    seen.log_in(OTHER_COURIER)
    seen.go(f"/courier?date={FRIDAY.isoformat()}")
    body = seen.page.locator("main").inner_text()
    for leg in friday["bookings"].values():
        assert leg["booking"]["code"] not in body
    # her stop through the other courier's own session: not found
    stop_id = next(iter(friday["bookings"].values()))["delivery"]["id"]
    answer = _call(web_server, other, "POST", f"/courier/stops/{stop_id}/arrived")
    assert answer.status_code == 404


def test_the_route_page_at_desktop_width_passes_axe(
    visit: Callable[..., Visit],
    friday: dict[str, Any],
    screenshot: Callable[[Any, str], Path],
) -> None:
    seen = _courier_page(visit, DESKTOP)
    assert seen.page.locator(".stop-next").is_visible()
    check_accessibility(seen.page)
    screenshot(seen.page, "courier-route")


def test_a_signature_drawn_on_the_screen_completes_a_pickup(
    visit: Callable[..., Visit], web_server: WebServer, friday: dict[str, Any]
) -> None:
    fourth = list(friday["bookings"].values())[3]
    stop_id = fourth["pickup"]["id"]
    page = _courier_page(visit).page
    stop = _stop(page, stop_id)
    pad = stop.locator("[data-signature] canvas")
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 20, box["y"] + 30 + (step % 3) * 25)
    page.mouse.up()
    stop.get_by_role("button", name="Erledigt").click()
    _wait_sent(page)
    page.locator(f"#stop-{stop_id}.stop-completed").wait_for()
    recorded = _route_stop(web_server, friday["courier"], stop_id)
    assert recorded["status"] == "completed" and recorded["proof_kind"] == "signature"
