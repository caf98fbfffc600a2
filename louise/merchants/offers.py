"""Offers: listing, changing and withdrawing a shop's offers, and who sees which."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import Session

from louise.auth.models import User
from louise.errors import NotFound, ValidationFailed
from louise.merchants.access import can_manage, merchant_for_write, offer_for_write, visible_to
from louise.merchants.models import (
    PARCEL_SIZES,
    Offer,
    OfferKind,
    ParcelSize,
    offer_problems,
)
from louise.merchants.shops import merchant_visible_to

OFFER_FIELDS = (
    "title",
    "description",
    "price_cents",
    "parcel_size",
    "volume_l",
    "weight_kg",
    "turnaround_days",
    "daily_capacity",
    "active",
)


def _check_offer(offer_fields: Mapping[str, Any]) -> None:
    problems = offer_problems(
        kind=OfferKind(offer_fields["kind"]),
        parcel_size=ParcelSize(offer_fields["parcel_size"]),
        volume_l=offer_fields.get("volume_l"),
        weight_kg=offer_fields.get("weight_kg"),
        turnaround_days=offer_fields.get("turnaround_days"),
        daily_capacity=offer_fields.get("daily_capacity"),
    )
    if problems:
        summary = "; ".join(f"{k}: {' '.join(v)}" for k, v in problems.items())
        raise ValidationFailed(f"Invalid input: {summary}", fields={"json": problems})


def _size_fields(
    size: ParcelSize, volume_l: float | None, weight_kg: float | None
) -> dict[str, Any]:
    if size == ParcelSize.CUSTOM:
        return {"volume_l": volume_l, "weight_kg": weight_kg}
    volume, weight = PARCEL_SIZES[size]
    return {"volume_l": volume, "weight_kg": weight}


def create_offer(session: Session, actor: User, merchant_id: int, data: Mapping[str, Any]) -> Offer:
    """List a new offer in a shop (owner or admin). The shop comes from the URL, never the body."""
    merchant = merchant_for_write(session, actor, merchant_id)
    _check_offer(data)
    size = ParcelSize(data["parcel_size"])
    offer = Offer(
        merchant=merchant,
        kind=OfferKind(data["kind"]),
        title=data["title"],
        description=data.get("description") or "",
        price_cents=data["price_cents"],
        parcel_size=size,
        turnaround_days=data.get("turnaround_days"),
        daily_capacity=data.get("daily_capacity"),
        active=data.get("active", True),
        **_size_fields(size, data.get("volume_l"), data.get("weight_kg")),
    )
    session.add(offer)
    session.commit()
    return offer


def update_offer(session: Session, actor: User, offer_id: int, changes: Mapping[str, Any]) -> Offer:
    """Partial update of an offer (owner or admin); the result must satisfy the offer rules.

    The kind and the shop of an offer never change: bookings depend on both.
    """
    offer = offer_for_write(session, actor, offer_id)
    size = ParcelSize(changes.get("parcel_size", offer.parcel_size))
    size_changed = size != offer.parcel_size
    merged: dict[str, Any] = {
        "kind": offer.kind,
        "parcel_size": size,
        # a custom size keeps its litres and kilograms unless the change names new ones
        "volume_l": changes.get("volume_l", None if size_changed else _custom(offer, "volume_l")),
        "weight_kg": changes.get(
            "weight_kg", None if size_changed else _custom(offer, "weight_kg")
        ),
        "turnaround_days": changes.get("turnaround_days", offer.turnaround_days),
        "daily_capacity": changes.get("daily_capacity", offer.daily_capacity),
    }
    _check_offer(merged)
    for key in ("title", "description", "price_cents", "active"):
        if key in changes:
            setattr(offer, key, changes[key])
    if offer.description is None:
        offer.description = ""
    offer.parcel_size = size
    offer.turnaround_days = merged["turnaround_days"]
    offer.daily_capacity = merged["daily_capacity"]
    for key, value in _size_fields(size, merged["volume_l"], merged["weight_kg"]).items():
        setattr(offer, key, value)
    session.commit()
    return offer


def _custom(offer: Offer, attr: str) -> float | None:
    value: float | None = getattr(offer, attr)
    return value if offer.parcel_size == ParcelSize.CUSTOM else None


def deactivate_offer(session: Session, actor: User, offer_id: int) -> Offer:
    """Withdraw an offer from the catalogue (owner or admin).

    Offers are never deleted: bookings keep pointing at what was booked. Deactivating twice is
    harmless; PATCH ``active: true`` lists it again.
    """
    offer = offer_for_write(session, actor, offer_id)
    offer.active = False
    session.commit()
    return offer


def offer_visible_to(viewer: User | None) -> ColumnElement[bool]:
    return visible_to(viewer, and_(Offer.active.is_(True), merchant_visible_to(None)))


def get_offer(session: Session, viewer: User | None, offer_id: int) -> Offer:
    """A public offer, or one the viewer manages (others are 404)."""
    offer = session.get(Offer, offer_id)
    if offer is None or not (offer.is_public or can_manage(viewer, offer.merchant)):
        raise NotFound(f"Offer {offer_id} not found.")
    return offer
