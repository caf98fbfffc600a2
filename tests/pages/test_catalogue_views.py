"""The catalogue's pages without a browser: filters, the shop page, hidden shops, bad input
and the htmx answer. The clock stands at Monday 23 November 2026, 10:00 in Bottrop."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, time
from typing import Any

from louise.auth.models import AccountStatus, Role, User
from louise.merchants.models import OpeningException
from tests.conftest import TEST_PASSWORD

#: Monday afternoons only, Tuesday to Saturday all day (like the demo's bike shop)
AFTERNOON_ON_MONDAY = {0: [(time(14), time(18))]} | {d: [(time(10), time(18))] for d in range(1, 6)}


def german(client: Any, path: str, **kw: Any) -> Any:
    return client.get(path, **kw)  # German is the pages' default


def text_of(answer: Any) -> str:
    return re.sub(r"\s+", " ", answer.get_data(as_text=True))


def sign_in(client: Any, user: User) -> None:
    form = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    answer = client.post(
        "/account/login",
        data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token.group(1)},
    )
    assert answer.status_code == 302


def test_search_finds_a_shop_by_name_and_offers_by_their_title(
    client: Any, make_merchant: Callable[..., Any], make_offer: Callable[..., Any], now: Any
) -> None:
    cobbler = make_merchant(name="Schuhmacherei Probe", category="cobbler")
    make_offer(
        cobbler, kind="service", title="Absätze erneuern", price_cents=1890, turnaround_days=3
    )
    make_merchant(name="Bioladen Test", category="grocery")
    page = text_of(german(client, "/shops?q=probe"))
    assert "1 Geschäft gefunden" in page
    assert "Schuhmacherei Probe" in page and "Bioladen Test" not in page
    assert 'Absätze erneuern</span> <span class="price">18,90 €' in page
    by_offer = text_of(german(client, "/shops?q=Absätze"))
    assert "Angebote zu „Absätze“" in by_offer
    assert f'href="/shops/{cobbler.id}#offer-' in by_offer


def test_category_filter_leaves_only_shops_of_that_category(
    client: Any, make_merchant: Callable[..., Any], now: Any
) -> None:
    make_merchant(name="Schneiderei Nadel", category="tailor")
    make_merchant(name="Blumen Probe", category="florist")
    page = text_of(german(client, "/shops?category=tailor"))
    assert "Schneiderei Nadel" in page and "Blumen Probe" not in page
    assert '<option value="tailor" selected>Änderungsschneiderei</option>' in page


def test_open_now_leaves_out_a_shop_that_opens_in_the_afternoon(
    client: Any, make_merchant: Callable[..., Any], now: Any
) -> None:
    make_merchant(name="Zweirad Nachmittag", hours=AFTERNOON_ON_MONDAY)
    make_merchant(name="Laden Vormittag")  # Monday to Saturday 09:00–18:00
    everything = text_of(german(client, "/shops"))
    assert "Geschlossen</span> öffnet heute um 14:00 Uhr" in everything
    assert "Jetzt geöffnet</span> bis 18:00 Uhr" in everything
    open_now = text_of(german(client, "/shops?open=1"))
    assert "Laden Vormittag" in open_now and "Zweirad Nachmittag" not in open_now


def test_near_me_asks_a_visitor_to_log_in_and_a_new_resident_for_a_first_booking(
    client: Any, make_user: Callable[..., User], now: Any
) -> None:
    visitor = text_of(german(client, "/shops?near=1"))
    assert "Melden Sie sich an, um die Geschäfte in Ihrer Nähe zu sehen." in visitor
    sign_in(client, make_user(Role.CUSTOMER))
    resident = text_of(german(client, "/shops?near=1"))
    assert "Wir kennen Ihre Adresse noch nicht" in resident


def test_an_unknown_category_is_said_beside_the_field_with_422(client: Any, now: Any) -> None:
    answer = german(client, "/shops?category=casino&q=Probe")
    assert answer.status_code == 422
    page = text_of(answer)
    assert 'id="e-category"' in page
    assert 'value="Probe"' in page  # what was typed stays


def test_an_htmx_request_gets_only_the_results_and_the_count(
    client: Any, make_merchant: Callable[..., Any], now: Any
) -> None:
    make_merchant(name="Schuhmacherei Probe")
    answer = german(client, "/shops?q=Probe", headers={"HX-Request": "true"})
    page = text_of(answer)
    assert "<html" not in page and "<form" not in page
    assert '<p id="result-count" hx-swap-oob="innerHTML">' in page
    assert "Schuhmacherei Probe" in page


def test_shop_page_shows_week_hours_exceptions_ahead_and_offers(
    client: Any,
    db_session: Any,
    make_merchant: Callable[..., Any],
    make_offer: Callable[..., Any],
    now: Any,
) -> None:
    shop = make_merchant(name="Schuhmacherei Probe", hours=AFTERNOON_ON_MONDAY)
    make_offer(shop, kind="service", title="Schuhe besohlen", price_cents=4900, turnaround_days=5)
    make_offer(shop, kind="product", title="Schuhcreme", price_cents=495, active=False)
    shop.opening_exceptions.append(
        OpeningException(day=date(2026, 12, 24), closed=True, reason="Heiligabend")
    )
    shop.opening_exceptions.append(OpeningException(day=date(2026, 11, 2), closed=True))
    db_session.commit()
    answer = german(client, f"/shops/{shop.id}")
    assert answer.status_code == 200
    page = text_of(answer)
    assert (
        '<th scope="row">Montag <span class="muted">(heute)</span></th> <td>14:00–18:00</td>'
        in page
    )
    assert '<th scope="row">Sonntag</th> <td>geschlossen</td>' in page
    assert "Donnerstag, 24. Dezember 2026</strong>: geschlossen" in page
    assert "2. November" not in page  # past
    assert "Schuhe besohlen" in page and "49,00 €" in page and "Zurück nach 5 Tagen" in page
    assert "Schuhcreme" not in page  # paused offers are not public


def test_a_hidden_or_unknown_shop_is_the_html_404_page(
    client: Any, make_merchant: Callable[..., Any], make_user: Callable[..., User], now: Any
) -> None:
    hidden = make_merchant(name="Verborgen", active=False)
    pending = make_merchant(
        name="Wartend", owner=make_user(Role.MERCHANT, status=AccountStatus.PENDING)
    )
    for path in (f"/shops/{hidden.id}", f"/shops/{pending.id}", "/shops/999999"):
        answer = german(client, path)
        assert answer.status_code == 404
        assert answer.mimetype == "text/html"
    listed = text_of(german(client, "/shops"))
    assert "Verborgen" not in listed and "Wartend" not in listed
