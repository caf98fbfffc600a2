"""Planning a booking's legs: outbound (collect or deliver) and the return of a service."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from typing import Any

from louise.bookings import legs
from louise.bookings.common import BookingContext
from louise.bookings.models import Leg, LegPurpose, LegStatus, StopKind
from louise.merchants.hours import opening_intervals_on
from louise.merchants.models import Merchant, Offer, OfferKind


def shop_stop(merchant: Merchant) -> legs.Stop:
    label = merchant.address.label if merchant.address is not None else merchant.name
    return legs.Stop(StopKind.SHOP, f"{merchant.name}, {label}", merchant.lat, merchant.lon)


def shop_hours(merchant: Merchant) -> legs.ShopHours:
    """The shop's opening intervals of a day. The week and the date exceptions are taken
    from the shop once, and each day is worked out once (the planner asks for the same days
    again: every window of the slots, both ends of a hub transfer)."""
    weekly = merchant.weekly_hours()
    exceptions = merchant.date_exceptions()

    @functools.cache
    def of_day(day: date) -> tuple[tuple[Any, Any], ...]:
        return tuple((i.opens, i.closes) for i in opening_intervals_on(day, weekly, exceptions))

    def hours(day: date) -> list[tuple[Any, Any]]:
        return list(of_day(day))

    return hours


def plan_outbound(
    ctx: BookingContext,
    offer: Offer,
    day: date,
    window: str,
    resident: legs.Stop,
    dest: legs.Stop | None,
    now: datetime,
    hours: legs.ShopHours | None = None,
) -> list[legs.LegPlan]:
    """Outbound legs for a booking (the return of a service is planned separately).
    ``hours``: the shop's (:func:`shop_hours`), when the caller plans several windows."""
    shop = shop_stop(offer.merchant)
    if hours is None:
        hours = shop_hours(offer.merchant)
    if offer.kind == OfferKind.PRODUCT:
        return legs.plan_delivery(
            ctx.policy,
            shop,
            dest or resident,
            ctx.hub,
            hours,
            day,
            window,
            purpose=LegPurpose.DELIVER,
            earliest_day=ctx.policy.local(now).date(),
            not_before=now,
        )
    return legs.plan_collect(ctx.policy, resident, shop, ctx.hub, hours, day, window)


def plan_return(
    ctx: BookingContext, offer: Offer, day: date, window: str, dest: legs.Stop, earliest: date
) -> list[legs.LegPlan]:
    return legs.plan_delivery(
        ctx.policy,
        shop_stop(offer.merchant),
        dest,
        ctx.hub,
        shop_hours(offer.merchant),
        day,
        window,
        purpose=LegPurpose.RETURN,
        earliest_day=earliest,
    )


def leg_from_plan(plan: legs.LegPlan, seq: int, volume: Any = None, tentative: bool = False) -> Leg:
    return Leg(
        seq=seq,
        purpose=plan.purpose,
        day=plan.day,
        status=LegStatus.SCHEDULED,
        tentative=tentative,
        window_code=plan.window_code,
        origin_kind=plan.origin.kind,
        origin_label=plan.origin.label,
        origin_lat=plan.origin.lat,
        origin_lon=plan.origin.lon,
        dest_kind=plan.dest.kind,
        dest_label=plan.dest.label,
        dest_lat=plan.dest.lat,
        dest_lon=plan.dest.lon,
        pickup_start=plan.pickup[0].astimezone(UTC),
        pickup_end=plan.pickup[1].astimezone(UTC),
        delivery_start=plan.delivery[0].astimezone(UTC),
        delivery_end=plan.delivery[1].astimezone(UTC),
    )
