"""The catalogue in a real browser, on the Bottrop demo at Monday 23 November 2026, 10:00:
search, category, "open now", "near me", a shop's page; with htmx and without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.pages.conftest import DESKTOP, PHONE, RESIDENT, Visit, check_accessibility

pytestmark = pytest.mark.slow

SEARCH = "Geschäfte und Angebote suchen"
COBBLER = "Schuhmacherei Kowalski"
#: the demo's bike shop opens on Mondays at 14:00 only
BIKE_SHOP = "Zweirad Berger"
DEMO_SHOPS = 10


def card_names(page: Any) -> list[str]:
    return page.locator(".shop-card h2").all_inner_texts()


def wait_for_count(page: Any, text: str) -> None:
    page.locator("#result-count", has_text=text).wait_for()


def metres(text: str) -> float:
    """ "650 m entfernt" → 650, "1,2 km entfernt" → 1200."""
    found = re.match(r"([\d.,]+) (k?m)", text)
    assert found, text
    number = float(found.group(1).replace(".", "").replace(",", "."))
    return number * 1000 if found.group(2) == "km" else number


def test_search_finds_the_demo_cobbler_and_puts_the_filter_in_the_address(
    visit: Callable[..., Visit],
) -> None:
    browser = visit()
    page = browser.page
    browser.go("/shops")
    assert len(card_names(page)) == DEMO_SHOPS
    page.get_by_label(SEARCH).fill("kowalski")
    page.get_by_label(SEARCH).press("Enter")
    wait_for_count(page, "1 Geschäft gefunden")
    assert card_names(page) == [COBBLER]
    assert "q=kowalski" in page.url  # htmx pushed the filter: the list can be shared
    page.get_by_label(SEARCH).fill("Absätze")
    page.get_by_label(SEARCH).press("Enter")
    offers = page.get_by_role("region", name="Angebote zu „Absätze“")
    offers.get_by_role("link", name="Absätze erneuern").wait_for()
    assert "q=Absätze" in page.url or "q=Abs%C3%A4tze" in page.url


def test_a_category_narrows_the_list_to_its_shops(visit: Callable[..., Visit]) -> None:
    browser = visit()
    page = browser.page
    browser.go("/shops")
    page.get_by_label("Kategorie").select_option(label="Änderungsschneiderei")
    wait_for_count(page, "1 Geschäft gefunden")
    assert card_names(page) == ["Änderungsschneiderei Yılmaz"]
    assert page.locator(".shop-card .category").all_inner_texts() == ["Änderungsschneiderei"]
    assert "category=tailor" in page.url


def test_open_now_at_monday_ten_leaves_out_the_bike_shop_that_opens_at_two(
    visit: Callable[..., Visit],
) -> None:
    browser = visit()
    page = browser.page
    browser.go("/shops")
    bike_shop = page.locator(".shop-card", has_text=BIKE_SHOP)
    assert bike_shop.locator(".opening").inner_text() == "Geschlossen öffnet heute um 14:00 Uhr"
    page.get_by_label("Jetzt geöffnet").check()
    wait_for_count(page, f"{DEMO_SHOPS - 1} Geschäfte gefunden")
    names = card_names(page)
    assert BIKE_SHOP not in names and COBBLER in names
    badges = page.locator(".shop-card .badge").all_inner_texts()
    assert badges == ["Jetzt geöffnet"] * (DEMO_SHOPS - 1)


def test_near_me_lists_shops_by_distance_from_anna_beckers_address(
    visit: Callable[..., Visit],
) -> None:
    browser = visit()
    browser.log_in(RESIDENT)
    page = browser.page
    browser.go("/shops")
    page.get_by_label("In meiner Nähe").check()
    wait_for_count(page, "die nächsten zuerst")
    distances = [metres(t) for t in page.locator(".shop-card .distance").all_inner_texts()]
    assert len(distances) == DEMO_SHOPS
    assert distances == sorted(distances)
    assert distances[0] < distances[-1]
    assert "Entfernungen ab Hansastraße 20" in page.inner_text("main")
    # the bakery is in Kirchhellen, 8 km north of Anna's home in the town centre
    assert card_names(page)[-1] == "Landbäckerei Schmücker"


def test_near_me_for_a_visitor_offers_the_login_and_the_search(
    visit: Callable[..., Visit],
) -> None:
    browser = visit()
    page = browser.page
    browser.go("/shops?near=1")
    assert "Melden Sie sich an, um die Geschäfte in Ihrer Nähe zu sehen." in page.inner_text("main")
    assert len(card_names(page)) == DEMO_SHOPS  # the catalogue still shows, by name


def test_filters_work_without_javascript(visit: Callable[..., Visit]) -> None:
    browser = visit(java_script_enabled=False)
    page = browser.page
    browser.go("/shops")
    page.get_by_label("Kategorie").select_option(label="Schuhmacher")
    page.get_by_label("Jetzt geöffnet").check()
    page.get_by_role("button", name="Geschäfte anzeigen").click()
    page.wait_for_load_state()
    assert "category=cobbler" in page.url and "open=1" in page.url
    assert card_names(page) == [COBBLER]
    assert page.get_by_label("Jetzt geöffnet").is_checked()


def test_shop_page_shows_the_week_hours_and_offers_with_prices(
    visit: Callable[..., Visit],
) -> None:
    browser = visit()
    page = browser.page
    browser.go("/shops")
    page.get_by_role("link", name=COBBLER, exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == COBBLER
    assert page.locator(".opening").inner_text() == "Jetzt geöffnet bis 13:00 Uhr"
    hours = page.get_by_role("table")
    monday = hours.get_by_role("row", name="Montag")
    assert monday.get_by_role("cell").inner_text() == "09:00–13:00, 14:30–18:00"
    assert monday.get_attribute("aria-current") == "date"
    sunday = hours.get_by_role("row", name="Sonntag")
    assert sunday.get_by_role("cell").inner_text() == "geschlossen"
    offer = page.locator(".offer", has_text="Absätze erneuern")
    assert offer.locator(".price").inner_text() == "18,90\xa0€"  # a no-break space
    assert "Zurück nach 3 Tagen" in offer.inner_text()
    assert "Paketgröße S: bis 10 l, 3 kg" in offer.inner_text()
    assert page.locator(".offer").count() == 5
    donation = page.locator(".offer", has_text="Altschuhe zur Spende abgeben")
    assert donation.locator(".price").inner_text() == "kostenlos"


def test_an_unknown_shop_is_the_not_found_page(visit: Callable[..., Visit]) -> None:
    browser = visit()
    answer = browser.go("/shops/999999")
    assert answer.status == 404
    check_accessibility(browser.page)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_catalogue_and_shop_pages_are_accessible_at_phone_and_desktop_width(
    visit: Callable[..., Visit], screenshot: Callable[[Any, str], Any], viewport: dict[str, int]
) -> None:
    browser = visit(viewport)
    browser.log_in(RESIDENT)
    page = browser.page
    browser.go("/shops?near=1")
    check_accessibility(page)
    screenshot(page, "catalogue")
    page.get_by_role("link", name=COBBLER, exact=True).click()
    page.wait_for_load_state()
    check_accessibility(page)
    screenshot(page, "shop")
