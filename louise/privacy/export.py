"""A person's data, all of it, as one document (GDPR Art. 15 and 20).

Rules:
- the export holds the account, the addresses of the person's bookings, every booking with
  its legs, status history (with notes), contact data and proofs of delivery, the messages
  sent (or queued) to the person, and the revocations of their login tokens (issued tokens
  are not stored, so there is nothing else to list);
- proof files are embedded, base64-encoded, so the export is one self-contained file; a file
  that is missing on disk is listed with ``missing: true``;
- message texts are rendered as the person reads them (German or English);
- reading only: no commit.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from louise.auth.models import RevokedToken, User
from louise.bookings.customers import saved_addresses
from louise.bookings.models import Booking, OutboxMessage, StatusChange
from louise.bookings.notifications import render
from louise.dispatch.models import PlanStop
from louise.dispatch.proofs import sniff
from louise.geo.models import Address
from louise.merchants.models import Merchant, Offer


@dataclass(frozen=True)
class ProofRecord:
    stop: PlanStop
    file_name: str | None = None
    content_type: str | None = None
    size: int | None = None
    content_base64: str | None = None
    missing: bool = False


@dataclass(frozen=True)
class BookingRecord:
    booking: Booking
    offer_title: str | None
    merchant_name: str | None
    history: list[StatusChange]
    proofs: list[ProofRecord]


@dataclass(frozen=True)
class MessageRecord:
    message: OutboxMessage
    subject: str
    text: str


@dataclass(frozen=True)
class PersonalData:
    exported_at: datetime
    account: User
    addresses: list[Address]
    bookings: list[BookingRecord] = field(default_factory=list)
    messages: list[MessageRecord] = field(default_factory=list)
    revoked_tokens: list[RevokedToken] = field(default_factory=list)


def _inside(upload_dir: Path, ref: str) -> Path | None:
    """The file of a proof reference, or None when the reference is no file under the upload
    directory (a matched PIN or booking code is stored as a word, not a path)."""
    if "/" not in ref:
        return None
    root = upload_dir.resolve()
    path = (root / ref).resolve()
    return path if path.is_relative_to(root) and path != root else None


def proof_file(upload_dir: Path, ref: str | None) -> Path | None:
    """Where a stop's proof file lies (it may be missing)."""
    return _inside(upload_dir, ref) if ref else None


def _proof(upload_dir: Path, stop: PlanStop) -> ProofRecord:
    path = proof_file(upload_dir, stop.proof_ref)
    if path is None:
        return ProofRecord(stop=stop)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ProofRecord(stop=stop, file_name=path.name, missing=True)
    kind = sniff(data)
    return ProofRecord(
        stop=stop,
        file_name=path.name,
        content_type=kind[0] if kind else "application/octet-stream",
        size=len(data),
        content_base64=base64.b64encode(data).decode("ascii"),
    )


def collect(session: Session, person: User, upload_dir: Path, now: datetime) -> PersonalData:
    """Everything louise stores about ``person`` (see the module rules)."""
    bookings = session.scalars(
        select(Booking).where(Booking.customer_id == person.id).order_by(Booking.id)
    ).all()
    booking_ids = [b.id for b in bookings]
    leg_ids = [leg.id for b in bookings for leg in b.legs]
    history: dict[int, list[StatusChange]] = {b: [] for b in booking_ids}
    for change in session.scalars(
        select(StatusChange)
        .where(StatusChange.booking_id.in_(booking_ids))
        .order_by(StatusChange.at, StatusChange.id)
    ):
        history[change.booking_id].append(change)
    leg_booking = {leg.id: b.id for b in bookings for leg in b.legs}
    proofs: dict[int, list[ProofRecord]] = {b: [] for b in booking_ids}
    for stop in session.scalars(
        select(PlanStop)
        .where(
            PlanStop.leg_id.in_(leg_ids),
            or_(PlanStop.proof_ref.is_not(None), PlanStop.note.is_not(None)),
        )
        .order_by(PlanStop.id)
    ):
        assert stop.leg_id is not None
        proofs[leg_booking[stop.leg_id]].append(_proof(upload_dir, stop))
    offers: dict[int, str] = {
        offer_id: title
        for offer_id, title in session.execute(
            select(Offer.id, Offer.title).where(Offer.id.in_({b.offer_id for b in bookings}))
        ).tuples()
    }
    merchants: dict[int, str] = {
        merchant_id: name
        for merchant_id, name in session.execute(
            select(Merchant.id, Merchant.name).where(
                Merchant.id.in_({b.merchant_id for b in bookings})
            )
        ).tuples()
    }
    messages = session.scalars(
        select(OutboxMessage)
        .where(or_(OutboxMessage.user_id == person.id, OutboxMessage.booking_id.in_(booking_ids)))
        .order_by(OutboxMessage.id)
    ).all()
    rendered = []
    for message in messages:
        try:
            subject, text = render(message.template, message.locale, message.context, now)
        except (KeyError, ValueError):  # a template retired since: the stored values remain
            subject, text = message.template, ""
        rendered.append(MessageRecord(message=message, subject=subject, text=text))
    return PersonalData(
        exported_at=now,
        account=person,
        addresses=saved_addresses(session, person.id),
        bookings=[
            BookingRecord(
                booking=b,
                offer_title=offers.get(b.offer_id),
                merchant_name=merchants.get(b.merchant_id),
                history=history[b.id],
                proofs=proofs[b.id],
            )
            for b in bookings
        ],
        messages=rendered,
        revoked_tokens=list(
            session.scalars(
                select(RevokedToken)
                .where(RevokedToken.user_id == person.id)
                .order_by(RevokedToken.revoked_at)
            )
        ),
    )
