"""The slots' short-lived copy of an offer, its shop's hours and the districts
(louise/bookings/reference.py): cleared at once by a change committed in the same worker,
at most REFERENCE_CACHE_SECONDS old for a change made elsewhere; booking create always
reads the rows as they are."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from louise.auth.models import Role
from louise.bookings.reference import ReferenceCache
from louise.merchants.models import Offer
from tests.support.bookings import HOME, MONDAY


class FakeTimer:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture()
def timer(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTimer]:
    fake = FakeTimer()
    monkeypatch.setitem(app.extensions, "louise.reference", ReferenceCache(10, timer=fake))
    yield fake


def _slots(client: Any, offer: Offer) -> Any:
    offer_id = offer.id  # read before the objects are let go
    return client.get(
        "/api/v1/slots",
        query_string={"date": MONDAY.isoformat(), "offer_id": offer_id, **HOME},
    )


def test_an_offer_paused_in_this_worker_leaves_the_slots_at_once(
    client, offers, timer, db_session, now
):
    offer = offers["product"]
    assert _slots(client, offer).status_code == 200
    db_session.get(Offer, offer.id).active = False
    db_session.commit()
    r = _slots(client, offer)
    assert r.status_code == 422, r.json
    assert r.json["errors"]["query"]["offer_id"] == ["Offer is inactive."]


def _paused_elsewhere(db_session: Any, offer: Offer) -> None:
    """Another worker pauses the offer: nothing in this worker hears of it. (The tests'
    requests share one session; a worker's requests each have their own, so the objects
    read before are let go, as at the end of a request.)"""
    db_session.execute(update(Offer).where(Offer.id == offer.id).values(active=False))
    db_session.commit()  # a bulk UPDATE: no flush, so this worker's hook does not see it
    db_session.expunge_all()


def test_a_change_made_elsewhere_shows_within_the_cache_time_and_booking_reads_it_at_once(
    client, offers, timer, db_session, book, make_user, now
):
    offer = offers["product"]
    resident = make_user(Role.CUSTOMER)
    assert _slots(client, offer).status_code == 200
    _paused_elsewhere(db_session, offer)

    timer.t += 9
    assert _slots(client, offer).status_code == 200  # the copy, 9 s old
    refused = book(resident, offer.id)
    assert refused.status_code == 422, refused.json
    assert refused.json["errors"]["json"]["offer_id"] == ["Offer is inactive."]

    timer.t += 2  # 11 s: the copy has expired
    r = _slots(client, offer)
    assert r.status_code == 422, r.json


def test_without_cache_time_every_slots_request_reads_the_offer(
    app, client, offers, db_session, monkeypatch, now
):
    monkeypatch.setitem(app.extensions, "louise.reference", ReferenceCache(0))
    offer = offers["product"]
    assert _slots(client, offer).status_code == 200
    _paused_elsewhere(db_session, offer)
    assert _slots(client, offer).status_code == 422
