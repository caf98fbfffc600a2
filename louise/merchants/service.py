"""Shop and offer rules: who may change what, opening hours, offers and the public catalogue.

Services take a SQLAlchemy ``Session``, the acting ``User`` (``None`` for an anonymous
catalogue visitor) and plain data; they own the single commit and raise domain errors.
They never import Flask.

Ownership rule, enforced by :func:`can_manage` in every write: only the merchant who owns a
shop, or an admin, may change the shop, its hours or its offers. Anyone else gets 403; an id
that does not exist gets 404.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from louise.auth.models import AccountStatus, Role, User
from louise.collation import matches, sort_key
from louise.errors import Conflict, Forbidden, NotFound, ValidationFailed
from louise.geo.distance import haversine_m
from louise.geo.normalize import fold_text
from louise.merchants import hours
from louise.merchants.models import (
    PARCEL_SIZES,
    Category,
    Merchant,
    Offer,
    OfferKind,
    OpeningException,
    OpeningInterval,
    ParcelSize,
    offer_problems,
)

if TYPE_CHECKING:
    from louise.geo.geocoders import Geocoder, ServiceArea

T = TypeVar("T")

MERCHANT_PROFILE_FIELDS = ("name", "category", "description", "phone", "email", "active")
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
METRES_PER_DEGREE_LAT = 111_320.0

#: Opening hours as plain data: weekday (0 = Monday) → [(opens, closes), ...].
WeeklyData = Mapping[int, Sequence[tuple[time, time]]]


# --------------------------------------------------------------------------- permissions


def can_manage(actor: User | None, merchant: Merchant) -> bool:
    """The owning merchant or an admin."""
    if actor is None:
        return False
    if actor.role == Role.ADMIN:
        return True
    return actor.role == Role.MERCHANT and merchant.owner_id == actor.id


def _require_manager(actor: User, merchant: Merchant) -> None:
    if not can_manage(actor, merchant):
        raise Forbidden("Only the shop's owner or an admin may change this shop or its offers.")


def _invalid(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"Invalid input: {field_name}: {message}", fields={"json": {field_name: [message]}}
    )


def _merchant_for_write(session: Session, actor: User, merchant_id: int) -> Merchant:
    merchant = session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound(f"Merchant {merchant_id} not found.")
    _require_manager(actor, merchant)
    return merchant


def _offer_for_write(session: Session, actor: User, offer_id: int) -> Offer:
    offer = session.get(Offer, offer_id)
    if offer is None:
        raise NotFound(f"Offer {offer_id} not found.")
    _require_manager(actor, offer.merchant)
    return offer


# --------------------------------------------------------------------------- merchants


def slugify(name: str) -> str:
    """Turn a shop name into a URL part: "Müller & Söhne" → "mueller-soehne"."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold_text(name)).strip("-")
    return slug[:200] or "shop"


def _unique_slug(session: Session, name: str) -> str:
    base = slugify(name)
    taken = set(
        session.scalars(
            select(Merchant.slug).where(or_(Merchant.slug == base, Merchant.slug.like(f"{base}-%")))
        )
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _apply_address(
    session: Session,
    merchant: Merchant,
    address: Mapping[str, Any],
    geocoder: Geocoder,
    area: ServiceArea,
) -> None:
    from louise.geo.service import resolve_address

    resolved = resolve_address(
        session,
        geocoder,
        area,
        street=address.get("street"),
        house_number=address.get("house_number"),
        postcode=address.get("postcode"),
        city=address.get("city"),
        lat=address.get("lat"),
        lon=address.get("lon"),
    )
    merchant.address = resolved
    merchant.lat = resolved.lat
    merchant.lon = resolved.lon


def _set_weekly(merchant: Merchant, weekly: WeeklyData) -> None:
    problems: dict[str, list[str]] = {}
    for weekday, intervals in weekly.items():
        if not 0 <= weekday <= 6:
            problems[str(weekday)] = ["Weekday must be 0 (Monday) to 6 (Sunday)."]
            continue
        found = hours.interval_problems(intervals)
        if found:
            problems[hours.WEEKDAYS[weekday]] = found
    if problems:
        raise ValidationFailed(
            "Invalid opening hours: intervals must close after they open and must not overlap.",
            fields={"json": {"opening_hours": problems}},
        )
    merchant.opening_intervals = [
        OpeningInterval(weekday=weekday, opens=opens, closes=closes)
        for weekday, intervals in sorted(weekly.items())
        for opens, closes in sorted(intervals)
    ]


def _commit(session: Session, conflict_message: str) -> None:
    try:
        session.commit()
    except IntegrityError as exc:  # a concurrent write won a uniqueness race
        session.rollback()
        raise Conflict(conflict_message) from exc


def create_merchant(
    session: Session,
    actor: User,
    data: Mapping[str, Any],
    *,
    geocoder: Geocoder,
    area: ServiceArea,
) -> Merchant:
    """Open a shop.

    A merchant opens their own shop (at most one); the owner is always the actor and
    ``owner_id`` in the data is refused. An admin opens a shop for a merchant account named by
    ``owner_id`` (any number of shops). Nobody else may open shops.
    """
    if actor.role == Role.ADMIN:
        owner_id = data.get("owner_id")
        if owner_id is None:
            raise _invalid(
                "owner_id", "An admin must name the merchant account that owns the shop."
            )
        owner = session.get(User, owner_id)
        if owner is None or owner.role != Role.MERCHANT:
            raise _invalid("owner_id", "Not a merchant account.")
    elif actor.role == Role.MERCHANT:
        if "owner_id" in data:
            raise _invalid("owner_id", "Unknown field. Only an admin may set the owner.")
        owner = actor
        has_shop = session.scalar(select(exists().where(Merchant.owner_id == actor.id)))
        if has_shop:
            raise Conflict("This merchant account has a shop already; change it with PATCH.")
    else:
        raise Forbidden("Only merchants and admins can open shops.")

    merchant = Merchant(
        owner=owner,
        name=data["name"],
        slug=_unique_slug(session, data["name"]),
        category=Category(data["category"]),
        description=data.get("description") or "",
        phone=data.get("phone"),
        email=data.get("email"),
        active=data.get("active", True),
    )
    _apply_address(session, merchant, data["address"], geocoder, area)
    if data.get("opening_hours") is not None:
        _set_weekly(merchant, data["opening_hours"])
    session.add(merchant)
    _commit(session, "A shop with this name was created at the same moment; try again.")
    return merchant


def update_merchant(
    session: Session,
    actor: User,
    merchant_id: int,
    changes: Mapping[str, Any],
    *,
    geocoder: Geocoder | None = None,
    area: ServiceArea | None = None,
) -> Merchant:
    """Partial update of a shop's profile (owner or admin). The slug never changes."""
    merchant = _merchant_for_write(session, actor, merchant_id)
    # Everything that can fail runs before the first attribute changes.
    if changes.get("address") is not None:
        if geocoder is None or area is None:
            raise TypeError("changing the address needs a geocoder and a service area")
        _apply_address(session, merchant, changes["address"], geocoder, area)
    if "opening_hours" in changes:
        _set_weekly(merchant, changes["opening_hours"] or {})
    for key in MERCHANT_PROFILE_FIELDS:
        if key in changes:
            setattr(merchant, key, changes[key])
    session.commit()
    return merchant


def replace_opening_hours(
    session: Session, actor: User, merchant_id: int, weekly: WeeklyData
) -> Merchant:
    """Replace the whole weekly opening hours (owner or admin); a missing weekday is closed."""
    merchant = _merchant_for_write(session, actor, merchant_id)
    _set_weekly(merchant, weekly)
    session.commit()
    return merchant


def add_opening_exception(
    session: Session,
    actor: User,
    merchant_id: int,
    *,
    day: date,
    closed: bool,
    intervals: Sequence[tuple[time, time]] = (),
    reason: str | None = None,
) -> OpeningException:
    """Add a date exception (owner or admin): closed all day, or special intervals.

    One exception per date; a second one for the same date is a conflict.
    """
    merchant = _merchant_for_write(session, actor, merchant_id)
    if closed and intervals:
        raise _invalid("intervals", "A closed day has no opening intervals.")
    if not closed and not intervals:
        raise _invalid("intervals", "Give the special opening intervals, or set closed to true.")
    problems = hours.interval_problems(intervals)
    if problems:
        raise ValidationFailed(
            "Invalid opening intervals.", fields={"json": {"intervals": problems}}
        )
    if any(row.day == day for row in merchant.opening_exceptions):
        raise Conflict(
            f"There is an exception for {day.isoformat()} already; delete it first.",
            fields={"json": {"date": ["An exception for this date exists already."]}},
        )
    exception = OpeningException(
        day=day,
        closed=closed,
        special_intervals=[
            [o.strftime("%H:%M"), c.strftime("%H:%M")] for o, c in sorted(intervals)
        ],
        reason=reason,
    )
    merchant.opening_exceptions.append(exception)
    _commit(session, f"There is an exception for {day.isoformat()} already.")
    return exception


def remove_opening_exception(
    session: Session, actor: User, merchant_id: int, exception_id: int
) -> None:
    """Delete a date exception of a shop (owner or admin)."""
    merchant = _merchant_for_write(session, actor, merchant_id)
    exception = session.get(OpeningException, exception_id)
    if exception is None or exception.merchant_id != merchant.id:
        raise NotFound(f"Exception {exception_id} of merchant {merchant_id} not found.")
    merchant.opening_exceptions.remove(exception)
    session.commit()


def _merchant_visible_to(viewer: User | None) -> ColumnElement[bool]:
    """What a viewer may see of shops: everyone the public ones, owners their own, admins all."""
    owner_active = Merchant.owner_id.in_(select(User.id).where(User.status == AccountStatus.ACTIVE))
    public = and_(Merchant.active.is_(True), owner_active)
    if viewer is None:
        return public
    if viewer.role == Role.ADMIN:
        return true()
    if viewer.role == Role.MERCHANT:
        return or_(public, Merchant.owner_id == viewer.id)
    return public


def get_merchant(session: Session, viewer: User | None, merchant_id: int) -> Merchant:
    """A public shop, or one the viewer manages (hidden shops are 404 for everyone else)."""
    merchant = session.get(Merchant, merchant_id)
    if merchant is None or not (merchant.is_public or can_manage(viewer, merchant)):
        raise NotFound(f"Merchant {merchant_id} not found.")
    return merchant


def list_my_merchants(session: Session, actor: User) -> list[Merchant]:
    """The actor's own shops with all their offers, inactive ones included."""
    if actor.role != Role.MERCHANT:
        raise Forbidden("Only merchant accounts own shops.")
    rows = session.scalars(
        select(Merchant)
        .where(Merchant.owner_id == actor.id)
        .options(selectinload(Merchant.offers))
        .order_by(Merchant.id)
    )
    return list(rows.unique())


# --------------------------------------------------------------------------- offers


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
    merchant = _merchant_for_write(session, actor, merchant_id)
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
    offer = _offer_for_write(session, actor, offer_id)
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
    offer = _offer_for_write(session, actor, offer_id)
    offer.active = False
    session.commit()
    return offer


def _offer_visible_to(viewer: User | None) -> ColumnElement[bool]:
    public = and_(Offer.active.is_(True), _merchant_visible_to(None))
    if viewer is None:
        return public
    if viewer.role == Role.ADMIN:
        return true()
    if viewer.role == Role.MERCHANT:
        return or_(public, Merchant.owner_id == viewer.id)
    return public


def get_offer(session: Session, viewer: User | None, offer_id: int) -> Offer:
    """A public offer, or one the viewer manages (others are 404)."""
    offer = session.get(Offer, offer_id)
    if offer is None or not (offer.is_public or can_manage(viewer, offer.merchant)):
        raise NotFound(f"Offer {offer_id} not found.")
    return offer


# --------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class CatalogueQuery:
    """Filters, order and page of a catalogue listing (already validated by the schema)."""

    category: Category | None = None
    kind: OfferKind | None = None
    merchant_id: int | None = None
    q: str | None = None
    open_at: datetime | None = None
    open_on: date | None = None
    near: tuple[float, float] | None = None
    radius_m: float | None = None
    sort: str | None = None
    limit: int = 20
    offset: int = 0
    include_inactive: bool = False

    def __post_init__(self) -> None:
        if self.open_at is not None and self.open_at.utcoffset() is None:
            raise ValueError("open_at must be timezone-aware")


@dataclass(frozen=True)
class Hit(Generic[T]):
    """One catalogue result, with its distance in metres when the query had a point."""

    item: T
    distance_m: float | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[Hit[T]]
    total: int
    limit: int
    offset: int


def _bounding_box(stmt: Select[Any], lat: float, lon: float, radius_m: float) -> Select[Any]:
    dlat = radius_m / METRES_PER_DEGREE_LAT
    dlon = radius_m / (METRES_PER_DEGREE_LAT * max(math.cos(math.radians(lat)), 1e-6))
    return stmt.where(
        Merchant.lat.between(lat - dlat, lat + dlat), Merchant.lon.between(lon - dlon, lon + dlon)
    )


def _refine(
    rows: Iterable[T],
    merchant_of: Callable[[T], Merchant],
    query: CatalogueQuery,
    sort_keys: Mapping[str, Callable[[Hit[T]], Any]],
) -> Page[T]:
    """Filters SQL cannot express portably (opening hours with exceptions, exact distance),
    then order and page. Catalogues of a town (hundreds of shops) make this cheap."""
    hits: list[Hit[T]] = []
    for row in rows:
        merchant = merchant_of(row)
        if query.open_on is not None and not merchant.is_open_on(query.open_on):
            continue
        if query.open_at is not None and not merchant.is_open_at(query.open_at):
            continue
        distance = None
        if query.near is not None:
            distance = haversine_m(query.near[0], query.near[1], merchant.lat, merchant.lon)
            if query.radius_m is not None and distance > query.radius_m:
                continue
        hits.append(Hit(row, distance))
    sort = query.sort or ("distance" if query.near is not None else "name")
    descending = sort.startswith("-")
    key_name = sort.lstrip("-")
    if key_name not in sort_keys:
        raise _sort_error(sort, sort_keys)
    if key_name == "distance" and query.near is None:
        raise ValidationFailed(
            "Invalid input: sort: sorting by distance needs near=lat,lon.",
            fields={"query": {"sort": ["Sorting by distance needs near=lat,lon."]}},
        )
    key = sort_keys[key_name]
    hits.sort(key=key, reverse=descending)
    return Page(
        items=hits[query.offset : query.offset + query.limit],
        total=len(hits),
        limit=query.limit,
        offset=query.offset,
    )


def _sort_error(sort: str, sort_keys: Iterable[str]) -> ValidationFailed:
    allowed = ", ".join(sorted({*sort_keys, *(f"-{k}" for k in sort_keys)}))
    return ValidationFailed(
        f"Invalid input: sort: must be one of {allowed}.",
        fields={"query": {"sort": [f"Must be one of: {allowed}."]}},
    )


def _check_query(query: CatalogueQuery) -> None:
    if query.radius_m is not None and query.near is None:
        raise ValidationFailed(
            "Invalid input: radius_m: needs near=lat,lon.",
            fields={"query": {"radius_m": ["Needs near=lat,lon."]}},
        )


def _merchant_sort_keys() -> dict[str, Callable[[Hit[Merchant]], Any]]:
    return {
        "name": lambda h: (sort_key(h.item.name), h.item.id),
        "created": lambda h: (h.item.created_at, h.item.id),
        "distance": lambda h: (h.distance_m or 0.0, h.item.id),
    }


def list_merchants(session: Session, viewer: User | None, query: CatalogueQuery) -> Page[Merchant]:
    """The shop catalogue. Hidden shops (inactive, or owner not approved) are public to nobody;
    with ``include_inactive`` an owner also sees their own, an admin sees all. ``q`` matches
    folded text and names sort in German dictionary order (:mod:`louise.collation`), in Python, so
    that every database answers alike."""
    _check_query(query)
    stmt = select(Merchant).where(_merchant_visible_to(viewer if query.include_inactive else None))
    if query.category is not None:
        stmt = stmt.where(Merchant.category == query.category)
    if query.kind is not None:
        stmt = stmt.where(
            exists().where(
                Offer.merchant_id == Merchant.id, Offer.kind == query.kind, Offer.active.is_(True)
            )
        )
    if query.merchant_id is not None:
        stmt = stmt.where(Merchant.id == query.merchant_id)
    if query.near is not None and query.radius_m is not None:
        stmt = _bounding_box(stmt, query.near[0], query.near[1], query.radius_m)
    rows: Iterable[Merchant] = session.scalars(stmt).unique()
    if query.q:
        rows = (m for m in rows if matches(query.q, (m.name, m.description)))
    return _refine(rows, lambda m: m, query, _merchant_sort_keys())


def _offer_sort_keys() -> dict[str, Callable[[Hit[Offer]], Any]]:
    return {
        "name": lambda h: (sort_key(h.item.title), h.item.id),
        "price": lambda h: (h.item.price_cents, h.item.id),
        "created": lambda h: (h.item.created_at, h.item.id),
        "distance": lambda h: (h.distance_m or 0.0, h.item.id),
    }


def list_offers(session: Session, viewer: User | None, query: CatalogueQuery) -> Page[Offer]:
    """The offer catalogue. Inactive offers and offers of hidden shops are public to nobody;
    with ``include_inactive`` an owner also sees their own, an admin sees all. Text and order
    as in :func:`list_merchants`."""
    _check_query(query)
    stmt = (
        select(Offer)
        .join(Offer.merchant)
        .where(_offer_visible_to(viewer if query.include_inactive else None))
    )
    if query.merchant_id is not None:
        stmt = stmt.where(Offer.merchant_id == query.merchant_id)
    if query.category is not None:
        stmt = stmt.where(Merchant.category == query.category)
    if query.kind is not None:
        stmt = stmt.where(Offer.kind == query.kind)
    if query.near is not None and query.radius_m is not None:
        stmt = _bounding_box(stmt, query.near[0], query.near[1], query.radius_m)
    rows: Iterable[Offer] = session.scalars(stmt).unique()
    if query.q:
        rows = (o for o in rows if matches(query.q, (o.title, o.description, o.merchant.name)))
    return _refine(rows, lambda o: o.merchant, query, _offer_sort_keys())


def list_merchant_offers(
    session: Session, viewer: User | None, merchant_id: int, query: CatalogueQuery
) -> Page[Offer]:
    """The offers of one shop; the shop itself must be visible to the viewer (else 404)."""
    get_merchant(session, viewer, merchant_id)
    return list_offers(session, viewer, replace(query, merchant_id=merchant_id))


__all__ = [
    "CatalogueQuery",
    "Hit",
    "Page",
    "add_opening_exception",
    "can_manage",
    "create_merchant",
    "create_offer",
    "deactivate_offer",
    "get_merchant",
    "get_offer",
    "list_merchant_offers",
    "list_merchants",
    "list_my_merchants",
    "list_offers",
    "offer_problems",
    "remove_opening_exception",
    "replace_opening_hours",
    "slugify",
    "update_merchant",
    "update_offer",
]
