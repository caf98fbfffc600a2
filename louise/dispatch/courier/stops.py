"""Stops: what a courier records at a stop (arrived, completed with a proof, failed), and how the
leg and the booking follow (see :mod:`louise.dispatch.courier`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from louise.auth.models import User
from louise.bookings import on_route
from louise.bookings.models import BookingStatus, Leg, LegPurpose, LegStatus, StopKind
from louise.bookings.notifications import notify
from louise.bookings.reservations import release_booking
from louise.bookings.status import set_booking_status, set_leg_status
from louise.db import rollback_on_error
from louise.dispatch import proofs
from louise.dispatch.courier.cards import StopCard, stop_card
from louise.dispatch.courier.common import (
    EXPECTED_LEG,
    LEG_STOPS,
    OPEN,
    POINT_KINDS,
    REASONS,
    RESIDENT_SIDE,
    CourierSettings,
    Proof,
    StopsStillOpen,
    StopWithdrawn,
    leg_of,
    require_courier,
    skip_stop,
    stops_in_order,
)
from louise.dispatch.courier.etas import recompute_etas, reflow
from louise.dispatch.courier.fallback import FALLBACK_REASONS, Fallback, fall_back, tell_failed
from louise.dispatch.models import PlanStatus, PlanStop, StopStatus, StopType
from louise.errors import InvalidState, NotFound, ValidationFailed


@dataclass(frozen=True)
class FailureOutcome:
    stop: StopCard
    fallback: Fallback | None


def _owned_stop(session: Session, actor: User, stop_id: int) -> PlanStop:
    require_courier(actor)
    stop = session.get(PlanStop, stop_id)
    if (
        stop is None
        or stop.route.courier_id != actor.id
        or stop.route.plan.status != PlanStatus.PUBLISHED
    ):
        raise NotFound(f"Stop {stop_id} not found.")
    return stop


def _require_open(stop: PlanStop) -> None:
    if stop.status == StopStatus.SKIPPED:
        raise _withdrawn(stop)
    if stop.status not in OPEN:
        raise InvalidState(
            f"Stop {stop.id} is {stop.status.value} already.",
            fields={"status": [f"{stop.status.value}: nothing more to record"]},
        )


def _withdrawn(stop: PlanStop) -> StopWithdrawn:
    why = (stop.note or "").rstrip(".")
    because = f": {why[:1].lower()}{why[1:]}" if why else ""
    return StopWithdrawn(
        f"Stop {stop.id} is off your route{because}. Nothing to do here; go on with your "
        "next stop.",
        fields={"status": [f"skipped: {stop.failure_reason or 'off the route'}"]},
    )


def _changed_underneath(stop: PlanStop, leg: Leg) -> tuple[str, str] | None:
    """Why ``stop`` can no longer be done because its leg moved on without it (reason slug,
    text for the courier), or None."""
    booking = leg.booking
    if leg.status in EXPECTED_LEG.get(stop.type, ()):
        if stop.type == StopType.DELIVERY and leg.status == LegStatus.SCHEDULED:
            pickup_open = any(
                other.leg_id == leg.id and other.type == StopType.PICKUP and other.status in OPEN
                for other in stop.route.stops
            )
            if not pickup_open:
                return "not_picked_up", f"Booking {booking.code} was not picked up on this route."
        return None
    if booking.status == BookingStatus.CANCELLED:
        return on_route.BOOKING_CANCELLED, f"Booking {booking.code} was cancelled."
    if leg.status == LegStatus.CANCELLED:
        return on_route.RESCHEDULED, f"Booking {booking.code} was moved to another time."
    if leg.status == LegStatus.DELIVERED and leg.dest_kind == StopKind.SHOP:
        return on_route.RECEIVED_AT_SHOP, (
            f"Booking {booking.code} was received at the shop already."
        )
    if leg.status == LegStatus.DELIVERED:
        return "delivered", f"Booking {booking.code} was delivered already."
    if leg.status == LegStatus.PICKED_UP:
        return "picked_up", f"Booking {booking.code} was picked up already."
    return (
        "leg_failed",
        f"An earlier attempt for booking {booking.code} failed; dispatch re-plans it.",
    )


def _close_if_changed(session: Session, stop: PlanStop, leg: Leg | None, now: datetime) -> None:
    """A stop whose leg changed underneath (cancelled, rescheduled, received at the shop) is
    closed as skipped with the reason, and the courier is told why (409 ``stop_withdrawn``)
    instead of a lifecycle error they cannot act on."""
    if leg is None or stop.type not in LEG_STOPS:
        return
    changed = _changed_underneath(stop, leg)
    if changed is None:
        return
    with rollback_on_error(session):
        skip_stop(stop, *changed)
        reflow(stop.route, now)
        session.commit()
    raise _withdrawn(stop)


# --- arrived ------------------------------------------------------------------------------


def record_arrival(session: Session, actor: User, stop_id: int, now: datetime) -> StopCard:
    """The courier is at the stop (saying so twice changes nothing)."""
    stop = _owned_stop(session, actor, stop_id)
    _require_open(stop)
    _close_if_changed(session, stop, leg_of(session, stop), now)
    if stop.status != StopStatus.ARRIVED:
        stop.status = StopStatus.ARRIVED
        stop.arrived_at = now
        session.commit()
    return stop_card(session, stop)


# --- completed ----------------------------------------------------------------------------


def complete_stop(
    session: Session,
    settings: CourierSettings,
    actor: User,
    stop_id: int,
    proof: Proof | None,
    now: datetime,
) -> StopCard:
    """Complete a stop with its proof; moves the leg and the booking (see module rules)."""
    stop = _owned_stop(session, actor, stop_id)
    _require_open(stop)
    leg = leg_of(session, stop)
    _close_if_changed(session, stop, leg, now)
    if stop.type == StopType.END:
        _require_route_done(stop)
    if leg is not None:
        _check_proof(stop, leg, proof)
    stored: proofs.StoredProof | None = None
    if proof is not None and proof.data is not None:
        stored = proofs.store_image(
            settings.upload_dir,
            proof.kind,
            proof.filename,
            proof.data,
            settings.max_upload_bytes,
        )

    def remove_upload() -> None:
        if stored is not None:
            proofs.remove(settings.upload_dir, stored.ref)

    with rollback_on_error(session, undo=remove_upload):
        stop.status = StopStatus.COMPLETED
        stop.arrived_at = stop.arrived_at or now
        stop.done_at = now
        if proof is not None:
            stop.proof_kind = proof.kind
            # A PIN is a secret of the resident; the stop only records that it matched.
            stop.proof_ref = stored.ref if stored is not None else _proof_value(proof)
        if leg is not None:
            _complete_leg(session, actor, stop, leg)
        recompute_etas(stop.route, stop, now)
        session.commit()
    return stop_card(session, stop)


def _require_route_done(end: PlanStop) -> None:
    """The end stop closes the route: every pickup and delivery must be recorded first."""
    still_open = [s for s in stops_in_order(end.route) if s.type in LEG_STOPS and s.status in OPEN]
    if not still_open:
        return
    n = len(still_open)
    counted = (
        "1 pickup or delivery stop of this route is"
        if n == 1
        else f"{n} pickup or delivery stops of this route are"
    )
    raise StopsStillOpen(
        f"{counted} still open: complete or fail them before the end stop.",
        fields={"status": [f"open stops: {', '.join(str(s.id) for s in still_open)}"]},
    )


def _proof_value(proof: Proof) -> str | None:
    if proof.kind == "pin":
        return "pin-matched"
    return proof.value


def _check_proof(stop: PlanStop, leg: Leg, proof: Proof | None) -> None:
    if proof is None:
        raise ValidationFailed(
            "Completing a pickup or delivery needs a proof: a photo or signature, the "
            "booking code, or the PIN at a Point or locker.",
            fields={"json": {"proof": ["Missing: photo, signature, booking_code or pin."]}},
        )
    booking = leg.booking
    if proof.kind == "pin":
        at_point = stop.type == StopType.DELIVERY and leg.dest_kind in POINT_KINDS
        if not at_point:
            raise ValidationFailed(
                "A PIN proves a handover at a LOUISE Point or locker only.",
                fields={"json": {"pin": ["Not a Point or locker handover."]}},
            )
        if not booking.pickup_pin or not secrets.compare_digest(
            (proof.value or "").encode(), booking.pickup_pin.encode()
        ):
            raise ValidationFailed(
                "The PIN does not match.", fields={"json": {"pin": ["Does not match."]}}
            )
    elif proof.kind == "booking_code":
        given = (proof.value or "").strip().upper()
        if not secrets.compare_digest(given.encode(), booking.code.encode()):
            raise ValidationFailed(
                "The booking code does not match this stop.",
                fields={"json": {"booking_code": ["Does not match."]}},
            )


def _complete_leg(session: Session, actor: User, stop: PlanStop, leg: Leg) -> None:
    booking = leg.booking
    note = f"stop {stop.id}"
    if stop.type == StopType.PICKUP:
        set_leg_status(session, leg, LegStatus.PICKED_UP, actor, note=note)
        if (
            leg.purpose == LegPurpose.RETURN
            and leg.origin_kind == StopKind.SHOP
            and booking.status == BookingStatus.READY
        ):
            set_booking_status(session, booking, BookingStatus.RETURNED, actor, note=note)
        return
    if stop.type != StopType.DELIVERY:
        return
    if leg.status == LegStatus.SCHEDULED:
        raise InvalidState(
            "This parcel was not picked up: complete its pickup stop first.",
            fields={"status": ["leg not picked up"]},
        )
    set_leg_status(session, leg, LegStatus.DELIVERED, actor, note=note)
    if leg.purpose in (LegPurpose.DELIVER, LegPurpose.RETURN) and leg.dest_kind in RESIDENT_SIDE:
        if booking.status == BookingStatus.READY:  # its pickup was recorded elsewhere
            set_booking_status(session, booking, BookingStatus.RETURNED, actor, note=note)
        set_booking_status(session, booking, BookingStatus.COMPLETED, actor, note=note)
        release_booking(session, booking)
        at_point = leg.dest_kind in POINT_KINDS and booking.pickup_pin
        notify(
            session,
            booking,
            "delivered",
            place=leg.dest_label,
            pin=booking.pickup_pin if at_point else "",
            pin_line=f"\nPIN: {booking.pickup_pin}" if at_point else "",
        )
    elif leg.purpose == LegPurpose.COLLECT and leg.dest_kind == StopKind.SHOP:
        still_open = [
            other
            for other in booking.legs
            if other.purpose == LegPurpose.COLLECT
            and other.status not in (LegStatus.DELIVERED, LegStatus.CANCELLED)
        ]
        if not still_open and booking.status == BookingStatus.CONFIRMED:
            set_booking_status(session, booking, BookingStatus.AT_SHOP, actor, note=note)


# --- failed -------------------------------------------------------------------------------


def fail_stop(
    session: Session,
    settings: CourierSettings,
    actor: User,
    stop_id: int,
    reason: str,
    note: str | None,
    now: datetime,
) -> FailureOutcome:
    """Record a failed pickup or delivery; a failed door delivery may fall back to a Point."""
    if reason not in REASONS:
        raise ValidationFailed(
            f"Unknown reason {reason!r}.",
            fields={"json": {"reason": [f"Must be one of: {', '.join(REASONS)}."]}},
        )
    stop = _owned_stop(session, actor, stop_id)
    _require_open(stop)
    leg = leg_of(session, stop)
    if leg is None or stop.type not in LEG_STOPS:
        raise InvalidState(f"Only pickup and delivery stops can fail; stop {stop.id} cannot.")
    _close_if_changed(session, stop, leg, now)
    with rollback_on_error(session):
        fallback = _fail(session, settings, actor, stop, leg, reason, note, now)
        recompute_etas(stop.route, stop, now)
        session.commit()
    return FailureOutcome(stop=stop_card(session, stop), fallback=fallback)


def _fail(
    session: Session,
    settings: CourierSettings,
    actor: User,
    stop: PlanStop,
    leg: Leg,
    reason: str,
    note: str | None,
    now: datetime,
) -> Fallback | None:
    booking = leg.booking
    stop.status = StopStatus.FAILED
    stop.arrived_at = stop.arrived_at or now
    stop.done_at = now
    stop.failure_reason = reason
    stop.note = note
    history_note = f"stop {stop.id}: {reason}" + (f" ({note})" if note else "")
    if stop.type == StopType.PICKUP:
        set_leg_status(session, leg, LegStatus.FAILED, actor, note=history_note[:300])
        leg.failure_reason = reason
        for other in stop.route.stops:
            if (
                other.leg_id == leg.id
                and other.type == StopType.DELIVERY
                and other.status == StopStatus.PENDING
            ):
                skip_stop(
                    other,
                    "pickup_failed",
                    f"The pickup of booking {booking.code} failed; nothing to deliver.",
                )
        return None
    if leg.status == LegStatus.SCHEDULED:
        raise InvalidState(
            "This parcel was not picked up: its pickup stop is still open.",
            fields={"status": ["leg not picked up"]},
        )
    set_leg_status(session, leg, LegStatus.FAILED, actor, note=history_note[:300])
    leg.failure_reason = reason
    if leg.dest_kind not in RESIDENT_SIDE or leg.purpose == LegPurpose.COLLECT:
        return None  # a shop or the hub: dispatch sorts it out, the resident is not involved
    fallback = None
    if leg.dest_kind == StopKind.RESIDENT and settings.fallback and reason in FALLBACK_REASONS:
        fallback = fall_back(session, settings, actor, stop, leg, reason, now)
    tell_failed(session, settings, booking, reason, fallback, now)
    return fallback
