"""The pages every visitor sees first: the start page, login, registration, the language
switch, in a real browser; their headers and forms without one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.pages.conftest import DESKTOP, PHONE, RESIDENT, Visit, check_accessibility

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_start_page_says_what_louise_is_and_the_cutoff(
    visit: Callable[..., Visit], screenshot: Callable[[Any, str], Any], viewport: dict[str, int]
) -> None:
    browser = visit(viewport)
    browser.go("/")
    page = browser.page
    assert page.get_by_role("heading", level=1).inner_text().startswith("Ihre Geschäfte in Bottrop")
    assert "Bis 14:00 Uhr bestellt, heute ab 17:30 Uhr geliefert." in page.inner_text("main")
    steps = page.locator(".steps li strong").all_inner_texts()
    assert steps == ["Buchen", "Abholung", "Das Geschäft", "Zurück zu Ihnen"]
    check_accessibility(page)
    screenshot(page, "start")


def test_language_switch_shows_english_and_keeps_the_page(visit: Callable[..., Visit]) -> None:
    browser = visit()
    browser.go("/account/login")
    browser.page.get_by_role("link", name="English").click()
    assert browser.page.url.endswith("/account/login")
    assert browser.page.get_by_role("heading", level=1).inner_text() == "Log in"
    browser.page.get_by_role("link", name="Deutsch").click()
    assert browser.page.get_by_role("heading", level=1).inner_text() == "Anmelden"


def test_wrong_password_is_said_on_the_form_and_right_one_logs_in(
    visit: Callable[..., Visit], screenshot: Callable[[Any, str], Any]
) -> None:
    browser = visit()
    page = browser.page
    browser.go("/account/login")
    page.get_by_label("E-Mail").fill(RESIDENT)
    page.get_by_label("Passwort").fill("not-the-password")
    page.get_by_role("button", name="Anmelden").click()
    assert page.get_by_role("alert").inner_text() == "E-Mail-Adresse oder Passwort falsch."
    check_accessibility(page)
    screenshot(page, "login-refused")
    browser.log_in(RESIDENT)
    assert page.get_by_role("button", name="Abmelden").is_visible()


def test_registration_names_the_short_password_beside_its_field_then_logs_in(
    visit: Callable[..., Visit], screenshot: Callable[[Any, str], Any]
) -> None:
    browser = visit()
    page = browser.page
    browser.go("/account/register")
    page.get_by_label("Ihr Name").fill("Eva Neumann")
    page.get_by_label("E-Mail").fill("eva.neumann@example.org")
    page.get_by_label("Passwort").fill("kurz")
    page.get_by_role("button", name="Konto anlegen").click()
    assert page.locator("#e-password").inner_text() == "Bitte 10 bis 200 Zeichen."
    assert page.get_by_label("Passwort").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Ihr Name").input_value() == "Eva Neumann"  # nothing typed is lost
    check_accessibility(page)
    screenshot(page, "register-refused")
    page.get_by_label("Passwort").fill("lang-genug-123")
    page.get_by_role("button", name="Konto anlegen").click()
    assert "Willkommen, Eva Neumann!" in page.inner_text("main")
    page.get_by_role("button", name="Abmelden").click()
    assert "Sie sind abgemeldet." in page.inner_text("main")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_account_and_error_pages_are_accessible(
    visit: Callable[..., Visit], screenshot: Callable[[Any, str], Any], viewport: dict[str, int]
) -> None:
    browser = visit(viewport)
    page = browser.page
    for path, name in (("/account/register", "register"), ("/account/login", "login")):
        browser.go(path)
        check_accessibility(page)
        screenshot(page, name)
    browser.log_in(RESIDENT)
    browser.go("/account/password")
    assert page.get_by_role("heading", level=1).inner_text() == "Konto"
    check_accessibility(page)
    screenshot(page, "account")
    answer = browser.go("/no-such-page")
    assert answer.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Diese Seite gibt es nicht."
    check_accessibility(page)
    screenshot(page, "not-found")
    page.get_by_role("link", name="English").click()
    browser.go("/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Your shops in Bottrop")
    check_accessibility(page)
