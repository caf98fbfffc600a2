"""Turning a booking into transport legs (pure: plain data in, plain data out).

Rules:
- a leg that touches a shop reaches it within its opening hours;
- when the shop is closed in the chosen window, the leg goes through the City-Station hub:
  resident → hub in the window and hub → shop on the shop's next opening (or shop → hub at
  the shop's last opening before the window, then hub → resident in the window).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from louise.bookings.models import LegPurpose, StopKind
from louise.bookings.policy import ServicePolicy

MIN_SHOP_OVERLAP = timedelta(minutes=15)
# Items collected in a window reach the shop only if it stays open long enough after the
# window opens for a courier's round; otherwise they wait at the hub overnight.
MIN_DROP_OFF = timedelta(hours=1)
RIDE_SLACK = timedelta(hours=1)  # time to ride from the last pickup to the shop or hub
SHOP_LEAD = timedelta(hours=3)  # how long before a window the shop may hand a parcel over

ShopHours = Callable[[date], list[tuple[time, time]]]


class ShopUnreachable(Exception):
    """No opening of the shop fits before or after the window, even through the hub."""


@dataclass(frozen=True)
class Stop:
    kind: StopKind
    label: str
    lat: float
    lon: float


@dataclass(frozen=True)
class LegPlan:
    purpose: LegPurpose
    day: date
    origin: Stop
    dest: Stop
    pickup: tuple[datetime, datetime]
    delivery: tuple[datetime, datetime]
    window_code: str | None  # the resident-side window whose capacity this leg uses
    via_hub: bool = False


def _shop_windows(
    policy: ServicePolicy, hours: ShopHours, day: date
) -> list[tuple[datetime, datetime]]:
    if not policy.is_service_day(day):
        return []
    return [
        (datetime.combine(day, o, tzinfo=policy.tz), datetime.combine(day, c, tzinfo=policy.tz))
        for o, c in hours(day)
    ]


def _overlap(
    a: tuple[datetime, datetime],
    b: tuple[datetime, datetime],
    minimum: timedelta = MIN_SHOP_OVERLAP,
) -> tuple[datetime, datetime] | None:
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return (start, end) if end - start >= minimum else None


def plan_collect(
    policy: ServicePolicy,
    resident: Stop,
    shop: Stop,
    hub: Stop,
    hours: ShopHours,
    day: date,
    window_code: str,
    *,
    purpose: LegPurpose = LegPurpose.COLLECT,
) -> list[LegPlan]:
    """Resident → shop: collected in the window, handed in while the shop is open."""
    spec = policy.window(window_code)
    window = policy.window_bounds(day, spec)
    reach = (window[0], window[1] + RIDE_SLACK)
    fits = [o for w in _shop_windows(policy, hours, day) if (o := _overlap(reach, w, MIN_DROP_OFF))]
    if fits:
        best = max(fits, key=lambda o: o[1] - o[0])
        return [LegPlan(purpose, day, resident, shop, window, best, window_code)]
    # Shop closed: to the hub tonight, to the shop at its next opening.
    to_hub = LegPlan(purpose, day, resident, hub, window, reach, window_code, via_hub=True)
    next_day = day
    for _ in range(14):
        next_day = next_day + timedelta(days=1)
        openings = _shop_windows(policy, hours, next_day)
        if openings:
            opens, closes = openings[0]
            delivery = (opens, min(closes, opens + SHOP_LEAD))
            pickup = (opens - RIDE_SLACK, delivery[1])
            from_hub = LegPlan(purpose, next_day, hub, shop, pickup, delivery, None, via_hub=True)
            return [to_hub, from_hub]
    raise ShopUnreachable("The shop does not open within the next two weeks.")


def plan_delivery(
    policy: ServicePolicy,
    shop: Stop,
    dest: Stop,
    hub: Stop,
    hours: ShopHours,
    day: date,
    window_code: str,
    *,
    purpose: LegPurpose,
    earliest_day: date,
    not_before: datetime | None = None,
) -> list[LegPlan]:
    """Shop → resident (door, Point or locker): handed over while the shop is open, delivered
    in the window. A hub transfer starts no earlier than ``earliest_day`` and ``not_before``
    (now): a pickup is never planned in the past."""
    spec = policy.window(window_code)
    window = policy.window_bounds(day, spec)
    reach = (window[0] - SHOP_LEAD, window[1])
    fits = [o for w in _shop_windows(policy, hours, day) if (o := _overlap(reach, w))]
    if fits:
        latest = max(fits, key=lambda o: o[1])
        return [LegPlan(purpose, day, shop, dest, latest, window, window_code)]
    # Shop closed then: to the hub at its last opening before, then out in the window.
    previous = day
    while previous >= earliest_day:
        openings = [
            (max(o, not_before) if not_before is not None else o, c)
            for o, c in _shop_windows(policy, hours, previous)
            if o < window[0] and (not_before is None or c > not_before)
        ]
        if openings:
            opens, closes = openings[-1]
            closes = min(closes, window[0])
            pickup = (max(opens, closes - SHOP_LEAD), closes)
            if pickup[1] - pickup[0] >= MIN_SHOP_OVERLAP:
                to_hub = LegPlan(
                    purpose,
                    previous,
                    shop,
                    hub,
                    pickup,
                    (pickup[0], pickup[1] + RIDE_SLACK),
                    None,
                    via_hub=True,
                )
                out = LegPlan(
                    purpose,
                    day,
                    hub,
                    dest,
                    (window[0] - RIDE_SLACK, window[1]),
                    window,
                    window_code,
                    via_hub=True,
                )
                return [to_hub, out]
        previous -= timedelta(days=1)
    raise ShopUnreachable("The shop is not open early enough to hand the parcel over.")
