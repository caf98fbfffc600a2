"""Issue 13's main flow, end to end in the browser, across the resident's and the shop's
pages: the cobbler lists a repair; a new resident registers and books it as a round trip for
today, sees the booking,
opens its tracking page and cancels a second booking; the shop marks the first item received
and ready, and the return leg appears in the resident's booking."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest

from tests.pages.conftest import COBBLER, DESKTOP, PHONE, Visit, WebServer, check_accessibility
from tests.pages.test_book import bookings_of, offer_id, register, to_confirm

pytestmark = pytest.mark.slow

BOOKING_PAGE = re.compile(r"/bookings/(\d+)$")


def book_and_open(resident: Visit, offer: int) -> int:
    """Book ``offer`` for this evening at the door; the booking page opens. Its id."""
    to_confirm(resident, offer)
    resident.page.get_by_role("button", name="Buchen").click()
    resident.page.wait_for_load_state()
    refused = resident.page.locator(".error, .error-box")
    assert BOOKING_PAGE.search(resident.page.url) or refused.count() == 0, "refused: " + " | ".join(
        refused.all_inner_texts()
    )
    resident.page.wait_for_url(BOOKING_PAGE)
    found = BOOKING_PAGE.search(resident.page.url)
    assert found is not None
    return int(found.group(1))


def return_leg(page: Any) -> str:
    legs = page.get_by_role("region", name="Der Weg").locator("li.leg")
    texts = [legs.nth(i).inner_text() for i in range(legs.count())]
    back = [text for text in texts if text.startswith("Zurück zu Ihnen")]
    assert len(back) == 1, texts
    return back[0]


def test_a_resident_books_follows_and_cancels_and_the_shop_sends_the_repair_back(
    visit: Callable[..., Visit], web_server: WebServer, screenshot: Callable[[Any, str], Any]
) -> None:
    # the cobbler lists a repair of its own (every test of the run books on one server, so
    # the demo's offers may be booked up for today)
    shop = visit(DESKTOP)
    shop.log_in(COBBLER)
    title = f"Stiefel neu besohlen {uuid4().hex[:6]}"
    shop.go("/shop/offers/new")
    shop.page.get_by_label("Titel").fill(title)
    shop.page.get_by_label("Preis in Euro").fill("24,50")
    shop.page.get_by_label("Bearbeitungszeit in Tagen").fill("2")
    shop.page.get_by_role("button", name="Angebot speichern").click()
    shop.page.wait_for_load_state()

    resident = visit(PHONE)
    page = resident.page
    email = register(resident)
    repair = offer_id(web_server, title)

    # book the round trip for today; the booking page shows it, the return still provisional
    first = book_and_open(resident, repair)
    code = page.locator(".booking-code").first.inner_text()
    assert re.fullmatch(r"[A-Z0-9]{8}", code)
    assert page.get_by_role("heading", level=1).inner_text() == title
    assert (
        "Montag, 23. November 2026, 17:30–20:00"
        in page.get_by_role("region", name="Der Weg").inner_text()
    )
    assert "vorläufig" in return_leg(page)

    # the tracking page: the state, nothing personal
    page.get_by_role("link", name="Sendungsverfolgung öffnen").click()
    page.wait_for_url(re.compile(r"/track/"))
    tracking = page.inner_text("main")
    assert "Schuhmacherei Kowalski" in tracking
    assert "Hansastraße" not in tracking and email not in tracking and code not in tracking
    check_accessibility(page)
    resident.go(f"/bookings/{first}")

    # a second booking, cancelled from its page
    second = book_and_open(resident, repair)
    assert second != first
    page.get_by_text("Diese Buchung stornieren …").click()
    page.get_by_role("button", name="Ja, Buchung stornieren").click()
    page.wait_for_load_state()
    assert page.locator(".booking-head .badge").inner_text() == "Storniert"
    statuses = {b["id"]: b["status"] for b in bookings_of(web_server, email)}
    assert statuses == {first: "confirmed", second: "cancelled"}

    # the cobbler receives the first item and marks it ready
    shop.go("/shop/today")
    item = shop.page.locator(f"#item-{first}")
    assert code in item.inner_text()
    item.get_by_role("button", name="Angenommen").click()
    shop.page.locator(f"section[aria-labelledby=at-shop] #item-{first}").get_by_role(
        "button", name="Fertig"
    ).click()
    shop.page.locator(f"section[aria-labelledby=ready] #item-{first}").wait_for()
    assert shop.page.locator(f"#item-{second}").count() == 0  # cancelled: not coming in

    # the resident's booking now has its return leg, planned, no longer provisional
    resident.go(f"/bookings/{first}")
    assert page.locator(".booking-head .badge").inner_text() == "Im Geschäft fertig"
    back = return_leg(page)
    assert "vorläufig" not in back
    assert "Geplant" in back
    check_accessibility(page)
    screenshot(page, "booking-ready")
