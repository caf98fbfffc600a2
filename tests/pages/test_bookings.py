"""A resident's bookings in a real browser: my bookings, the booking page (code, history,
calendar file, tracking link, CO2e line, cancel, reschedule), another resident's view of it,
and the public tracking page. Bookings are made through the live server's API as freshly
registered residents, so these tests need no other page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest
import requests

from tests.pages.conftest import (
    DEMO_PASSWORD,
    DESKTOP,
    PHONE,
    RESIDENT,
    Visit,
    WebServer,
    check_accessibility,
)

pytestmark = pytest.mark.slow

TODAY = "2026-11-23"  # the server's clock: Monday 10:00 in Bottrop
TOMORROW = "2026-11-24"
STREET = "Hansastraße"
ADDRESS = {"street": STREET, "house_number": "20", "postcode": "46236", "city": "Bottrop"}


@dataclass
class Resident:
    """A freshly registered resident, with an API session of their own."""

    server: WebServer
    name: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def api(self, method: str, path: str, **kw: Any) -> Any:
        headers = {**self.headers, **kw.pop("headers", {})}
        return requests.request(
            method, f"{self.server.url}/api/v1{path}", headers=headers, timeout=60, **kw
        )

    def book(self, offer_id: int, window: str | None = None) -> dict[str, Any]:
        """Book the offer today in the first bookable window (or ``window``)."""
        if window is None:
            slots = self.api(
                "GET",
                "/slots",
                params={"date": TODAY, "offer_id": offer_id, "lat": 51.5237, "lon": 6.9352},
            ).json()
            window = next(s["window"] for s in slots["slots"] if s["bookable"])
        answer = self.api(
            "POST",
            "/bookings",
            json={"offer_id": offer_id, "date": TODAY, "window": window, "address": ADDRESS},
            headers={"Idempotency-Key": uuid4().hex},
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())


@pytest.fixture()
def resident(web_server: WebServer) -> Callable[[], Resident]:
    """``resident()``: a new resident, registered through the API."""

    def make() -> Resident:
        tag = uuid4().hex[:8]
        name, email, password = f"Greta Lorenz {tag}", f"greta-{tag}@example.org", "bottrop-2026!"
        answer = requests.post(
            f"{web_server.url}/api/v1/auth/register",
            json={"name": name, "email": email, "password": password},
            timeout=60,
        )
        assert answer.status_code == 201, answer.text
        return Resident(web_server, name, email, password, web_server.token(email, password))

    return make


@pytest.fixture(scope="module")
def repair(web_server: WebServer) -> int:
    """The cobbler's round trip "Absätze erneuern" of the demo."""
    answer = requests.get(f"{web_server.url}/api/v1/offers", params={"q": "Absätze"}, timeout=60)
    return int(next(o["id"] for o in answer.json()["items"] if o["title"] == "Absätze erneuern"))


def _open_booking(browser: Visit, booking: dict[str, Any]) -> Any:
    browser.go("/bookings")
    browser.page.get_by_role("link", name="Absätze erneuern").first.click()
    browser.page.wait_for_url(f"**/bookings/{booking['id']}")
    return browser.page


def test_my_bookings_lists_mine_and_not_another_residents(
    visit: Callable[..., Visit], resident: Callable[[], Resident], repair: int
) -> None:
    first, second = resident(), resident()
    mine = [first.book(repair), first.book(repair)]
    theirs = second.book(repair)
    browser = visit()
    browser.log_in(first.email, first.password)
    browser.go("/bookings")
    page = browser.page
    upcoming = page.get_by_role("region", name="Demnächst")
    for booking in mine:
        assert booking["code"] in upcoming.inner_text()
    assert "Bestätigt" in upcoming.inner_text()
    assert "Schuhmacherei Kowalski" in upcoming.inner_text()
    assert theirs["code"] not in page.inner_text("main")
    assert page.get_by_role("link", name="Meine Buchungen").get_attribute("aria-current") == "page"


def test_booking_page_shows_code_history_calendar_tracking_and_co2e(
    visit: Callable[..., Visit], resident: Callable[[], Resident], repair: int
) -> None:
    someone = resident()
    booking = someone.book(repair)
    browser = visit()
    browser.log_in(someone.email, someone.password)
    page = _open_booking(browser, booking)
    assert page.locator(".booking-code").first.inner_text() == booking["code"]
    assert page.get_by_role("heading", level=1).inner_text() == "Absätze erneuern"
    journey = page.get_by_role("region", name="Der Weg").inner_text()
    assert "Abholung" in journey and "Zurück zu Ihnen" in journey
    history = page.get_by_role("region", name="Verlauf").inner_text()
    assert "Angefragt" in history and "Bestätigt" in history
    assert STREET in page.get_by_role("region", name="Adressen").inner_text()
    # no line before the ledger has the booking's day: the page says when it comes
    assert "Nach der Zustellung sehen Sie hier" in page.locator(".impact-line").inner_text()

    with page.expect_download() as download:
        page.get_by_role("link", name="In den Kalender (.ics)").click()
    saved = download.value
    assert saved.suggested_filename == f"{booking['code']}.ics"
    calendar = requests.get(
        browser.base + f"/bookings/{booking['id']}/calendar.ics",
        cookies={c["name"]: c["value"] for c in page.context.cookies()},
        timeout=60,
    )
    assert calendar.headers["Content-Type"].startswith("text/calendar")
    assert f"LOUISE Abholung {booking['code']}" in calendar.text

    assert booking["tracking_url"] == f"{browser.base}/track/{booking['tracking_token']}"
    assert booking["tracking_url"] in page.locator(".tracking-url").inner_text()
    page.get_by_role("link", name="Sendungsverfolgung öffnen").click()
    page.wait_for_url(f"**/track/{booking['tracking_token']}")
    assert "Bestätigt" in page.inner_text("main")


#: demo residents whose language is German (louise/demo/data.py)
DEMO_RESIDENTS = (
    RESIDENT,
    "thomas.wagner@louise.test",
    "fatma.oeztuerk@louise.test",
    "klaus.schulte@louise.test",
    "sabine.hoffmann@louise.test",
    "michael.krause@louise.test",
)


def test_a_delivered_booking_shows_the_co2e_line_the_api_gives(
    visit: Callable[..., Visit], web_server: WebServer
) -> None:
    # the demo's history is drawn afresh each run: the first German-speaking demo resident
    # with a delivered booking in the ledger
    for email in DEMO_RESIDENTS:
        token = web_server.token(email, DEMO_PASSWORD)
        done = requests.get(
            f"{web_server.url}/api/v1/bookings",
            params={"status": "completed", "limit": 50},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        ).json()["items"]
        booking = next((b for b in done if b["impact"] is not None), None)
        if booking is not None:
            break
    assert booking is not None, "no demo resident has a delivered booking in the ledger"
    browser = visit()
    browser.log_in(email)
    browser.go(f"/bookings/{booking['id']}")
    line = browser.page.locator(".impact-line").inner_text()
    grams = booking["impact"]["avoided_co2e_g"]
    assert line == f"Diese Lieferung hat etwa {grams} g CO2e gegenüber einem Lieferwagen vermieden."
    assert line == booking["impact"]["text"]  # the API's line, word for word
    # finished: neither cancel nor move, and the page says why
    change = browser.page.get_by_role("region", name="Buchung ändern")
    assert change.get_by_role("button", name="Ja, Buchung stornieren").count() == 0
    assert "nicht mehr storniert werden" in change.inner_text()
    assert "nicht mehr auf eine andere Zeit verlegt werden" in change.inner_text()


def test_resident_cancels_a_booking_from_its_page(
    visit: Callable[..., Visit], resident: Callable[[], Resident], repair: int
) -> None:
    someone = resident()
    booking = someone.book(repair)
    browser = visit()
    browser.log_in(someone.email, someone.password)
    page = _open_booking(browser, booking)
    page.get_by_text("Diese Buchung stornieren …").click()
    page.get_by_label("Grund (freiwillig)").fill("Schuhe selbst gebracht")
    page.get_by_role("button", name="Ja, Buchung stornieren").click()
    page.wait_for_load_state()
    assert "Ihre Buchung ist storniert." in page.get_by_role("status").inner_text()
    assert page.locator(".booking-head .badge").inner_text() == "Storniert"
    assert "Schuhe selbst gebracht" in page.get_by_role("region", name="Verlauf").inner_text()
    assert "nicht mehr storniert werden" in page.inner_text("main")
    assert someone.api("GET", f"/bookings/{booking['id']}").json()["status"] == "cancelled"


def test_resident_moves_a_booking_to_another_window(
    visit: Callable[..., Visit], resident: Callable[[], Resident], repair: int
) -> None:
    someone = resident()
    booking = someone.book(repair)
    browser = visit(DESKTOP)
    browser.log_in(someone.email, someone.password)
    page = _open_booking(browser, booking)
    page.get_by_label("Tag").fill(TOMORROW)
    page.get_by_role("button", name="Zeitfenster dieses Tages zeigen").click()
    page.wait_for_load_state()
    choices = page.get_by_role("radio")
    assert choices.count() > 0
    choices.first.check()
    chosen = choices.first.get_attribute("value")
    page.get_by_role("button", name="Auf dieses Zeitfenster verlegen").click()
    page.wait_for_load_state()
    assert "Ihre Buchung ist auf die neue Zeit verlegt." in page.get_by_role("status").inner_text()
    assert (
        "Abholung: auf eine andere Zeit verlegt"
        in page.get_by_role("region", name="Verlauf").inner_text()
    )
    legs = someone.api("GET", f"/bookings/{booking['id']}").json()["legs"]
    moved = [leg for leg in legs if leg["status"] == "scheduled" and leg["purpose"] == "collect"]
    assert moved and moved[0]["day"] == TOMORROW and moved[0]["window"] == chosen


def test_another_resident_gets_the_not_found_page_for_my_booking(
    visit: Callable[..., Visit], resident: Callable[[], Resident], repair: int
) -> None:
    owner, stranger = resident(), resident()
    booking = owner.book(repair)
    browser = visit()
    browser.log_in(stranger.email, stranger.password)
    answer = browser.go(f"/bookings/{booking['id']}")
    assert answer.status == 404
    page = browser.page
    assert page.get_by_role("heading", level=1).inner_text() == "Diese Seite gibt es nicht."
    assert booking["code"] not in page.content()
    assert browser.go(f"/bookings/{booking['id']}/calendar.ics").status == 404
    check_accessibility(page)
    browser.go("/bookings")
    assert booking["code"] not in page.inner_text("main")
    assert "Sie haben noch keine Buchungen." in page.inner_text("main")


def test_tracking_page_shows_state_and_window_and_nothing_personal(
    visit: Callable[..., Visit], resident: Callable[[], Resident], repair: int
) -> None:
    someone = resident()
    booking = someone.book(repair, window="evening")
    browser = visit()  # nobody logged in: the link is all it takes
    answer = browser.go(f"/track/{booking['tracking_token']}")
    assert answer.status == 200
    text = browser.page.inner_text("main")
    assert "Bestätigt" in text
    assert "Schuhmacherei Kowalski" in text
    assert "Montag, 23. November 2026" in text and "17:30–20:00" in text
    html = browser.page.content()
    for private in (someone.name, STREET, booking["code"], someone.email):
        assert private not in html
    assert browser.go("/track/no-such-link").status == 404


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_booking_pages_are_accessible_at_phone_and_desktop_width(
    visit: Callable[..., Visit],
    screenshot: Callable[[Any, str], Any],
    web_server: WebServer,
    viewport: dict[str, int],
) -> None:
    """The demo's first resident: her list, a booking of the demo day and its tracking page."""
    token = web_server.token(RESIDENT, DEMO_PASSWORD)
    of_the_day = requests.get(
        f"{web_server.url}/api/v1/bookings",
        params={"date": web_server.demo_day, "status": "confirmed"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    ).json()["items"]
    booking = of_the_day[0]
    browser = visit(viewport)
    browser.log_in(RESIDENT)
    page = browser.page
    browser.go("/bookings")
    assert booking["code"] in page.get_by_role("region", name="Demnächst").inner_text()
    check_accessibility(page)
    screenshot(page, "my-bookings")
    browser.go(f"/bookings/{booking['id']}")
    assert page.locator(".booking-code").first.inner_text() == booking["code"]
    check_accessibility(page)
    screenshot(page, "booking")
    page.get_by_role("link", name="Sendungsverfolgung öffnen").click()
    page.wait_for_url("**/track/*")
    check_accessibility(page)
    screenshot(page, "tracking")
