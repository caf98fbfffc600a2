"""Erasure of a person's data (GDPR Art. 17), keeping the bookings anonymised.

Rules:
- who may erase whom: ``louise.privacy.access``; a resident confirms with their password;
- refused (409 ``erasure_blocked``) while any of the person's bookings is not finished
  (completed or cancelled): a parcel on its way, an item at the shop or a booking still to be
  served needs the name, address and phone; the answer names each booking and what to do;
- deleted: the name, e-mail, phone and password of the account (the row stays, anonymised
  and disabled, because the kept bookings point at it), the addresses that no other booking
  or shop uses, the bookings' contact name and phone, notes, pickup PIN and tracking token,
  cancel reasons, the notes of the status history and of the courier's stops, the proof
  references and files, every outbox message to the person, and stored
  ``Idempotency-Key`` answers about the person's bookings;
- kept, anonymised: each booking with its kind, offer, shop, price, parcel, dates, windows,
  legs, statuses, the district, and the position rounded to two decimals (about 1.1 km north
  to south, 0.7 km east to west in Bottrop) on the booking, on its legs' resident ends and
  on the route stops there; the label of that position is the district. Accounting and the
  impact figures count these bookings and their kilometres; nobody can find the door;
- the person's tokens: the account is disabled without a password, so no token of it is
  accepted and no login succeeds; the token of the erasing request is also revoked;
- logged: one ``erasures`` row (account id, actor id and role, time, counts), no personal
  data;
- one commit; the proof files are removed after it, so a failed erasure leaves every file
  in place.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from louise.auth import passwords
from louise.auth.models import AccountStatus, RevokedToken, Role, User
from louise.bookings.models import (
    Booking,
    BookingStatus,
    IdempotencyKey,
    Leg,
    LegStatus,
    OutboxMessage,
    StatusChange,
    StopKind,
)
from louise.db import commit_unique, unit_of_work
from louise.dispatch.models import PlanStop, PlanUnassigned, StopType
from louise.errors import Conflict, Forbidden, ValidationFailed
from louise.geo.models import Address
from louise.merchants.models import Merchant
from louise.privacy.access import AlreadyErased, customer_for_staff
from louise.privacy.export import proof_file
from louise.privacy.models import Erasure

log = logging.getLogger(__name__)

ERASED_NAME = "(erased)"
#: decimals kept of a resident's position: 0.01° ≈ 1.1 km (lat) × 0.7 km (lon) in Bottrop
POSITION_DECIMALS = 2
FINISHED = frozenset({BookingStatus.COMPLETED, BookingStatus.CANCELLED})
UNDER_WAY = frozenset({BookingStatus.AT_SHOP, BookingStatus.READY, BookingStatus.RETURNED})


class ErasureBlocked(Conflict):
    code = "erasure_blocked"


@dataclass(frozen=True)
class TokenToRevoke:
    jti: str
    token_type: str
    expires_at: datetime | None


def _why_not_finished(booking: Booking) -> str:
    if booking.status in UNDER_WAY or any(
        leg.status == LegStatus.PICKED_UP for leg in booking.legs
    ):
        return (
            f"booking {booking.code} is under way ({booking.status.value}): wait until it is done"
        )
    return f"booking {booking.code} is still open ({booking.status.value}): cancel it first"


def _check_finished(bookings: Sequence[Booking]) -> None:
    open_ = [b for b in bookings if b.status not in FINISHED]
    if open_:
        reasons = "; ".join(_why_not_finished(b) for b in open_)
        raise ErasureBlocked(f"Cannot erase while bookings are not finished: {reasons}.")


def _coarse(value: float) -> float:
    return round(value, POSITION_DECIMALS)


def _coarse_address(session: Session, district: str, lat: float, lon: float) -> Address:
    """The shared stand-in address of a rounded position (one row per cell and district)."""
    key = f"erased:{district}:{lat:.{POSITION_DECIMALS}f},{lon:.{POSITION_DECIMALS}f}"
    address = session.scalar(select(Address).where(Address.normalized_key == key))
    if address is None:
        address = Address(
            normalized_key=key,
            district=district,
            lat=lat,
            lon=lon,
            label=district,
            source="client",
            precision="place",
        )
        session.add(address)
        session.flush()
    return address


def _anonymise_stops(session: Session, legs: Sequence[Leg]) -> list[str]:
    """Clear notes and proofs of the legs' stops, coarsen those at a door; the proof refs."""
    by_id = {leg.id: leg for leg in legs}
    refs: list[str] = []
    stops = session.scalars(select(PlanStop).where(PlanStop.leg_id.in_(by_id))).all()
    for stop in stops:
        assert stop.leg_id is not None
        leg = by_id[stop.leg_id]
        if stop.proof_ref:
            refs.append(stop.proof_ref)
        stop.proof_ref = None
        stop.note = None
        at_door = (stop.type == StopType.PICKUP and leg.origin_kind == StopKind.RESIDENT) or (
            stop.type == StopType.DELIVERY and leg.dest_kind == StopKind.RESIDENT
        )
        if at_door:
            stop.label = leg.booking.district
            stop.lat, stop.lon = _coarse(stop.lat), _coarse(stop.lon)
    for unassigned in session.scalars(
        select(PlanUnassigned).where(PlanUnassigned.leg_id.in_(by_id))
    ):
        unassigned.detail = None
    return refs


def _anonymise_booking(session: Session, booking: Booking) -> int:
    """Anonymise one booking and its legs in place; the id of the address it used."""
    old_address = booking.address_id
    lat, lon = _coarse(booking.lat), _coarse(booking.lon)
    stand_in = _coarse_address(session, booking.district, lat, lon)
    booking.address_id = stand_in.id
    booking.address_label = stand_in.label
    booking.lat, booking.lon = lat, lon
    booking.contact_name = ERASED_NAME
    booking.contact_phone = None
    booking.notes = None
    booking.pickup_pin = None
    booking.cancel_reason = None
    # the old token was a personal link; the column is unique and required
    booking.tracking_token = f"erased-{secrets.token_hex(24)}"
    for leg in booking.legs:
        if leg.origin_kind == StopKind.RESIDENT:
            leg.origin_label = booking.district
            leg.origin_lat, leg.origin_lon = _coarse(leg.origin_lat), _coarse(leg.origin_lon)
        if leg.dest_kind == StopKind.RESIDENT:
            leg.dest_label = booking.district
            leg.dest_lat, leg.dest_lon = _coarse(leg.dest_lat), _coarse(leg.dest_lon)
    return old_address


def _delete_unused_addresses(session: Session, address_ids: set[int]) -> int:
    deleted = 0
    for address_id in sorted(address_ids):
        used = session.scalar(
            select(func.count()).select_from(Booking).where(Booking.address_id == address_id)
        ) or session.scalar(
            select(func.count()).select_from(Merchant).where(Merchant.address_id == address_id)
        )
        if not used:
            session.execute(delete(Address).where(Address.id == address_id))
            deleted += 1
    return deleted


def _delete_messages(session: Session, person: User, booking_ids: list[int]) -> int:
    ids = session.scalars(
        select(OutboxMessage.id).where(
            or_(OutboxMessage.user_id == person.id, OutboxMessage.booking_id.in_(booking_ids))
        )
    ).all()
    if ids:
        session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
    return len(ids)


def _delete_stored_answers(session: Session, person: User, bookings: Sequence[Booking]) -> None:
    """A stored ``Idempotency-Key`` answer repeats the booking as it was created: with the
    name, phone and notes. The person's own keys go; a dispatcher's go when they answered
    one of the person's bookings."""
    booking_ids = {b.id for b in bookings}
    creators = {b.created_by_id for b in bookings} | {person.id}
    for key in session.scalars(select(IdempotencyKey).where(IdempotencyKey.user_id.in_(creators))):
        body = key.response_body
        about_person = isinstance(body, dict) and body.get("id") in booking_ids
        if key.user_id == person.id or about_person:
            session.delete(key)


def _revoke(session: Session, person: User, tokens: Sequence[TokenToRevoke]) -> None:
    for token in tokens:
        if session.get(RevokedToken, token.jti) is None:
            session.add(
                RevokedToken(
                    jti=token.jti,
                    token_type=token.token_type,
                    user_id=person.id,
                    expires_at=token.expires_at,
                )
            )


def _erase(
    session: Session, actor: User, person: User, now: datetime, tokens: Sequence[TokenToRevoke]
) -> tuple[Erasure, list[str]]:
    if session.scalar(select(Erasure.id).where(Erasure.user_id == person.id)) is not None:
        raise AlreadyErased(f"Account {person.id} was erased already.")
    bookings = session.scalars(
        select(Booking).where(Booking.customer_id == person.id).order_by(Booking.id)
    ).all()
    _check_finished(bookings)
    booking_ids = [b.id for b in bookings]
    legs = [leg for b in bookings for leg in b.legs]
    refs = _anonymise_stops(session, legs)
    old_addresses = {_anonymise_booking(session, b) for b in bookings}
    for change in session.scalars(
        select(StatusChange).where(StatusChange.booking_id.in_(booking_ids))
    ):
        change.note = None
    messages = _delete_messages(session, person, booking_ids)
    _delete_stored_answers(session, person, bookings)
    session.flush()
    addresses = _delete_unused_addresses(session, old_addresses)
    _revoke(session, person, tokens)
    person.name = ERASED_NAME
    person.email = None
    person.phone = None
    person.password_hash = None
    person.status = AccountStatus.DISABLED
    record = Erasure(
        user_id=person.id,
        actor_id=actor.id,
        actor_role=actor.role.value,
        at=now,
        bookings_kept=len(bookings),
        addresses_deleted=addresses,
        messages_deleted=messages,
        proofs_deleted=len(refs),
    )
    session.add(record)
    # a concurrent erasure of the same account loses on the log's UNIQUE user_id
    commit_unique(session, lambda: AlreadyErased(f"Account {person.id} was erased already."))
    return record, refs


def _remove_files(upload_dir: Path, refs: Sequence[str]) -> None:
    for ref in refs:
        path = proof_file(upload_dir, ref)
        if path is None:
            continue
        try:
            path.unlink(missing_ok=True)
        except OSError:  # the erasure stands; the operator removes the file (docs/privacy.md)
            log.exception("erasure: proof file %s could not be removed", path)


@unit_of_work
def erase_myself(
    session: Session,
    actor: User,
    password: str,
    upload_dir: Path,
    now: datetime,
    tokens: Sequence[TokenToRevoke] = (),
) -> Erasure:
    """A resident erases their own account, confirming with their password."""
    if actor.role != Role.CUSTOMER:
        raise Forbidden(
            "Only residents erase their own account here; staff, shop and courier accounts "
            "are closed by an admin."
        )
    if actor.password_hash is None or not passwords.verify_password(actor.password_hash, password):
        raise ValidationFailed(
            "The password is wrong.", fields={"json": {"password": ["Wrong password."]}}
        )
    record, refs = _erase(session, actor, actor, now, tokens)
    _remove_files(upload_dir, refs)
    return record


@unit_of_work
def erase_customer(
    session: Session, actor: User, user_id: int, upload_dir: Path, now: datetime
) -> Erasure:
    """Staff erase a customer: dispatchers hotline customers, admins any customer."""
    person = customer_for_staff(session, actor, user_id)
    record, refs = _erase(session, actor, person, now, ())
    _remove_files(upload_dir, refs)
    return record
