"""The city's dashboard in a real browser, as the demo's city account (stadt@louise.test): the
demo month's figures equal the API's, the open-data CSV and the monthly PDF download, and no
page the city can reach shows a resident — no name, address, phone, e-mail or booking code.

The web test server seeds 14 days of history before Monday 2026-11-23, with the impact
ledger built: the dashboard opens on November 2026.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from louise.demo.data import POINTS, RESIDENTS, SHOPS
from tests.pages.conftest import (
    DESKTOP,
    PHONE,
    RESIDENT,
    Visit,
    WebServer,
    check_accessibility,
)

pytestmark = pytest.mark.slow

API = "/api/v1"
CITY = "stadt@louise.test"
DISPATCHER = "dispatch@louise.test"
MONTH = ("2026-11-01", "2026-11-30")
TIMEOUT = 120


def _impact(server: WebServer, group_by: str, fmt: str = "json") -> Any:
    answer = requests.get(
        f"{server.url}{API}/impact",
        params={"from": MONTH[0], "to": MONTH[1], "group_by": group_by, "format": fmt},
        headers={"Authorization": f"Bearer {server.token(CITY)}"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text
    return answer.text if fmt == "csv" else answer.json()


def _german(value: float | int, decimals: int = 0) -> str:
    """A number as the German page writes it: 1.234,5 (Babel rounds half to even)."""
    quantum = Decimal(1).scaleb(-decimals)
    rounded = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_EVEN)
    text = f"{rounded:,.{decimals}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def _city(visit: Callable[..., Visit], viewport: dict[str, int] = DESKTOP) -> Visit:
    browser = visit(viewport)
    browser.log_in(CITY)
    return browser


def _figure(page: Any, name: str) -> str:
    return str(page.locator(f"[data-figure={name}] .figure").inner_text())


def test_dashboard_opens_on_the_demo_month_with_the_apis_figures(
    visit: Callable[..., Visit], web_server: WebServer
) -> None:
    browser = _city(visit)
    page = browser.page
    assert urlsplit(page.url).path == "/city"  # the city's start page after login
    assert page.locator(".month-name").inner_text() == "November 2026"
    api = _impact(web_server, "month")["total"]  # read after the page: no test runs between
    assert api["suppressed"] is False and api["bookings"] >= 5
    assert _figure(page, "bookings") == _german(api["bookings"])
    assert _figure(page, "deliveries") == _german(api["deliveries"])
    assert _figure(page, "round_trips") == _german(api["round_trips"])
    assert _figure(page, "bike_km") == _german(api["bike_km"], 1) + " km"
    assert _figure(page, "van_km") == _german(api["van_km"], 1) + " km"
    assert _figure(page, "co2e_avoided_kg") == _german(api["co2e_avoided_kg"], 1) + " kg"
    assert _figure(page, "on_time_rate") == _german(api["on_time_rate"] * 100, 1) + "\u00a0%"
    assert api["deliveries"] > 0 and api["co2e_avoided_kg"] > 0  # the history was worked

    # the weekly charts are SVG drawn by the page, with the figures in a table beside them
    assert page.locator("figure.chart svg[role=img]").count() == 4
    assert page.locator("figure.chart svg rect[fill]").count() > 4
    weeks = _impact(web_server, "week")["groups"]
    week_rows = page.locator("#week-table tbody tr")
    assert week_rows.count() == len(weeks)
    for row, week in zip(week_rows.all(), weeks, strict=True):
        assert f"KW {int(week['key'].split('W')[1])}" in row.locator("th").inner_text()
        cells = row.locator("td").all_inner_texts()
        if week["suppressed"]:
            assert cells[0].startswith("nicht ausgewiesen")
        else:
            assert cells[0] == _german(week["bookings"])

    # districts and shops: the API's groups; a withheld group shows why, never its numbers
    for group_by, table in (("district", "#district-table"), ("merchant", "#shop-table")):
        groups = _impact(web_server, group_by)["groups"]
        rows = page.locator(f"{table} tbody tr")
        assert rows.count() == len(groups)
        for row, group in zip(rows.all(), groups, strict=True):
            assert row.locator("th").inner_text() == group["label"]
            cells = row.locator("td").all_inner_texts()
            if group["suppressed"]:
                assert len(cells) == 1 and "weniger als 5 Buchungen" in cells[0]
            else:
                assert cells[0] == _german(group["bookings"])
                assert cells[7] == _german(group["co2e_avoided_kg"], 1)

    # the month picker
    page.get_by_role("link", name="Oktober 2026").click()
    assert page.locator(".month-name").inner_text() == "Oktober 2026"
    assert "werden nicht ausgewiesen" in page.inner_text("main")  # no history in October
    page.get_by_role("link", name="November 2026").click()
    assert page.locator(".month-name").inner_text() == "November 2026"
    assert page.get_by_role("link", name="Dezember 2026").count() == 0  # not begun yet


def test_the_open_data_csv_downloads_as_the_api_gives_it(
    visit: Callable[..., Visit], web_server: WebServer
) -> None:
    browser = _city(visit)
    page = browser.page
    for name, group_by in (
        ("CSV, eine Zeile je Woche", "week"),
        ("CSV, eine Zeile je Stadtteil", "district"),
    ):
        with page.expect_download() as download:
            page.get_by_role("link", name=name).click()
        saved = download.value
        assert saved.suggested_filename == f"louise-impact-{MONTH[0]}-{MONTH[1]}-{group_by}.csv"
        content = Path(saved.path()).read_bytes().decode("utf-8")
        api = _impact(web_server, group_by, "csv")
        assert content.startswith(api.split("\r\n", 1)[0] + "\r\n")  # the API's header
        assert content == api


def test_the_monthly_report_downloads_as_a_pdf_within_seconds(
    visit: Callable[..., Visit],
) -> None:
    browser = _city(visit)
    page = browser.page
    assert "kann einige Sekunden dauern" in page.inner_text("main")
    started = time.monotonic()
    with page.expect_download(timeout=90_000) as download:
        page.get_by_role("link", name="Monatsbericht (PDF)").click()
    saved = download.value
    seconds = time.monotonic() - started
    assert saved.suggested_filename == "louise-report-2026-11.pdf"
    assert Path(saved.path()).read_bytes()[:5] == b"%PDF-"
    print(f"monthly report PDF: {seconds:.1f} s")
    assert seconds < 60


def _personal_markers(server: WebServer) -> set[str]:
    """What identifies a resident: the demo residents' names, e-mails, phones, addresses
    (a street alone when no shop or Point has its public address there), and the names,
    addresses and booking codes of every booking the dispatcher's list shows."""
    public_streets = {shop.street for shop in SHOPS} | {point[2] for point in POINTS}
    markers: set[str] = set()
    for name, local, street, number, _postcode, phone, _locale in RESIDENTS:
        markers |= {name, f"{local}@louise.test", phone, f"{street} {number}"}
        if street not in public_streets:
            markers.add(street)
    answer = requests.get(
        f"{server.url}{API}/bookings",
        params={"per_page": 100},
        headers={"Authorization": f"Bearer {server.token(DISPATCHER)}"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text
    bookings = answer.json()
    items = bookings["items"] if isinstance(bookings, dict) else bookings
    assert items, "the dispatcher sees the demo's bookings"
    for booking in items:
        markers.add(booking["code"])
    return {m for m in markers if m}


def test_no_page_the_city_can_reach_shows_a_resident(
    visit: Callable[..., Visit], web_server: WebServer
) -> None:
    markers = _personal_markers(web_server)
    browser = _city(visit)
    page = browser.page
    origin = web_server.url
    queue: list[tuple[str, int]] = [("/city", 0)]
    seen: set[str] = set()
    downloads: set[str] = set()
    while queue and len(seen) < 40:
        path, depth = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        answer = browser.go(path)
        assert answer is not None and answer.status < 500, path
        html = page.content()
        found = sorted(m for m in markers if m in html)
        assert found == [], f"{path} shows {found}"
        if depth >= 2:
            continue
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            url = urlsplit(urljoin(page.url, href))
            if f"{url.scheme}://{url.netloc}" != origin:
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            if url.path.endswith((".csv", ".pdf")):
                downloads.add(target)
            elif target not in seen:
                queue.append((target, depth + 1))
    assert {"/city", "/account/password"} <= seen
    assert len(downloads) >= 5  # four CSVs and the PDF, read below with the city's session
    for target in sorted(downloads):
        answer = page.request.get(origin + target, timeout=90_000)
        assert answer.status == 200, target
        body = answer.body().decode("latin-1")
        found = sorted(m for m in markers if m in body)
        assert found == [], f"{target} holds {found}"


def test_the_city_gets_no_residents_shops_or_dispatchers_pages(
    visit: Callable[..., Visit], web_server: WebServer
) -> None:
    resident = web_server.token(RESIDENT)
    mine = requests.get(
        f"{web_server.url}{API}/bookings",
        headers={"Authorization": f"Bearer {resident}"},
        timeout=TIMEOUT,
    ).json()
    items = mine["items"] if isinstance(mine, dict) else mine
    assert items, "the demo resident has bookings"
    booking = items[0]
    browser = _city(visit)
    page = browser.page
    for path in (
        "/bookings",
        f"/bookings/{booking['id']}",
        f"/bookings/{booking['id']}/calendar.ics",
        "/shop/today",
        "/shop/offers",
        "/shop/month",
        "/shop/hours",
        "/dispatch",
        "/hotline",
        "/fleet",
        "/courier",
    ):
        answer = browser.go(path)
        assert answer is not None
        # sent elsewhere (a redirect; "/hotline" → "/hotline/" is the same page)
        if urlsplit(page.url).path.rstrip("/") != path.rstrip("/"):
            assert urlsplit(page.url).path in ("/city", "/account/login", "/"), path
        else:
            assert answer.status in (403, 404), f"{path}: {answer.status}"
        html = page.content()
        assert booking["code"] not in html, path
        assert "Anna Becker" not in html and "Hansastraße" not in html, path


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_dashboard_is_accessible_at_phone_and_desktop_width(
    visit: Callable[..., Visit],
    screenshot: Callable[[Any, str], Any],
    viewport: dict[str, int],
) -> None:
    browser = _city(visit, viewport)
    page = browser.page
    browser.go("/city?month=2026-11")
    assert page.get_by_role("heading", level=1).inner_text() == "LOUISE in Zahlen"
    check_accessibility(page)
    screenshot(page, "city-dashboard")
