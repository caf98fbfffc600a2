"""Time the planning of a day: ``request_plan`` + ``run_plan`` on a fresh SQLite database.

    python -m benchmarks.dispatch.plan_day --demo               # the `make demo` day
    python -m benchmarks.dispatch.plan_day --legs 300           # a busy day around Bottrop
    python -m benchmarks.dispatch.plan_day --legs 300 --time-limit 30

The busy day starts from the demo world (shops, offers, districts, Points, lockers, fleet,
residents and bookings of ``louise.demo.seed.seed_demo``) and adds legs until there are ``--legs``:
each new leg copies a random demo leg (its shop, its windows, its parcel) and moves the
resident's end to a random address of the shipped gazetteer
(``louise/data/bottrop_gazetteer.csv``, 600 approximate Bottrop house coordinates). Shifts are
added so that the fleet can plausibly carry the day: one bike shift 09:00–20:30 (30 min break
13:00–15:00) per ``--legs-per-bike`` legs, one e-car shift 13:00–20:30 per 75 legs. Everything
printed is measured; nothing is hard-coded.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import secrets
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

BERLIN = ZoneInfo("Europe/Berlin")
ROOT = Path(__file__).resolve().parents[2]
GAZETTEER = ROOT / "louise" / "data" / "bottrop_gazetteer.csv"


def gazetteer() -> list[dict[str, str]]:
    with GAZETTEER.open(encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return list(csv.DictReader(lines))


def add_legs(session: Session, day: date, target: int, rng: random.Random) -> int:
    """Copy random demo legs (each with its own booking) until ``day`` has ``target`` legs."""
    from louise.bookings.models import Booking, Leg, LegStatus, StopKind

    def day_legs() -> list[Leg]:
        return list(
            session.scalars(
                select(Leg)
                .where(Leg.day == day, Leg.status == LegStatus.SCHEDULED, Leg.tentative.is_(False))
                .order_by(Leg.id)
            )
        )

    templates = day_legs()
    have = len(templates)
    if have >= target or not templates:
        return have
    addresses = gazetteer()
    booking_columns = [c.key for c in inspect(Booking).column_attrs if c.key != "id"]
    leg_columns = [c.key for c in inspect(Leg).column_attrs if c.key not in ("id", "booking_id")]
    for _ in range(target - have):
        template = rng.choice(templates)
        address = rng.choice(addresses)
        lat, lon = float(address["lat"]), float(address["lon"])
        label = (
            f"{address['street']} {address['house_number']}, {address['postcode']} "
            f"{address['city']}"
        )
        source = template.booking
        booking = Booking(**{k: getattr(source, k) for k in booking_columns})
        booking.code = secrets.token_hex(5).upper()
        booking.tracking_token = secrets.token_urlsafe(24)
        booking.customer_counter_id = None
        booking.offer_counter_id = None
        booking.lat, booking.lon, booking.address_label = lat, lon, label
        booking.district = address["district"]
        leg = Leg(**{k: getattr(template, k) for k in leg_columns})
        leg.seq = 1
        leg.counter_id = None
        leg.point_counter_id = None
        leg.locked = False
        leg.courier_id = None
        if leg.origin_kind == StopKind.RESIDENT:
            leg.origin_lat, leg.origin_lon, leg.origin_label = lat, lon, label
        if leg.dest_kind == StopKind.RESIDENT:
            leg.dest_lat, leg.dest_lon, leg.dest_label = lat, lon, label
        booking.legs = [leg]
        session.add(booking)
    session.commit()
    return len(day_legs())


def add_shifts(session: Session, day: date, legs: int, legs_per_bike: int) -> int:
    """Enough bike and e-car shifts for ``legs`` legs (new vehicles and couriers)."""
    from louise.auth.models import AccountStatus, Role, User
    from louise.fleet.models import District, Shift, Vehicle, VehicleKind

    districts = session.scalars(select(District)).all()
    city = [d.name for d in districts if "bike" in d.vehicle_kinds]
    outer = [d.name for d in districts if "car" in d.vehicle_kinds]

    def at(hour: int, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)

    bikes = math.ceil(legs / legs_per_bike)
    cars = math.ceil(legs / 75)
    for n in range(bikes + cars):
        is_bike = n < bikes
        courier = User(
            email=f"bench-courier-{n}@louise.test",
            password_hash=None,
            role=Role.COURIER,
            status=AccountStatus.ACTIVE,
            name=f"Bench courier {n + 1}",
        )
        vehicle = Vehicle(
            name=f"Bench {'Lastenrad' if is_bike else 'E-Auto'} {n + 1}",
            kind=VehicleKind.BIKE if is_bike else VehicleKind.CAR,
            capacity_l=200.0 if is_bike else 600.0,
            capacity_kg=100.0 if is_bike else 300.0,
            speed_kmh=15.0 if is_bike else 25.0,
            districts=city if is_bike else outer,
        )
        session.add_all([courier, vehicle])
        session.flush()
        session.add(
            Shift(
                day=day,
                courier_id=courier.id,
                vehicle_id=vehicle.id,
                starts_at=at(9) if is_bike else at(13),
                ends_at=at(20, 30),
                breaks=[
                    {
                        "start": at(13).isoformat(),
                        "end": at(15).isoformat(),
                        "duration_s": 1800,
                    }
                ]
                if is_bike
                else [],
            )
        )
    session.commit()
    return bikes + cars


def run(args: argparse.Namespace) -> dict[str, Any]:
    from louise import create_app
    from louise.cli import migrate_database
    from louise.demo.seed import seed_demo
    from louise.dispatch import service
    from louise.dispatch.runtime import planning_settings
    from louise.extensions import db
    from louise.fleet.models import Shift

    workdir = Path(tempfile.mkdtemp(prefix="louise-bench-"))
    url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    migrate_database(url)
    app = create_app(
        {
            "LOUISE_ENV": "bench",
            "DATABASE_URL": url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "PLANNING_TIME_LIMIT": args.time_limit,
            "PLANNING_SEED": args.seed,
            "PLANNING_THREADS": args.threads,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_KIB": 8,
        }
    )
    now = datetime.now(UTC) if args.now is None else datetime.fromisoformat(args.now)
    with app.app_context():
        session = db.session()
        summary = seed_demo(session, app.config, now)
        day = summary.service_day
        if not args.demo:
            rng = random.Random(args.seed)
            add_legs(session, day, args.legs, rng)
            add_shifts(session, day, args.legs, args.legs_per_bike)
        shifts = session.scalar(select(func.count()).select_from(Shift).where(Shift.day == day))
        settings = planning_settings(app.config)
        clock = lambda: datetime.now(UTC)  # noqa: E731
        started = time.perf_counter()
        plan = service.request_plan(session, None, day, clock())
        plan = service.run_plan(session, plan.id, settings, clock)
        total = time.perf_counter() - started
        routes = [r for r in plan.routes if any(s.leg_id for s in r.stops)]
        result = {
            "scenario": "demo day" if args.demo else f"{args.legs} legs around Bottrop",
            "day": day.isoformat(),
            "legs": plan.stats.get("legs"),
            "shifts": shifts,
            "routes": len(routes),
            "unassigned": len(plan.unassigned),
            "solve_s": plan.stats.get("solve_seconds"),
            "total_s": round(total, 3),
            "time_limit_s": args.time_limit,
            "validator": plan.stats.get("validator"),
            "status": plan.status.value,
            "distance_km": round((plan.stats.get("summary") or {}).get("distance_m", 0) / 1000, 1),
        }
        db.session.remove()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--legs", type=int, default=300, help="legs of the day (default 300)")
    parser.add_argument("--demo", action="store_true", help="plan the demo day as seeded")
    parser.add_argument("--time-limit", type=float, default=10.0, help="solver seconds")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--legs-per-bike", type=int, default=12)
    parser.add_argument(
        "--now", default=None, help="ISO time the demo is seeded at (default: the clock)"
    )
    args = parser.parse_args(argv)
    result = run(args)
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    return 0 if result["status"] == "draft" and result["validator"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
