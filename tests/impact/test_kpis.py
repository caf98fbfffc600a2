"""Service KPIs on a small hand-built week: one bike, six bookings on Monday, the courier's
records written onto the published plan's stops, the service's return on Thursday."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from louise.bookings.models import Leg, LegPurpose, LegStatus
from louise.dispatch.models import Plan, PlanStop, StopStatus, StopType
from louise.extensions import db
from louise.fleet.models import Shift, Vehicle, VehicleKind
from louise.impact.kpis import GroupBy, kpis, periods
from louise.impact.ledger import build_ledger
from louise.impact.reading import day_totals
from tests.impact.test_ledger import SETTINGS
from tests.support.bookings import local
from tests.support.dispatch import HOMES, MONDAY, publish_monday

THURSDAY = MONDAY + timedelta(days=3)


@pytest.fixture()
def one_bike(db_session, make_user) -> Shift:
    bike = Vehicle(
        name="Lastenrad 1", kind=VehicleKind.BIKE, capacity_l=200, capacity_kg=100, speed_kmh=15
    )
    db_session.add(bike)
    db_session.flush()
    shift = Shift(
        day=MONDAY,
        courier_id=make_user("courier").id,
        vehicle_id=bike.id,
        starts_at=local(MONDAY, 8, 0),
        ends_at=local(MONDAY, 21, 0),
        breaks=[],
    )
    db_session.add(shift)
    db_session.commit()
    return shift


def publish(db_session, make_user) -> Plan:
    """Plan Monday (3 s: a loaded machine must not leave the six legs unplanned) and publish."""
    return publish_monday(db_session, make_user, time_limit=3.0)


@pytest.fixture()
def week(db_session, one_bike, book, offers, make_user, make_kiosk) -> dict:
    """Five product deliveries (one to a Point) and one repair collected on Monday; the
    courier: every pickup done, three deliveries on time, one late, one failed, the repair
    delivered to the shop on time; the repair comes back on Thursday."""
    kiosk = make_kiosk(5)
    booked = []
    for i in range(5):
        extra = {"destination": "point", "point_id": kiosk.id} if i == 0 else {}
        lat, lon = HOMES[i]
        r = book(
            make_user("customer"), offers["product"], address={"lat": lat, "lon": lon}, **extra
        )
        assert r.status_code == 201, r.json
        booked.append(r.json)
    lat, lon = HOMES[5]
    r = book(make_user("customer"), offers["service"], address={"lat": lat, "lon": lon})
    assert r.status_code == 201, r.json
    booked.append(r.json)
    plan = publish(db_session, make_user)
    assert len(plan.routes) == 1, [(u.leg_id, u.reason, u.detail) for u in plan.unassigned]
    assert not plan.unassigned

    outcome = {  # booking index → (delivery stop status, minutes after the window's end or start)
        0: ("on_time", 5),
        1: ("on_time", 10),
        2: ("on_time", 0),
        3: ("late", 10),
        4: ("failed", 0),
        5: ("on_time", 1),
    }
    legs = {}
    for i, b in enumerate(booked):
        leg = db_session.get(Leg, b["legs"][0]["id"])
        legs[i] = leg
        how, minutes = outcome[i]
        for stop in db_session.scalars(select(PlanStop).where(PlanStop.leg_id == leg.id)):
            if stop.type == StopType.PICKUP:
                stop.status, stop.done_at = StopStatus.COMPLETED, leg.pickup_start
            elif how == "failed":
                stop.status, stop.done_at = StopStatus.FAILED, leg.delivery_start
            elif how == "late":
                stop.status = StopStatus.COMPLETED
                stop.done_at = leg.delivery_end + timedelta(minutes=minutes)
            else:
                stop.status = StopStatus.COMPLETED
                stop.done_at = leg.delivery_start + timedelta(minutes=minutes)
        leg.status = LegStatus.FAILED if how == "failed" else LegStatus.DELIVERED
    repair = db_session.get(Leg, booked[5]["legs"][1]["id"])
    assert repair.purpose == LegPurpose.RETURN and repair.day == THURSDAY
    repair.status = LegStatus.DELIVERED
    db_session.commit()
    return {"booked": booked, "plan": plan}


def test_kpis_of_a_hand_built_monday(db_session, week):
    report = kpis(db_session, MONDAY, MONDAY, GroupBy.DAY)

    [monday] = report.groups
    assert monday.key == "2026-11-23" and not monday.suppressed
    f = monday.figures
    assert (f.bookings, f.active_residents, f.active_shops) == (6, 6, 1)
    assert (f.routes, f.stops, f.stops_per_route) == (1, 12, 12.0)
    assert f.on_time_rate == 0.8  # 4 of 5 delivered stops inside the window
    assert f.failed_attempt_rate == 0.0833  # 1 of 12 attempted stops
    assert f.deliveries == 4  # product legs delivered to residents (the repair went to the shop)
    assert f.point_locker_share == 0.25  # 1 of 4
    assert (f.round_trips, f.avg_turnaround_days) == (0, None)
    assert f.bike_km == 0.0 and report.factor_set_versions == ()  # no ledger built yet
    assert report.total.figures == f


def test_kpis_of_the_week_count_the_repair_coming_back(db_session, week):
    report = kpis(db_session, MONDAY, THURSDAY, GroupBy.WEEK)

    [w48] = report.groups
    assert (w48.key, w48.first, w48.last) == ("2026-W48", MONDAY, THURSDAY)
    f = w48.figures
    assert (f.bookings, f.active_residents, f.active_shops) == (6, 6, 1)
    assert (f.deliveries, f.point_locker_share) == (5, 0.2)  # the repair's return is one more
    assert (f.round_trips, f.avg_turnaround_days) == (1, 3.0)
    assert (f.on_time_rate, f.failed_attempt_rate, f.stops_per_route) == (0.8, 0.0833, 12.0)
    assert report.total.figures == f


def test_a_small_day_withholds_the_next_smallest_too(db_session, week):
    """Thursday has one booking (the repair's return): withheld; the total minus Monday
    would give it away, so Monday is withheld too; the total (six bookings) is shown."""
    report = kpis(db_session, MONDAY, THURSDAY, GroupBy.DAY)

    assert [(g.key, g.suppressed) for g in report.groups] == [
        ("2026-11-23", True),
        ("2026-11-24", True),
        ("2026-11-25", True),
        ("2026-11-26", True),
    ]
    assert all(g.figures.bookings is None for g in report.groups)
    assert not report.total.suppressed and report.total.figures.bookings == 6
    assert report.total.figures.round_trips == 1


def test_km_and_co2e_come_from_the_ledger(db_session, week):
    build_ledger(db_session, MONDAY, SETTINGS)
    totals = day_totals(db_session, MONDAY)
    assert totals is not None
    report = kpis(db_session, MONDAY, MONDAY, GroupBy.MONTH)
    [month] = report.groups
    assert month.key == "2026-11" and (month.first, month.last) == (MONDAY, MONDAY)
    f = month.figures
    assert f.bike_km == round(totals.bike_m / 1000, 3)
    assert f.van_km == round(totals.van_m / 1000, 3)
    assert f.van_km_avoided == round(totals.avoided_m / 1000, 3)
    assert f.co2e_avoided_kg == round(totals.avoided_co2e_mg / 1_000_000, 3)
    assert f.stops_per_km == round(12 / (totals.bike_m / 1000), 2)
    assert report.factor_set_versions == (totals.factor_set_version,)


def test_groups_by_district_and_by_shop(db_session, week, shop):
    by_shop = kpis(db_session, MONDAY, THURSDAY, GroupBy.MERCHANT)
    assert [(g.key, g.label) for g in by_shop.groups] == [(str(shop.id), "Schuhmacherei Kowalski")]
    assert by_shop.groups[0].figures.bookings == 6
    by_district = kpis(db_session, MONDAY, THURSDAY, GroupBy.DISTRICT)
    assert [(g.key, g.figures.bookings) for g in by_district.groups] == [("service-area", 6)]


def test_a_group_of_four_bookings_is_suppressed_and_five_are_shown(db_session, week):
    # the Thursday return alone is 1 booking; a Monday with 6: cancel two bookings' legs
    legs = [db_session.get(Leg, b["legs"][0]["id"]) for b in week["booked"][:2]]
    legs[0].status = LegStatus.CANCELLED
    db_session.commit()
    five = kpis(db_session, MONDAY, MONDAY, GroupBy.DAY)
    assert not five.groups[0].suppressed and five.groups[0].figures.bookings == 5
    legs[1].status = LegStatus.CANCELLED
    db_session.commit()
    four = kpis(db_session, MONDAY, MONDAY, GroupBy.DAY)
    assert four.groups[0].suppressed and four.total.suppressed
    assert four.groups[0].figures.bookings is None and four.total.figures.co2e_avoided_kg is None


def test_kpis_read_a_fixed_number_of_statements(app, db_session, week):
    statements = []
    engine = db.engine_for(app)

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        kpis(db_session, MONDAY, THURSDAY, GroupBy.WEEK)
        # four grouped queries, each per group and for the total, and the factor sets read
        assert len(statements) == 9
        statements.clear()
        kpis(db_session, MONDAY - timedelta(days=300), THURSDAY, GroupBy.MERCHANT)
        assert len(statements) == 10  # the same, and the shops' names
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_weeks_are_iso_weeks_and_months_calendar_months():
    assert periods(date(2026, 12, 30), date(2027, 1, 5), GroupBy.WEEK) == [
        ("2026-W53", date(2026, 12, 30), date(2027, 1, 3)),
        ("2027-W01", date(2027, 1, 4), date(2027, 1, 5)),
    ]
    assert periods(date(2026, 11, 20), date(2027, 1, 2), GroupBy.MONTH) == [
        ("2026-11", date(2026, 11, 20), date(2026, 11, 30)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
        ("2027-01", date(2027, 1, 1), date(2027, 1, 2)),
    ]


def test_a_repair_carried_via_the_hub_is_one_round_trip(db_session, week):
    """Via the hub a repair has two legs each way (resident → hub → shop, shop → hub →
    resident): still one round trip, its turnaround from the first collection leg to the
    last return leg."""
    booking_id = week["booked"][5]["id"]
    for leg in db_session.scalars(select(Leg).where(Leg.booking_id == booking_id)).all():
        columns = {c.key: getattr(leg, c.key) for c in Leg.__table__.columns if c.key != "id"}
        twin = Leg(**{**columns, "seq": leg.seq + 10, "status": LegStatus.DELIVERED})
        db_session.add(twin)
    db_session.commit()

    f = kpis(db_session, MONDAY, THURSDAY, GroupBy.WEEK).total.figures
    assert (f.round_trips, f.avg_turnaround_days) == (1, 3.0)
