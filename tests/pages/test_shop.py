"""The shop's pages in a real browser, logged in as the demo cobbler (or the tailor): today's
items (received, ready, rejected), the offers, the opening hours, the month; and that one
shop never sees another's items or offers.

Bookings are made through the live server's API by freshly registered residents, as a
resident's phone would make them; what the pages did is checked through the API too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest
import requests

from tests.pages.conftest import (
    CLOCK,
    COBBLER,
    DEMO_PASSWORD,
    DESKTOP,
    PHONE,
    TAILOR,
    Visit,
    WebServer,
    check_accessibility,
)

pytestmark = pytest.mark.slow

API = "/api/v1"
TODAY = date.fromisoformat(CLOCK[:10])
#: a resident's door in Bottrop (inside the service area)
HOME = {"lat": 51.5236, "lon": 6.9281}
REPAIR = "Absätze erneuern"  # the cobbler's heels: a service, 3 days, 12 a day
TIMEOUT = 60


def _offer_id(server: WebServer, token: str, title: str) -> int:
    found = server.api_get(token, "/offers", q=title)
    ids = [o["id"] for o in found["items"] if o["title"] == title]
    assert ids, f"no offer {title!r}"
    return int(ids[0])


def _book(server: WebServer, resident: str, offer_id: int) -> dict[str, Any]:
    """Book the offer in the first window with room, today or the next days."""
    for offset in range(7):
        day = TODAY + timedelta(days=offset)
        listing = requests.get(
            f"{server.url}{API}/slots",
            params={"date": day.isoformat(), "offer_id": offer_id, **HOME},
            headers={"Authorization": f"Bearer {resident}"},
            timeout=TIMEOUT,
        )
        if listing.status_code != 200:
            continue
        for slot in listing.json()["slots"]:
            if not slot["bookable"]:
                continue
            answer = requests.post(
                f"{server.url}{API}/bookings",
                json={
                    "offer_id": offer_id,
                    "date": day.isoformat(),
                    "window": slot["window"],
                    "address": HOME,
                    "notes": "Bitte klingeln.",
                },
                headers={"Authorization": f"Bearer {resident}", "Idempotency-Key": uuid4().hex},
                timeout=TIMEOUT,
            )
            if answer.status_code == 201:
                return dict(answer.json())
    raise AssertionError("no bookable window for the cobbler's repair in a week")


@pytest.fixture()
def cobbler_booking(web_server: WebServer) -> tuple[str, dict[str, Any]]:
    """A fresh resident's booking of the cobbler's repair: (resident's token, booking)."""
    resident = web_server.new_resident("shop")
    offer_id = _offer_id(web_server, resident, REPAIR)
    return resident, _book(web_server, resident, offer_id)


def _shop(visit: Callable[..., Visit], email: str = COBBLER, viewport: Any = DESKTOP) -> Visit:
    browser = visit(viewport)
    browser.log_in(email)
    return browser


def _text(locator: Any) -> str:
    """What the locator shows, with the no-break spaces of money ("12,50 €") as spaces."""
    return str(locator.inner_text()).replace("\xa0", " ")


def _section(page: Any, name: str) -> Any:
    return page.locator(f"section[aria-labelledby={name}]")


def test_shop_receives_an_item_marks_it_ready_and_the_return_leg_appears(
    visit: Callable[..., Visit],
    web_server: WebServer,
    cobbler_booking: tuple[str, dict[str, Any]],
) -> None:
    resident, booking = cobbler_booking
    browser = _shop(visit)
    page = browser.page
    assert page.url.endswith("/shop/today")  # a shop starts on its Today page
    item = _section(page, "coming-in").locator(f"#item-{booking['id']}")
    assert booking["code"] in item.inner_text()
    assert "Bitte klingeln." in item.inner_text()
    item.get_by_role("button", name="Angenommen").click()

    at_shop = _section(page, "at-shop").locator(f"#item-{booking['id']}")
    at_shop.wait_for()
    assert page.get_by_role("status").first.inner_text() == (
        f"{booking['code']} ist angenommen und jetzt im Geschäft."
    )
    assert _section(page, "coming-in").locator(f"#item-{booking['id']}").count() == 0
    assert web_server.api_get(resident, f"/bookings/{booking['id']}")["status"] == "at_shop"

    at_shop.get_by_role("button", name="Fertig").click()
    ready = _section(page, "ready").locator(f"#item-{booking['id']}")
    ready.wait_for()
    assert "Kurier holt ab:" in ready.inner_text()

    seen = web_server.api_get(resident, f"/bookings/{booking['id']}")
    assert seen["status"] == "ready"
    returns = [
        leg
        for leg in seen["legs"]
        if leg["purpose"] == "return" and leg["status"] == "scheduled" and not leg["tentative"]
    ]
    assert returns, seen["legs"]
    assert returns[0]["origin"]["kind"] == "shop"

    # without htmx (a plain form post and a redirect) the page answers the same way
    page.reload()
    assert _section(page, "ready").locator(f"#item-{booking['id']}").count() == 1


def test_shop_rejects_an_item_with_a_reason_and_the_resident_reads_it(
    visit: Callable[..., Visit],
    web_server: WebServer,
    cobbler_booking: tuple[str, dict[str, Any]],
) -> None:
    resident, booking = cobbler_booking
    browser = _shop(visit, viewport=PHONE)
    page = browser.page
    item = page.locator(f"#item-{booking['id']}")
    item.get_by_text("Ablehnen…").click()
    item.get_by_role("button", name="Buchung ablehnen").click()
    item = page.locator(f"#item-{booking['id']}")
    assert item.locator(".error").inner_text() == "Bitte ausfüllen."
    assert item.get_by_label("Grund für den Kunden").get_attribute("aria-invalid") == "true"
    item.get_by_label("Grund für den Kunden").fill("Diese Sohle können wir nicht reparieren.")
    item.get_by_role("button", name="Buchung ablehnen").click()
    page.get_by_role("status").first.wait_for()
    assert page.locator(f"#item-{booking['id']}").count() == 0
    seen = web_server.api_get(resident, f"/bookings/{booking['id']}")
    assert seen["status"] == "cancelled"
    assert seen["cancel_reason"] == "Diese Sohle können wir nicht reparieren."


def _csrf(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


def _pages_session(server: WebServer, email: str) -> tuple[requests.Session, str]:
    """A browser-less page session (cookie) of ``email`` and a CSRF token of its pages."""
    http = requests.Session()
    login = http.get(f"{server.url}/account/login", timeout=TIMEOUT)
    answer = http.post(
        f"{server.url}/account/login",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": _csrf(login.text)},
        timeout=TIMEOUT,
    )
    assert answer.url.endswith("/shop/today"), answer.url
    return http, _csrf(answer.text)


def test_ready_before_receipt_is_refused_on_the_item_not_as_an_error_page(
    web_server: WebServer, cobbler_booking: tuple[str, dict[str, Any]]
) -> None:
    _, booking = cobbler_booking
    http, csrf = _pages_session(web_server, COBBLER)
    refused = http.post(
        f"{web_server.url}/shop/items/{booking['id']}/ready",
        data={"csrf_token": csrf},
        timeout=TIMEOUT,
    )
    assert refused.status_code == 422
    item = refused.text.split(f'id="item-{booking["id"]}"')[1].split("</li>")[0]
    assert '<p class="error" role="alert">Das geht nicht mehr' in item
    without_token = http.post(
        f"{web_server.url}/shop/items/{booking['id']}/receive", timeout=TIMEOUT
    )
    assert without_token.status_code == 400


def test_tailor_cannot_act_on_the_cobblers_items_offers_or_hours(
    web_server: WebServer, cobbler_booking: tuple[str, dict[str, Any]]
) -> None:
    resident, booking = cobbler_booking
    cobbler = web_server.token(COBBLER)
    offer_id = _offer_id(web_server, cobbler, REPAIR)
    http, csrf = _pages_session(web_server, TAILOR)
    for action in ("receive", "ready", "reject"):
        answer = http.post(
            f"{web_server.url}/shop/items/{booking['id']}/{action}",
            data={"csrf_token": csrf, "reason": "Nicht meins."},
            timeout=TIMEOUT,
        )
        assert answer.status_code == 404, action
    paused = http.post(
        f"{web_server.url}/shop/offers/{offer_id}/active",
        data={"csrf_token": csrf, "active": "0"},
        timeout=TIMEOUT,
    )
    assert paused.status_code == 403
    edited = http.post(
        f"{web_server.url}/shop/offers/{offer_id}/edit",
        data={"csrf_token": csrf, "title": "Gekapert", "price": "1"},
        timeout=TIMEOUT,
    )
    assert edited.status_code == 403
    offer = web_server.api_get(cobbler, f"/offers/{offer_id}")
    assert offer["active"] is True and offer["title"] == REPAIR
    assert web_server.api_get(resident, f"/bookings/{booking['id']}")["status"] == "confirmed"
    resident_http = requests.Session()
    assert resident_http.get(f"{web_server.url}/shop/today", timeout=TIMEOUT).url.endswith(
        "/account/login?next=/shop/today"
    )


def test_offer_with_a_bad_price_is_refused_beside_it_then_created_edited_and_paused(
    visit: Callable[..., Visit], web_server: WebServer, screenshot: Callable[[Any, str], Any]
) -> None:
    title = f"Stiefel weiten {uuid4().hex[:4]}"
    browser = _shop(visit)
    page = browser.page
    browser.go("/shop/offers")
    page.get_by_role("link", name="Neues Angebot").click()
    page.get_by_label("Titel").fill(title)
    page.get_by_label("Preis in Euro").fill("zwölf")
    page.get_by_label("Bearbeitungszeit in Tagen").fill("2")
    page.get_by_role("button", name="Angebot speichern").click()
    assert page.locator("#e-price").inner_text() == "Bitte den Preis in Euro angeben, z. B. 12,50."
    assert page.get_by_label("Preis in Euro").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Titel").input_value() == title  # nothing typed is lost
    page.get_by_label("Preis in Euro").fill("-3")
    page.get_by_role("button", name="Angebot speichern").click()
    assert _text(page.locator("#e-price")) == (
        "Der Preis muss zwischen 0,00 € und 100.000,00 € liegen."
    )
    page.get_by_label("Preis in Euro").fill("12,50")
    page.get_by_role("button", name="Angebot speichern").click()
    assert f"„{title}“ ist im Angebot." in page.inner_text("main")
    card = page.locator("li.offer", has_text=title)
    assert "12,50 €" in _text(card)
    assert "2 Tage" in card.inner_text()

    card.get_by_role("link", name="Bearbeiten").click()
    offer_id = int(page.url.split("/offers/")[1].split("/")[0])
    assert page.get_by_label("Preis in Euro").input_value() == "12,50"
    page.get_by_label("Preis in Euro").fill("14")
    page.get_by_label("Stück pro Tag").fill("5")
    page.get_by_role("button", name="Angebot speichern").click()
    card = page.locator("li.offer", has_text=title)
    assert "14,00 €" in _text(card) and "5 Stück" in _text(card)

    card.get_by_role("button", name="Pausieren").click()
    card = page.locator("li.offer", has_text=title)
    assert "Pausiert" in card.inner_text()
    seen = web_server.api_get(web_server.token(COBBLER), f"/offers/{offer_id}")
    assert seen["active"] is False and seen["price_cents"] == 1400
    assert seen["daily_capacity"] == 5


def test_closed_day_is_listed_and_bad_weekly_hours_are_named_beside_the_day(
    visit: Callable[..., Visit], web_server: WebServer
) -> None:
    browser = _shop(visit)
    page = browser.page
    browser.go("/shop/hours")
    assert page.locator("#f-mon-1-opens").input_value() == "09:00"  # the demo's week
    page.get_by_label("Datum").fill("2026-12-24")
    page.get_by_label("Grund (für Kunden sichtbar)").fill("Heiligabend")
    page.get_by_role("button", name="Tag hinzufügen").click()
    row = page.locator("li.exception", has_text="24. Dezember 2026")
    assert "geschlossen" in row.inner_text() and "Heiligabend" in row.inner_text()
    merchant = web_server.api_get(web_server.token(COBBLER), "/merchants/mine")["items"][0]
    assert {"date": "2026-12-24", "closed": True} in [
        {"date": e["date"], "closed": e["closed"]} for e in merchant["exceptions"]
    ]

    page.locator("#f-tue-1-opens").fill("14:00")
    page.locator("#f-tue-1-closes").fill("09:00")
    page.get_by_role("button", name="Öffnungszeiten speichern").click()
    assert page.locator("#e-tue").inner_text() == "Muss nach der Öffnungszeit liegen."
    assert page.locator("#f-tue-1-opens").input_value() == "14:00"  # what was typed stays

    row = page.locator("li.exception", has_text="24. Dezember 2026")
    row.get_by_role("button", name="Entfernen").click()
    assert page.locator("li.exception", has_text="24. Dezember 2026").count() == 0


def test_month_shows_the_shops_figures_and_says_when_there_are_none(
    visit: Callable[..., Visit],
) -> None:
    browser = _shop(visit)
    page = browser.page
    browser.go("/shop/month")
    assert page.locator(".month-name").inner_text() == "November 2026"
    figures = page.locator(".figures .figure").all_inner_texts()
    assert len(figures) == 3
    assert int(figures[0]) > 0  # deliveries in the demo's two weeks of history
    page.get_by_role("link", name="Oktober 2026").click()
    assert "keine Lieferungen" in page.inner_text("main")
    assert page.get_by_role("link", name="November 2026").is_visible()
    browser.go("/shop/month?month=2027-01")
    assert "Dieser Monat hat noch nicht begonnen" in page.inner_text("main")
    answer = browser.go("/shop/month?month=11-2026")
    assert answer.status == 422
    assert page.get_by_role("alert").inner_text() == "Bitte einen Monat wie 2026-11 angeben."


def test_tailor_sees_neither_the_cobblers_items_nor_its_offers(
    visit: Callable[..., Visit],
    web_server: WebServer,
    cobbler_booking: tuple[str, dict[str, Any]],
) -> None:
    _, booking = cobbler_booking
    cobbler_offer = _offer_id(web_server, web_server.token(COBBLER), REPAIR)
    browser = _shop(visit, TAILOR)
    page = browser.page
    browser.go("/shop/today")
    assert booking["code"] not in page.inner_text("main")
    assert page.locator(f"#item-{booking['id']}").count() == 0
    browser.go("/shop/offers")
    assert REPAIR not in page.inner_text("main")
    assert "Hose kürzen" in page.inner_text("main")
    answer = browser.go(f"/shop/offers/{cobbler_offer}/edit")
    assert answer.status == 403
    # the tailor's forms cannot act on the cobbler's item either
    page.evaluate(
        """([url]) => { const f = document.createElement('form'); f.method = 'post';
        f.action = url; const t = document.createElement('input'); t.type = 'hidden';
        t.name = 'csrf_token'; t.value = document.querySelector('meta[name=csrf-token]').content;
        f.appendChild(t); document.body.appendChild(f); f.submit(); }""",
        [f"/shop/items/{booking['id']}/receive"],
    )
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Diese Seite gibt es nicht."


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_shop_pages_are_accessible_at_phone_and_desktop_width(
    visit: Callable[..., Visit],
    screenshot: Callable[[Any, str], Any],
    viewport: dict[str, int],
    cobbler_booking: tuple[str, dict[str, Any]],
) -> None:
    browser = _shop(visit, viewport=viewport)
    page = browser.page
    for path, name in (
        ("/shop/today", "shop-today"),
        ("/shop/offers", "shop-offers"),
        ("/shop/hours", "shop-hours"),
        ("/shop/month", "shop-month"),
    ):
        browser.go(path)
        assert page.get_by_role("heading", level=1).is_visible()
        check_accessibility(page)
        screenshot(page, name)
    browser.go("/shop/offers/new")
    page.get_by_label("Titel").fill("Schnürsenkel ersetzen")
    page.get_by_label("Preis in Euro").fill("zwei Euro")
    page.get_by_role("button", name="Angebot speichern").click()
    page.locator("#e-price").wait_for()
    check_accessibility(page)
    screenshot(page, "shop-offer-form")
