"""Shops: opening one, changing its profile, who sees which shop."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.strategy_options import _AbstractLoad

from louise.auth.models import AccountStatus, Role, User
from louise.errors import Conflict, Forbidden, NotFound
from louise.geo.normalize import fold_text
from louise.merchants.models import Category, Merchant

if TYPE_CHECKING:
    from louise.geo.geocoders import Geocoder, ServiceArea

from louise.merchants.access import can_manage, commit, invalid, merchant_for_write, visible_to
from louise.merchants.opening import set_weekly

MERCHANT_PROFILE_FIELDS = ("name", "category", "description", "phone", "email", "active")


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
            raise invalid("owner_id", "An admin must name the merchant account that owns the shop.")
        owner = session.get(User, owner_id)
        if owner is None or owner.role != Role.MERCHANT:
            raise invalid("owner_id", "Not a merchant account.")
    elif actor.role == Role.MERCHANT:
        if "owner_id" in data:
            raise invalid("owner_id", "Unknown field. Only an admin may set the owner.")
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
        set_weekly(merchant, data["opening_hours"])
    session.add(merchant)
    commit(session, "A shop with this name was created at the same moment; try again.")
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
    merchant = merchant_for_write(session, actor, merchant_id)
    # Everything that can fail runs before the first attribute changes.
    if changes.get("address") is not None:
        if geocoder is None or area is None:
            raise TypeError("changing the address needs a geocoder and a service area")
        _apply_address(session, merchant, changes["address"], geocoder, area)
    if "opening_hours" in changes:
        set_weekly(merchant, changes["opening_hours"] or {})
    for key in MERCHANT_PROFILE_FIELDS:
        if key in changes:
            setattr(merchant, key, changes[key])
    session.commit()
    return merchant


def merchant_visible_to(viewer: User | None) -> ColumnElement[bool]:
    """What a viewer may see of shops: everyone the public ones, owners their own, admins all."""
    owner_active = Merchant.owner_id.in_(select(User.id).where(User.status == AccountStatus.ACTIVE))
    return visible_to(viewer, and_(Merchant.active.is_(True), owner_active))


@functools.cache
def _with_hours() -> tuple[_AbstractLoad, ...]:
    """Loader options are immutable: built once (at first use, when the mappers are
    configured), not per request."""
    return (joinedload(Merchant.opening_intervals), joinedload(Merchant.opening_exceptions))


def get_merchant(session: Session, viewer: User | None, merchant_id: int) -> Merchant:
    """A public shop, or one the viewer manages (hidden shops are 404 for everyone else)."""
    # one statement: the shop with its owner, address, weekly hours and date exceptions
    merchant = session.get(Merchant, merchant_id, options=_with_hours())
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
