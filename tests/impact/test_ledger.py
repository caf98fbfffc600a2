"""The impact ledger of a published day: rows per leg that add up to the plan's km, the van
counterfactual checked by the validator, append-only versions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from louise.dispatch import service
from louise.fleet.models import Vehicle, VehicleKind
from louise.geo.distance import haversine_m
from louise.impact.counterfactual import VanFleet, plan_vans, van_legs
from louise.impact.factors import factors
from louise.impact.ledger import (
    ImpactSettings,
    LedgerExists,
    NoPublishedPlan,
    build_ledger,
    rebuild,
)
from louise.impact.models import ImpactDay, LedgerIsAppendOnly, LedgerRow
from louise.impact.reading import booking_avoided_g, day_totals, ledger_rows
from louise.routing.validate import validate
from tests.support.courier import picked_up, stop_action
from tests.support.dispatch import HUB, MONDAY

FAST = VanFleet(time_limit=1.0)
SETTINGS = ImpactSettings(hub=HUB, fleet=FAST)
CLOCK = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def versions(db_session, day: date, version: int) -> list[tuple]:
    rows = db_session.scalars(
        select(LedgerRow)
        .where(LedgerRow.day == day, LedgerRow.ledger_version == version)
        .order_by(LedgerRow.leg_id)
    ).all()
    return [
        (
            r.leg_id,
            r.factor_set_id,
            r.bike_m,
            r.ecar_m,
            r.van_m,
            r.avoided_m,
            r.electric_co2e_mg,
            r.van_co2e_mg,
            r.avoided_co2e_mg,
        )
        for r in rows
    ]


def test_the_rows_of_a_day_add_up_to_the_route_km_of_its_plan(db_session, published):
    built = build_ledger(db_session, MONDAY, SETTINGS)

    rows = ledger_rows(db_session, MONDAY, MONDAY)
    planned_legs = {s.leg_id for r in published.routes for s in r.stops if s.leg_id is not None}
    assert len(rows) == 8 == len(planned_legs)
    assert {r.leg_id for r in rows} == planned_legs
    assert sum(r.bike_m for r in rows) == sum(round(r.distance_m) for r in published.routes)
    assert sum(r.ecar_m for r in rows) == 0  # Monday's fleet is two bikes
    for route in published.routes:
        legs = {s.leg_id for s in route.stops if s.leg_id is not None}
        assert sum(r.bike_m for r in rows if r.leg_id in legs) == round(route.distance_m)
        assert {r.route_id for r in rows if r.leg_id in legs} == {route.id}
    for row in rows:
        assert row.avoided_m == row.van_m - row.bike_m - row.ecar_m
        assert row.avoided_co2e_mg == row.van_co2e_mg - row.electric_co2e_mg
        assert row.mode == "bike" and row.km_source == "plan" and row.ledger_version == 1

    totals = day_totals(db_session, MONDAY)
    assert totals is not None
    assert totals.legs == 8 and totals.ledger_version == 1 == built.ledger_version
    assert totals.bike_m == sum(r.bike_m for r in rows) == built.bike_m
    assert totals.van_m == sum(r.van_m for r in rows) == built.van_m
    assert totals.avoided_m == totals.van_m - totals.bike_m - totals.ecar_m
    assert totals.avoided_co2e_mg == sum(r.avoided_co2e_mg for r in rows)
    assert totals.vans >= 1 and totals.van_m > 0


def test_co2e_follows_the_factors_row_by_row(db_session, published):
    build_ledger(db_session, MONDAY, SETTINGS)
    for row in ledger_rows(db_session, MONDAY, MONDAY):
        # 1 m at 1 g/km is 1 mg; a bike's kWh/km times the grid's g/kWh is its g/km
        assert row.van_co2e_mg == round(row.van_m * 298.0)
        assert row.electric_co2e_mg == round(row.bike_m * 0.015 * 380.0)


def test_the_van_counterfactual_plan_passes_the_validator(db_session, published):
    built = build_ledger(db_session, MONDAY, SETTINGS)
    legs = [row for row in ledger_rows(db_session, MONDAY, MONDAY)]
    from louise.bookings.models import Leg

    van_plan = plan_vans(van_legs(MONDAY, [db_session.get(Leg, r.leg_id) for r in legs]), HUB, FAST)
    assert van_plan is not None
    assert validate(van_plan.problem, van_plan.solution).ok
    assert van_plan.report.ok
    assert van_plan.solution.unassigned == ()
    assert set(van_plan.van_of_leg) == {r.leg_id for r in legs}
    # the vans' detour (1.5) and a 3-minute stop are in the problem the validator checked
    assert {v.profile for v in van_plan.problem.vehicles} == {"van"}
    pickups = {s.pickup.id: s.pickup.service for s in van_plan.problem.shipments}
    assert all(service_s >= 180 + 90 for service_s in pickups.values())
    assert built.vans >= 1


def test_van_km_need_a_van_for_every_leg_even_with_a_tiny_van(db_session, published):
    from louise.bookings.models import Leg

    ids = sorted({s.leg_id for r in published.routes for s in r.stops if s.leg_id is not None})
    legs = [db_session.get(Leg, leg_id) for leg_id in ids]
    tiny = VanFleet(capacity_l=60, capacity_kg=20, time_limit=1.0)
    van_plan = plan_vans(van_legs(MONDAY, legs), HUB, tiny)
    assert van_plan is not None and van_plan.report.ok
    assert set(van_plan.van_of_leg) == {leg.id for leg in legs}


def test_changing_a_factor_and_rebuilding_writes_a_new_version_and_keeps_the_old(
    db_session, published
):
    first = build_ledger(db_session, MONDAY, SETTINGS)
    before = versions(db_session, MONDAY, 1)

    dearer = ImpactSettings(hub=HUB, fleet=FAST, factors=factors({"van_diesel_g_co2e_per_km": 250}))
    [second] = rebuild(db_session, MONDAY, MONDAY, dearer)

    assert (first.ledger_version, second.ledger_version) == (1, 2)
    assert second.factor_set_version != first.factor_set_version
    db_session.expire_all()
    assert versions(db_session, MONDAY, 1) == before  # the old rows, unchanged
    rows = ledger_rows(db_session, MONDAY, MONDAY)
    assert {r.ledger_version for r in rows} == {2}
    assert {r.factor_set_id for r in rows} == {second.factor_set_version}
    for row in rows:
        assert row.van_co2e_mg == round(row.van_m * 250)
    totals = day_totals(db_session, MONDAY)
    assert totals is not None and totals.ledger_version == 2
    assert totals.factor_set_version == second.factor_set_version
    assert db_session.scalars(select(ImpactDay.ledger_version).where(ImpactDay.day == MONDAY)).all()


def test_a_built_day_is_not_built_again_and_a_day_without_plan_has_nothing(db_session, published):
    build_ledger(db_session, MONDAY, SETTINGS)
    with pytest.raises(LedgerExists):
        build_ledger(db_session, MONDAY, SETTINGS)
    with pytest.raises(NoPublishedPlan):
        build_ledger(db_session, date(2026, 11, 24), SETTINGS)
    assert rebuild(db_session, date(2026, 11, 24), date(2026, 11, 25), SETTINGS) == []
    assert day_totals(db_session, date(2026, 11, 24)) is None


def test_ledger_rows_cannot_be_changed_in_place(db_session, published):
    build_ledger(db_session, MONDAY, SETTINGS)
    row = ledger_rows(db_session, MONDAY, MONDAY)[0]
    row.van_m += 1
    with pytest.raises(LedgerIsAppendOnly):
        db_session.flush()
    db_session.rollback()


def test_a_booking_reads_the_co2e_its_legs_avoided(db_session, published):
    from louise.bookings.models import Leg

    leg_id = next(s.leg_id for s in published.routes[0].stops if s.leg_id is not None)
    leg = db_session.get(Leg, leg_id)
    assert booking_avoided_g(db_session, leg.booking_id) is None  # not built yet
    build_ledger(db_session, MONDAY, SETTINGS)
    mg = sum(
        r.avoided_co2e_mg
        for r in ledger_rows(db_session, MONDAY, MONDAY)
        if r.booking_id == leg.booking_id
    )
    assert booking_avoided_g(db_session, leg.booking_id) == (mg + 500) // 1000


def test_a_closed_route_counts_the_stops_the_courier_visited(client, db_session, delivery, now):
    from tests.support.bookings import local

    now(local(MONDAY, 17, 40))
    headers = delivery["headers"]
    # the pickup fails: the delivery stop is skipped, the bike rides from the shop back home
    r = stop_action(client, delivery["pickup"]["id"], "fail", headers, json={"reason": "damaged"})
    assert r.status_code == 200, r.json
    end = delivery["route"]["stops"][-1]
    assert stop_action(client, end["id"], "complete", headers, json={}).status_code == 200

    build_ledger(db_session, MONDAY, SETTINGS)
    [row] = ledger_rows(db_session, MONDAY, MONDAY)
    pickup = delivery["pickup"]
    expected = round(pickup["distance_m"] + 1.35 * haversine_m(pickup["lat"], pickup["lon"], *HUB))
    assert row.km_source == "recorded"
    assert row.bike_m == expected
    assert row.bike_m < round(delivery["route"]["distance_m"])


def test_a_route_ridden_as_planned_counts_the_planned_km(client, db_session, delivery, now):
    from tests.support.bookings import local

    now(local(MONDAY, 17, 40))
    headers = delivery["headers"]
    picked_up(client, delivery)
    r = stop_action(
        client,
        delivery["delivery"]["id"],
        "complete",
        headers,
        json={"booking_code": delivery["booking"]["code"]},
    )
    assert r.status_code == 200, r.json
    end = delivery["route"]["stops"][-1]
    assert stop_action(client, end["id"], "complete", headers, json={}).status_code == 200

    build_ledger(db_session, MONDAY, SETTINGS)
    [row] = ledger_rows(db_session, MONDAY, MONDAY)
    assert row.km_source == "recorded"
    assert row.bike_m == round(delivery["route"]["distance_m"])


def test_an_e_car_route_counts_as_e_car_km(db_session, fleet, day_bookings, make_user):
    for shift in fleet:
        db_session.get(Vehicle, shift.vehicle_id).kind = VehicleKind.CAR
    db_session.commit()
    dispatcher = make_user("dispatcher")
    plan = service.request_plan(db_session, dispatcher, MONDAY, CLOCK)
    plan = service.run_plan(
        db_session, plan.id, service.PlanningSettings(hub=HUB, time_limit=1.0), lambda: CLOCK
    )
    plan = service.publish_plan(db_session, dispatcher, plan.id, CLOCK)
    build_ledger(db_session, MONDAY, SETTINGS)
    rows = ledger_rows(db_session, MONDAY, MONDAY)
    assert rows and {r.mode for r in rows} == {"ecar"}
    assert sum(r.bike_m for r in rows) == 0
    assert sum(r.ecar_m for r in rows) == sum(round(r.distance_m) for r in plan.routes)
    for row in rows:
        assert row.electric_co2e_mg == round(row.ecar_m * 0.203 * 380.0)
        assert row.avoided_m == row.van_m - row.ecar_m


def test_the_commands_build_and_rebuild_a_day(app, db_session, published):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["impact-build", "--date", "2026-11-23"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("impact 2026-11-23 (ledger version 1, factors version ")
    again = runner.invoke(args=["impact-build", "--date", "2026-11-23"])
    assert again.exit_code == 1 and "rebuild it" in again.output
    result = runner.invoke(args=["impact-rebuild", "--from", "2026-11-22", "--to", "2026-11-24"])
    assert result.exit_code == 0, result.output
    assert "(ledger version 2," in result.output
    assert result.output.rstrip().endswith("1 day(s) rebuilt from 2026-11-22 to 2026-11-24")
