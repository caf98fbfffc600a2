"""The hotline in a real browser, logged in as the demo dispatcher: a new caller without a
login is booked for from the keyboard alone (no mouse), and the code read back is the
booking the API holds for that caller; a known caller is found by their phone number.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.pages.conftest import (
    DEMO_PASSWORD,
    DESKTOP,
    PHONE,
    Visit,
    WebServer,
    check_accessibility,
)

pytestmark = pytest.mark.slow

API = "/api/v1"
DISPATCHER = "dispatch@louise.test"
REPAIR = "Absätze erneuern"  # the cobbler's heels: a round trip
ADDRESS = "Hansastraße 12, 46236 Bottrop"
TIMEOUT = 60


def _focused(page: Any) -> dict[str, str]:
    return dict(
        page.evaluate(
            "() => { const e = document.activeElement;"
            " return {tag: e.tagName, id: e.id || '', name: e.getAttribute('name') || '',"
            " text: (e.innerText || e.value || '').trim()}; }"
        )
    )


def _tab_to(page: Any, element_id: str, limit: int = 40) -> None:
    """Press Tab until the element with ``element_id`` has the focus."""
    for _ in range(limit):
        if _focused(page)["id"] == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id}; focus is on {_focused(page)}")


def _autofocused(page: Any) -> None:
    """Wait until the browser has moved the focus to the page's ``autofocus`` element.
    Chromium does that at a rendering step after the page has loaded, not with the load: on
    a busy machine a check right after the navigation still found the focus on <body>."""
    page.wait_for_function(
        "() => { const a = document.querySelector('[autofocus]');"
        " return !a || document.activeElement !== document.body; }",
        timeout=TIMEOUT * 1000,
    )


def _enter_and_wait(page: Any) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _autofocused(page)


def _log_in_with_the_keyboard(browser: Visit, email: str) -> None:
    page = browser.page
    browser.go("/account/login")
    _tab_to(page, "f-email")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    _enter_and_wait(page)
    assert "/account/login" not in page.url


def test_a_new_caller_without_a_login_is_booked_for_with_the_keyboard_alone(
    visit: Callable[..., Visit],
    web_server: WebServer,
    screenshot: Callable[[Any, str], Any],
) -> None:
    browser = visit(DESKTOP)
    page = browser.page
    _log_in_with_the_keyboard(browser, DISPATCHER)
    phone = f"0171 {secrets.randbelow(10**7):07d}"
    name = f"Walter Kempe {secrets.token_hex(2)}"

    # the search has the focus: the caller's number, Enter
    browser.go("/hotline/")
    _autofocused(page)
    assert _focused(page)["id"] == "f-q"
    check_accessibility(page)
    page.keyboard.type(phone)
    _enter_and_wait(page)
    # nobody found: the number is in the new caller's form, the name has the focus
    assert "Niemand gefunden" in page.content()
    assert page.locator("#f-phone").input_value() == phone
    assert _focused(page)["id"] == "f-name"
    check_accessibility(page)
    page.keyboard.type(name)
    _enter_and_wait(page)

    # the offer: typed to, then Tab to "Weiter" and Enter
    assert _focused(page)["id"] == "f-offer_id"
    page.keyboard.type("Absätze")
    for _ in range(60):
        if REPAIR in page.evaluate("() => document.activeElement.selectedOptions[0].text"):
            break
        page.keyboard.press("ArrowDown")
    assert REPAIR in page.evaluate("() => document.activeElement.selectedOptions[0].text")
    check_accessibility(page)
    page.keyboard.press("Tab")
    assert _focused(page)["text"] == "Weiter"
    _enter_and_wait(page)

    # the address, typed; Enter
    assert _focused(page)["id"] == "f-address"
    page.keyboard.type(ADDRESS)
    _enter_and_wait(page)

    # back to the door (the focus is on it); Tab to "Weiter", Enter
    assert _focused(page)["id"] == "p-door", page.content()
    check_accessibility(page)
    page.keyboard.press("Tab")
    assert _focused(page)["text"] == "Weiter"
    _enter_and_wait(page)

    # the first free window has the focus: Space chooses it; Tab, Enter
    focused = _focused(page)
    assert focused["name"] == "window", page.content()
    page.keyboard.press("Space")
    assert page.evaluate("() => document.activeElement.checked")
    check_accessibility(page)
    page.keyboard.press("Tab")
    assert _focused(page)["text"] == "Weiter"
    _enter_and_wait(page)

    # confirm: the booking button has the focus
    assert _focused(page)["text"] == f"Buchen für {name}"
    check_accessibility(page)
    screenshot(page, "hotline")
    _enter_and_wait(page)

    # the code (and its spelling) to read back
    assert re.search(r"/hotline/bookings/\d+$", page.url), page.locator("main").inner_text()
    code = page.locator(".readout-code .readout-plain").first.inner_text().strip()
    spelled = page.locator(".readout-code .readout-spelled").first.inner_text()
    assert "-".join(code[:4]) in spelled
    check_accessibility(page)
    screenshot(page, "hotline-done")

    # the API holds that booking for a new customer without a login, found by the number
    token = web_server.token(DISPATCHER)
    found = web_server.api_get(token, "/customers", q=phone)
    assert [c["name"] for c in found["items"]] == [name]
    assert found["items"][0]["has_login"] is False
    booking_id = int(page.url.rsplit("/", 1)[1])
    booking = web_server.api_get(token, f"/bookings/{booking_id}")
    assert booking["code"] == code
    assert booking["customer_id"] == found["items"][0]["id"]
    assert booking["channel"] == "hotline"


def test_a_known_caller_is_found_by_phone_number_in_another_notation(
    visit: Callable[..., Visit],
    web_server: WebServer,
    screenshot: Callable[[Any, str], Any],
) -> None:
    token = web_server.token(DISPATCHER)
    digits = f"{secrets.randbelow(10**7):07d}"
    name = f"Ilse Brinkmann {secrets.token_hex(2)}"
    created = requests.post(
        f"{web_server.url}{API}/users",
        json={"name": name, "phone": f"0172 {digits}", "role": "customer"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )
    assert created.status_code == 201, created.text

    for width in (PHONE, DESKTOP):
        browser = visit(width)
        browser.log_in(DISPATCHER)
        page = browser.page
        browser.go("/hotline/")
        page.get_by_label("Telefonnummer oder Name").fill(f"+49 172 {digits[:3]}-{digits[3:]}")
        page.get_by_role("button", name="Suchen").click()
        page.wait_for_load_state()
        button = page.get_by_role("button", name=f"Buchen für {name}")
        assert button.count() == 1
        check_accessibility(page)
        screenshot(page, "hotline-found")
        button.click()
        page.wait_for_load_state()
        assert name in page.locator("h1").inner_text()
        assert page.get_by_label("Angebot").count() == 1
