"""Fleet and shifts in a real browser, logged in as the demo dispatcher: a shift with a break
added for a courier and listed, a shift that ends before it starts refused beside its end,
axe on the overview and the edit pages.

The shifts are put on a day of these tests' own, far from the demo's planned day.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.pages.conftest import DESKTOP, PHONE, Visit, check_accessibility

pytestmark = pytest.mark.slow

DISPATCHER = "dispatch@louise.test"
DAY = "2027-02-16"  # a Tuesday nobody else plans
COURIER = "Aylin Demir"


def _fill_shift(page: Any, courier: str, starts: str, ends: str) -> Any:
    form = page.locator("form", has=page.get_by_role("button", name="Schicht hinzufügen"))
    form.get_by_label("Kurier/in").select_option(label=courier)
    form.get_by_label("Fahrzeug").select_option(index=1)
    form.get_by_label("Tag").fill(DAY)
    form.get_by_label("Beginn").fill(starts)
    form.get_by_label("Ende").fill(ends)
    return form


def test_a_shift_with_a_break_is_added_for_a_courier_and_listed(
    visit: Callable[..., Visit], screenshot: Callable[[Any, str], Any]
) -> None:
    browser = visit(DESKTOP)
    browser.log_in(DISPATCHER)
    page = browser.page
    browser.go(f"/fleet/?day={DAY}")
    check_accessibility(page)
    form = _fill_shift(page, COURIER, "07:30", "15:30")
    form.get_by_label("Pause frühestens ab").fill("11:00")
    form.get_by_label("Pause spätestens bis").fill("13:00")
    form.get_by_label("Länge in Minuten").fill("30")
    form.get_by_role("button", name="Schicht hinzufügen").click()
    page.wait_for_load_state()
    shifts = page.locator("#shifts table")
    row = shifts.locator("tr", has=page.get_by_role("rowheader", name=COURIER))
    assert row.count() == 1
    text = row.inner_text()
    assert "07:30–15:30" in text
    assert "30 Min. zwischen 11:00 und 13:00" in text
    check_accessibility(page)
    screenshot(page, "fleet")

    # the edit page of that shift, and of a vehicle
    row.get_by_role("link", name="Ändern").click()
    page.wait_for_load_state()
    assert page.get_by_label("Beginn").input_value() == "07:30"
    check_accessibility(page)
    browser.go(f"/fleet/?day={DAY}")
    page.locator("#vehicles tbody tr").first.get_by_role("link", name="Ändern").click()
    page.wait_for_load_state()
    assert page.get_by_label("Kapazität in Litern").input_value()
    check_accessibility(page)


def test_a_shift_that_ends_before_it_starts_is_refused_beside_the_end(
    visit: Callable[..., Visit], screenshot: Callable[[Any, str], Any]
) -> None:
    browser = visit(PHONE)
    browser.log_in(DISPATCHER)
    page = browser.page
    browser.go(f"/fleet/?day={DAY}")
    form = _fill_shift(page, "Markus Brandt", "18:00", "09:00")
    form.get_by_role("button", name="Schicht hinzufügen").click()
    page.wait_for_load_state()
    end = page.get_by_label("Ende")
    assert end.get_attribute("aria-invalid") == "true"
    assert "e-ends_at" in (end.get_attribute("aria-describedby") or "")
    assert page.locator("#e-ends_at").inner_text() == "Die Schicht muss nach ihrem Beginn enden."
    assert page.get_by_label("Beginn").input_value() == "18:00"  # kept
    assert page.locator("#shifts table").get_by_role("rowheader", name="Markus Brandt").count() == 0
    check_accessibility(page)
    screenshot(page, "fleet-refused")
