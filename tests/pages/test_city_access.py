"""The city's dashboard without a browser: who may open it and its downloads, bad months and
bad download ranges (fast: the Flask test client, an empty ledger)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from louise.auth.models import User
from louise.impact.factors import factor_set_version, factors
from louise.impact.models import ImpactDay
from louise.impact.opendata import CSV_COLUMNS
from louise.pages import login

PATHS = ("/city", "/city/impact.csv?from=2026-11-01&to=2026-11-30", "/city/report-2026-11.pdf")


def _sign_in(client: FlaskClient, user: User) -> None:
    with client.session_transaction() as session:
        session["uid"] = user.id
        session["pwf"] = login._fingerprint(user)


def test_the_dashboard_and_its_downloads_need_a_login(client: FlaskClient) -> None:
    for path in PATHS:
        answer = client.get(path)
        assert answer.status_code == 302, path
        assert answer.headers["Location"].startswith("/account/login?next=/city")


@pytest.mark.parametrize("role", ["customer", "merchant", "courier"])
def test_residents_shops_and_couriers_may_not_open_the_citys_pages(
    client: FlaskClient, make_user: object, role: str
) -> None:
    _sign_in(client, make_user(role))  # type: ignore[operator]
    for path in PATHS:
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert "Diese Seite ist nicht für Ihr Konto." in answer.get_data(as_text=True)


@pytest.mark.parametrize("role", ["city", "dispatcher", "admin"])
def test_the_city_dispatchers_and_admins_read_the_dashboard(
    client: FlaskClient, make_user: object, role: str
) -> None:
    _sign_in(client, make_user(role))  # type: ignore[operator]
    answer = client.get("/city?month=2026-11")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "LOUISE in Zahlen" in page and "November 2026" in page


def test_an_empty_month_withholds_its_figures_but_offers_the_downloads(
    client: FlaskClient, make_user: object
) -> None:
    _sign_in(client, make_user("city"))  # type: ignore[operator]
    page = client.get("/city?month=2026-10").get_data(as_text=True)
    assert "Die Zahlen dieses Monats werden nicht ausgewiesen" in page
    assert "/city/impact.csv?from=2026-10-01&amp;to=2026-10-31&amp;group_by=week" in page
    assert "/city/report-2026-10.pdf" in page


def test_a_malformed_month_is_refused_beside_the_month_navigation(
    client: FlaskClient, make_user: object
) -> None:
    _sign_in(client, make_user("city"))  # type: ignore[operator]
    answer = client.get("/city?month=11-2026")
    assert answer.status_code == 422
    assert "Bitte einen Monat wie 2026-11 angeben." in answer.get_data(as_text=True)


def test_the_csv_answers_the_apis_columns_and_refuses_a_bad_range(
    client: FlaskClient, make_user: object
) -> None:
    _sign_in(client, make_user("city"))  # type: ignore[operator]
    answer = client.get("/city/impact.csv?from=2026-11-01&to=2026-11-30&group_by=district")
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert (
        "louise-impact-2026-11-01-2026-11-30-district.csv" in answer.headers["Content-Disposition"]
    )
    assert answer.get_data(as_text=True).startswith(",".join(CSV_COLUMNS) + "\r\n")
    for query in (
        "from=2026-11-30&to=2026-11-01",
        "from=2026-01-01&to=2027-12-31",
        "from=2026-11-01",
        "from=2026-11-01&to=2026-11-30&group_by=resident",
    ):
        refused = client.get(f"/city/impact.csv?{query}")
        assert refused.status_code == 422, query
        assert "Dieser Download braucht" in refused.get_data(as_text=True)


def test_the_report_of_a_month_that_does_not_exist_is_not_found(
    client: FlaskClient, make_user: object
) -> None:
    _sign_in(client, make_user("city"))  # type: ignore[operator]
    assert client.get("/city/report-2026-13.pdf").status_code == 404
    assert client.get("/city/report-26-11.pdf").status_code == 404


def _built(db_session: Any, day: date) -> None:
    version = factor_set_version(db_session, factors())
    db_session.add(
        ImpactDay(
            day=day,
            ledger_version=1,
            factor_set_id=version,
            plan_id=1,
            legs=0,
            bike_m=0,
            ecar_m=0,
            van_m=0,
            vans=0,
        )
    )
    db_session.commit()


def test_the_dashboard_opens_on_the_last_month_the_ledger_holds(
    client: FlaskClient, make_user: Any, db_session: Any, now: Any
) -> None:
    _sign_in(client, make_user("city"))
    # Monday 23 November 2026; nothing built yet: this month
    assert "November 2026</h2>" in client.get("/city").get_data(as_text=True)
    _built(db_session, date(2026, 10, 30))
    assert "Oktober 2026</h2>" in client.get("/city").get_data(as_text=True)
    now(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))  # a new month, its first day not built yet
    _built(db_session, date(2026, 11, 30))
    assert "November 2026</h2>" in client.get("/city").get_data(as_text=True)
    _built(db_session, date(2026, 12, 1))
    assert "Dezember 2026</h2>" in client.get("/city").get_data(as_text=True)
