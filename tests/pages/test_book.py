"""The booking flow in a real browser, each test with a newly registered resident: a cobbler
repair for this evening at the door, a double click that books once, an address outside the
service area refused beside its field, and a delivery to a LOUISE Point with its hours."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest
import requests
from playwright.sync_api import expect

from tests.pages.conftest import DESKTOP, PHONE, Visit, WebServer, check_accessibility

pytestmark = pytest.mark.slow

PASSWORD = "lang-genug-123"
CONTINUE = re.compile(r"^Weiter$")


def register(browser: Visit) -> str:
    """A new resident, logged in; their e-mail."""
    email = f"book-{uuid4().hex[:8]}@example.org"
    page = browser.page
    browser.go("/account/register")
    page.get_by_label("Ihr Name").fill("Erika Musterfrau")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Konto anlegen").click()
    # is_visible() does not wait: on a busy machine the answer to the click may still be on
    # its way (the resident journey failed so in CI, one step later); expect() waits
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible(timeout=15_000)
    return email


def offer_id(server: WebServer, title: str) -> int:
    found = requests.get(f"{server.url}/api/v1/offers", params={"q": title}, timeout=10).json()
    return int(next(item["id"] for item in found["items"] if item["title"] == title))


def bookings_of(server: WebServer, email: str) -> list[dict[str, Any]]:
    """The resident's bookings, as the API gives them to the resident."""
    login = requests.post(
        f"{server.url}/api/v1/auth/login",
        json={"email": email, "password": PASSWORD},
        timeout=10,
    )
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    answer = requests.get(
        f"{server.url}/api/v1/bookings",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def type_address(page: Any, text: str) -> Any:
    field = page.get_by_label("Adresse (Straße, Hausnummer, PLZ, Ort)")
    field.click()
    field.press_sequentially(text, delay=20)
    return field


def to_confirm(browser: Visit, offer: int, address: str = "Hansastraße 12, 46236 Bottrop") -> None:
    """Through the steps with the basic choices: the address typed, the door, this evening."""
    page = browser.page
    browser.go(f"/book/{offer}")
    page.get_by_label("Adresse (Straße, Hausnummer, PLZ, Ort)").fill(address)
    page.get_by_role("button", name=CONTINUE).click()
    page.get_by_label("An die Haustür").check()
    page.get_by_role("button", name=CONTINUE).click()
    page.get_by_label(re.compile("17:30–20:00")).check()
    page.get_by_role("button", name=CONTINUE).click()
    expect(page.get_by_role("button", name="Buchen")).to_be_visible(timeout=15_000)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_new_resident_books_a_cobbler_repair_for_this_evening_at_the_door(
    visit: Callable[..., Visit],
    web_server: WebServer,
    screenshot: Callable[[Any, str], Any],
    viewport: dict[str, int],
) -> None:
    browser = visit(viewport)
    page = browser.page
    email = register(browser)
    browser.go(f"/book/{offer_id(web_server, 'Absätze erneuern')}")

    # 1. the offer
    assert page.get_by_role("heading", level=1).inner_text() == "Buchen: Absätze erneuern"
    offer = page.locator(".book-offer").inner_text()
    assert "Schuhmacherei Kowalski" in offer and "18,90" in offer and "Hin und zurück" in offer
    check_accessibility(page)
    screenshot(page, "book-offer")

    # 2. the address, a suggestion picked
    field = type_address(page, "Hansastraße 1")
    suggestion = page.get_by_role("button", name="Hansastraße 12, 46236 Bottrop")
    suggestion.wait_for()
    check_accessibility(page)
    screenshot(page, "book-address")
    suggestion.click()
    expect(field).to_have_value("Hansastraße 12, 46236 Bottrop")
    page.get_by_role("button", name=CONTINUE).click()

    # 3. where it goes: back to the door
    assert "Schritt 2 von 4: Ziel" in page.inner_text("main")
    door = page.get_by_label("An die Haustür")
    assert door.is_checked()
    check_accessibility(page)
    screenshot(page, "book-where")
    page.get_by_role("button", name=CONTINUE).click()

    # 4. the window: the day windows closed at midnight, the evening open until 14:00
    evening = page.get_by_label(re.compile("17:30–20:00"))
    assert evening.is_enabled()
    assert page.get_by_label(re.compile("09:00–11:00")).is_disabled()
    promise = page.locator(".windows .promise").inner_text()
    assert promise == "Bestellen Sie innerhalb von 4 h 0 min für die Abholung heute ab 17:30"
    check_accessibility(page)
    screenshot(page, "book-window")
    evening.check()
    page.get_by_role("button", name=CONTINUE).click()

    # 5. confirm
    summary = page.locator(".summary").first.inner_text()
    assert "Hansastraße 12, 46236 Bottrop" in summary and "17:30–20:00 Uhr" in summary
    check_accessibility(page)
    screenshot(page, "book-confirm")
    page.get_by_role("button", name="Buchen").click()
    page.wait_for_url(re.compile(r"/bookings/\d+$"))
    page.wait_for_load_state()

    mine = bookings_of(web_server, email)
    assert len(mine) == 1
    booking = mine[0]
    assert booking["address_label"] == "Hansastraße 12, 46236 Bottrop"
    assert booking["destination"] == "door"
    assert booking["code"] in page.inner_text("main")


def test_a_double_click_on_book_makes_one_booking(
    visit: Callable[..., Visit], web_server: WebServer
) -> None:
    browser = visit()
    page = browser.page
    email = register(browser)
    offer = offer_id(web_server, "Absätze erneuern")
    to_confirm(browser, offer)
    # the same confirm form sent twice by the server's own rules (as a browser without
    # JavaScript would on a double click): both answers lead to the one booking
    form = page.eval_on_selector(
        "form.book", "f => Object.fromEntries(new FormData(f, f.querySelector('.book-button')))"
    )
    answers = [
        page.request.post(f"{web_server.url}/book/{offer}/confirm", form=form, max_redirects=0)
        for _ in range(2)
    ]
    assert [a.status for a in answers] == [303, 303]
    assert answers[0].headers["location"] == answers[1].headers["location"]
    # and a real double click on the button
    page.get_by_role("button", name="Buchen").dblclick()
    page.wait_for_url(re.compile(re.escape(answers[0].headers["location"]) + "$"))
    assert len(bookings_of(web_server, email)) == 1


def test_a_picked_suggestion_is_what_continue_sends_even_before_the_server_answers(
    visit: Callable[..., Visit], web_server: WebServer
) -> None:
    """Picking a suggestion asks the server for the field again; a resident who presses
    "Weiter" before that answer comes must still send the address they picked, not what
    they had typed. Here the answer is held back until the page has moved on."""
    browser = visit()
    page = browser.page
    register(browser)
    held: list[Any] = []
    page.route(re.compile(r"/suggestions\?.*pick="), lambda route: held.append(route))
    browser.go(f"/book/{offer_id(web_server, 'Absätze erneuern')}")
    field = type_address(page, "Hansastraße 1")
    page.get_by_role("button", name="Hansastraße 12, 46236 Bottrop").click()
    assert field.input_value() == "Hansastraße 12, 46236 Bottrop"
    page.get_by_role("button", name=CONTINUE).click()
    assert "Schritt 2 von 4: Ziel" in page.inner_text("main")
    page.get_by_label("An die Haustür").check()
    page.get_by_role("button", name=CONTINUE).click()
    page.get_by_label(re.compile("17:30–20:00")).check()
    page.get_by_role("button", name=CONTINUE).click()
    assert "Hansastraße 12, 46236 Bottrop" in page.locator(".summary").first.inner_text()
    assert len(held) == 1  # the pick was asked for, and never answered


def test_a_typed_address_is_used_though_a_saved_address_was_checked(
    visit: Callable[..., Visit], web_server: WebServer
) -> None:
    """A resident with a saved address finds it checked on the address step. Typing another
    address into the field left it checked, and the booking went to the saved address:
    typing now chooses "Eine neue Adresse". That choice itself was refused ("Keine gültige
    Zahl": the form sent address_id=new on): now the typed address is used."""
    browser = visit()
    page = browser.page
    register(browser)
    # Hansastraße 12 is saved with a first booking: of the shoe-care set, a product, which
    # no shop's daily limit counts (the heels take 12 a day; the page tests book them on the
    # same Monday, and one more here left the hotline test with "keine weiteren Aufträge")
    to_confirm(browser, offer_id(web_server, "Schuhpflege-Set"))
    page.get_by_role("button", name="Buchen").click()
    page.wait_for_url(re.compile(r"/bookings/\d+$"))

    browser.go(f"/book/{offer_id(web_server, 'Absätze erneuern')}")
    saved = page.get_by_label("Hansastraße 12, 46236 Bottrop")
    assert saved.is_checked()
    page.get_by_label("Adresse (Straße, Hausnummer, PLZ, Ort)").fill(
        "Hansastraße 20, 46236 Bottrop"
    )
    assert page.get_by_label("Eine neue Adresse").is_checked()
    assert not saved.is_checked()
    page.get_by_role("button", name=CONTINUE).click()
    page.get_by_label("An die Haustür").check()
    page.get_by_role("button", name=CONTINUE).click()
    page.get_by_label(re.compile("17:30–20:00")).check()
    page.get_by_role("button", name=CONTINUE).click()
    summary = page.locator(".summary").first.inner_text()
    assert "Hansastraße 20, 46236 Bottrop" in summary, summary


def test_an_address_outside_the_service_area_is_refused_beside_the_address_field(
    visit: Callable[..., Visit], web_server: WebServer, screenshot: Callable[[Any, str], Any]
) -> None:
    browser = visit()
    page = browser.page
    register(browser)
    browser.go(f"/book/{offer_id(web_server, 'Absätze erneuern')}")
    field = page.get_by_label("Adresse (Straße, Hausnummer, PLZ, Ort)")
    field.fill("Königsallee 1, 40212 Düsseldorf")
    page.get_by_role("button", name=CONTINUE).click()

    message = page.locator("#e-address")
    assert message.is_visible()
    assert "Servicegebiet" in message.inner_text()
    described_by = (field.get_attribute("aria-describedby") or "").split()
    assert "e-address" in described_by
    assert field.get_attribute("aria-invalid") == "true"
    assert field.input_value() == "Königsallee 1, 40212 Düsseldorf"  # what was typed stays
    check_accessibility(page)
    screenshot(page, "book-address-refused")


def test_a_delivery_to_a_louise_point_shows_its_opening_hours(
    visit: Callable[..., Visit], web_server: WebServer
) -> None:
    browser = visit(DESKTOP)
    page = browser.page
    email = register(browser)
    browser.go(f"/book/{offer_id(web_server, 'Schuhpflege-Set')}")
    assert "Lieferung" in page.locator(".book-offer").inner_text()
    page.get_by_label("Adresse (Straße, Hausnummer, PLZ, Ort)").fill(
        "Hansastraße 12, 46236 Bottrop"
    )
    page.get_by_role("button", name=CONTINUE).click()

    point = page.get_by_label(re.compile("LOUISE Point Trinkhalle Batenbrock"))
    hours = page.locator(".place", has=point).inner_text()
    assert "Gladbecker Straße 79" in hours
    assert "Öffnungszeiten: Mo–Sa 06:00–22:00; So 08:00–20:00" in hours
    locker = page.locator(".place", has=page.get_by_label(re.compile("Hauptbahnhof")))
    assert "rund um die Uhr geöffnet (24/7)" in locker.inner_text()
    point.check()
    page.get_by_role("button", name=CONTINUE).click()
    page.get_by_label(re.compile("17:30–20:00")).check()
    page.get_by_role("button", name=CONTINUE).click()
    summary = page.locator(".summary").first.inner_text()
    assert "LOUISE Point Trinkhalle Batenbrock" in summary
    assert "Mo–Sa 06:00–22:00" in summary
    check_accessibility(page)
    page.get_by_role("button", name="Buchen").click()
    page.wait_for_url(re.compile(r"/bookings/\d+$"))
    (booking,) = bookings_of(web_server, email)
    assert booking["destination"] == "point"
