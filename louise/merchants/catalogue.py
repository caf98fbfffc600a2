"""The public catalogue of shops and offers: filters, text search, distance, order, pages."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Row, Select, exists, func, select
from sqlalchemy.orm import Session, aliased, defaultload

from louise.auth.models import AccountStatus, User
from louise.collation import matches, sort_key
from louise.errors import ValidationFailed
from louise.geo.distance import haversine_m
from louise.merchants.models import Category, Merchant, Offer, OfferKind, ParcelSize
from louise.merchants.offers import offer_visible_to
from louise.merchants.shops import get_merchant, merchant_visible_to

T = TypeVar("T")

METRES_PER_DEGREE_LAT = 111_320.0


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
    merchant_of: Callable[[T], Any],
    query: CatalogueQuery,
    sort_keys: Mapping[str, Callable[[Hit[Any]], Any]],
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
    stmt = select(Merchant).where(merchant_visible_to(viewer if query.include_inactive else None))
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


def _offer_sort_keys() -> dict[str, Callable[[Hit[Any]], Any]]:
    """Keys of an offer, or of a row with the same names (id, title, price_cents, created_at)."""
    return {
        "name": lambda h: (sort_key(h.item.title), h.item.id),
        "price": lambda h: (h.item.price_cents, h.item.id),
        "created": lambda h: (h.item.created_at, h.item.id),
        "distance": lambda h: (h.distance_m or 0.0, h.item.id),
    }


def list_offers(
    session: Session, viewer: User | None, query: CatalogueQuery
) -> Page[Offer] | Page[OfferCard]:
    """The offer catalogue. Inactive offers and offers of hidden shops are public to nobody;
    with ``include_inactive`` an owner also sees their own, an admin sees all. Text and order
    as in :func:`list_merchants`.

    Filtering, ordering and paging read only the columns they need (plain rows); only the
    page's offers are loaded as objects. Opening-hour filters need the shops' hours: those
    queries load every candidate."""
    _check_query(query)
    conditions = [offer_visible_to(viewer if query.include_inactive else None)]
    if query.merchant_id is not None:
        conditions.append(Offer.merchant_id == query.merchant_id)
    if query.category is not None:
        conditions.append(Merchant.category == query.category)
    if query.kind is not None:
        conditions.append(Offer.kind == query.kind)
    if query.open_on is not None or query.open_at is not None:
        stmt = select(Offer).join(Offer.merchant).where(*conditions)
        if query.near is not None and query.radius_m is not None:
            stmt = _bounding_box(stmt, query.near[0], query.near[1], query.radius_m)
        rows: Iterable[Offer] = session.scalars(stmt).unique()
        if query.q:
            rows = (o for o in rows if matches(query.q, (o.title, o.description, o.merchant.name)))
        return _refine(rows, lambda o: o.merchant, query, _offer_sort_keys())
    sort = query.sort or ("distance" if query.near is not None else "name")
    if query.near is None and not query.q and sort.lstrip("-") in _SQL_OFFER_ORDER:
        return _offer_page_in_sql(session, conditions, query, sort)
    keys = (
        select(
            Offer.id,
            Offer.title,
            Offer.description,
            Offer.price_cents,
            Offer.created_at,
            Merchant.name.label("merchant_name"),
            Merchant.lat,
            Merchant.lon,
        )
        .join(Offer.merchant)
        .where(*conditions)
    )
    if query.near is not None and query.radius_m is not None:
        keys = _bounding_box(keys, query.near[0], query.near[1], query.radius_m)
    found: Iterable[Row[Any]] = session.execute(keys).all()
    if query.q:
        found = (r for r in found if matches(query.q, (r.title, r.description, r.merchant_name)))
    page = _refine(found, lambda r: r, query, _offer_sort_keys())
    ids = [hit.item.id for hit in page.items]
    # the offers' shops come joined; their opening hours are not part of an offer's answer
    loaded = session.scalars(
        select(Offer)
        .where(Offer.id.in_(ids))
        .options(
            defaultload(Offer.merchant).lazyload(Merchant.opening_intervals),
            defaultload(Offer.merchant).lazyload(Merchant.opening_exceptions),
        )
    ).unique()
    by_id = {offer.id: offer for offer in loaded}
    return Page(
        # an offer deleted between the two statements is left out, never a 500
        items=[
            Hit(by_id[hit.item.id], hit.distance_m) for hit in page.items if hit.item.id in by_id
        ],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@dataclass(frozen=True, slots=True)
class ShopSummary:
    """What an offer's answer shows of its shop."""

    id: int
    name: str
    slug: str
    category: Category


@dataclass(frozen=True, slots=True)
class OfferCard:
    """An offer as the catalogue shows it, read as one row (no ORM objects: building an
    offer with its shop, the shop's owner and address cost more than the query)."""

    id: int
    merchant_id: int
    merchant: ShopSummary
    kind: OfferKind
    title: str
    description: str
    price_cents: int
    parcel_size: ParcelSize
    volume_l: float
    weight_kg: float
    turnaround_days: int | None
    daily_capacity: int | None
    active: bool
    is_public: bool
    created_at: datetime
    updated_at: datetime


#: Orders the database computes (the name by the stored DIN 5007 key ``title_sort``).
_SQL_OFFER_ORDER: dict[str, Any] = {
    "name": Offer.title_sort,
    "price": Offer.price_cents,
    "created": Offer.created_at,
}


@functools.cache
def _offer_cards() -> Select[Any]:
    """The columns of :class:`OfferCard` with the shop and its owner joined (built once: a
    statement is immutable, each request adds its filters, order and page to a copy)."""
    owner = aliased(User)
    return (
        select(
            Offer.id,
            Offer.merchant_id,
            Offer.kind,
            Offer.title,
            Offer.description,
            Offer.price_cents,
            Offer.parcel_size,
            Offer.volume_l,
            Offer.weight_kg,
            Offer.turnaround_days,
            Offer.daily_capacity,
            Offer.active,
            Offer.created_at,
            Offer.updated_at,
            Merchant.name.label("merchant_name"),
            Merchant.slug.label("merchant_slug"),
            Merchant.category.label("merchant_category"),
            Merchant.active.label("merchant_active"),
            owner.status.label("owner_status"),
            func.count().over().label("total"),
        )
        .select_from(Offer)
        .join(Merchant, Offer.merchant_id == Merchant.id)
        .join(owner, Merchant.owner_id == owner.id)
    )


def _offer_page_in_sql(
    session: Session, conditions: list[Any], query: CatalogueQuery, sort: str
) -> Page[Any]:
    """One statement: the page's offers in order, with their shops' summaries and the total
    (a window count). The same order as :func:`_refine` with :func:`_offer_sort_keys`:
    ``title_sort`` compares code point by code point (``COLLATE "C"`` on PostgreSQL,
    SQLite's BINARY), as Python compares :func:`louise.collation.sort_key`."""
    key = _SQL_OFFER_ORDER[sort.lstrip("-")]
    if key is Offer.title_sort and session.get_bind().dialect.name == "postgresql":
        key = key.collate("C")
    descending = sort.startswith("-")
    order = [key.desc(), Offer.id.desc()] if descending else [key, Offer.id]
    stmt = (
        _offer_cards().where(*conditions).order_by(*order).limit(query.limit).offset(query.offset)
    )
    rows = session.execute(stmt).all()
    if rows:
        total = int(rows[0].total)
    else:  # past the end (or nothing at all): the window count has no row to ride on
        total = int(
            session.scalar(
                select(func.count())
                .select_from(Offer)
                .join(Merchant, Offer.merchant_id == Merchant.id)
                .where(*conditions)
            )
            or 0
        )
    return Page(
        items=[Hit(_offer_card(row)) for row in rows],
        total=total,
        limit=query.limit,
        offset=query.offset,
    )


def _offer_card(row: Row[Any]) -> OfferCard:
    return OfferCard(
        id=row.id,
        merchant_id=row.merchant_id,
        merchant=ShopSummary(
            id=row.merchant_id,
            name=row.merchant_name,
            slug=row.merchant_slug,
            category=row.merchant_category,
        ),
        kind=row.kind,
        title=row.title,
        description=row.description,
        price_cents=row.price_cents,
        parcel_size=row.parcel_size,
        volume_l=row.volume_l,
        weight_kg=row.weight_kg,
        turnaround_days=row.turnaround_days,
        daily_capacity=row.daily_capacity,
        active=row.active,
        is_public=bool(
            row.active and row.merchant_active and row.owner_status == AccountStatus.ACTIVE
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def list_merchant_offers(
    session: Session, viewer: User | None, merchant_id: int, query: CatalogueQuery
) -> Page[Offer] | Page[OfferCard]:
    """The offers of one shop; the shop itself must be visible to the viewer (else 404)."""
    get_merchant(session, viewer, merchant_id)
    return list_offers(session, viewer, replace(query, merchant_id=merchant_id))


@dataclass(frozen=True, slots=True)
class OfferPreview:
    """An offer as a shop's card in the catalogue names it."""

    id: int
    merchant_id: int
    kind: OfferKind
    title: str
    price_cents: int


@dataclass(frozen=True, slots=True)
class ShopOffers:
    """The first public offers of one shop (by name) and how many it has in all."""

    first: list[OfferPreview]
    total: int


def offer_previews(
    session: Session, merchant_ids: Iterable[int], per_merchant: int = 3
) -> dict[int, ShopOffers]:
    """The first ``per_merchant`` public offers of each shop, in the catalogue's name order,
    with each shop's count of public offers: one statement for a page of shops. Inactive
    offers and offers of hidden shops are public to nobody (as in :func:`list_offers`); a shop
    without public offers is missing from the answer."""
    ids = list(merchant_ids)
    if not ids:
        return {}
    key: Any = Offer.title_sort
    if session.get_bind().dialect.name == "postgresql":
        key = key.collate("C")  # code point order, as Python compares sort keys
    ranked = (
        select(
            Offer.id,
            Offer.merchant_id,
            Offer.kind,
            Offer.title,
            Offer.price_cents,
            func.row_number()
            .over(partition_by=Offer.merchant_id, order_by=(key, Offer.id))
            .label("rank"),
            func.count().over(partition_by=Offer.merchant_id).label("total"),
        )
        .join(Merchant, Offer.merchant_id == Merchant.id)
        .where(offer_visible_to(None), Offer.merchant_id.in_(ids))
        .subquery()
    )
    rows = session.execute(
        select(ranked).where(ranked.c.rank <= per_merchant).order_by(ranked.c.rank)
    ).all()
    found: dict[int, ShopOffers] = {}
    for row in rows:
        shop = found.setdefault(row.merchant_id, ShopOffers([], int(row.total)))
        shop.first.append(
            OfferPreview(row.id, row.merchant_id, row.kind, row.title, row.price_cents)
        )
    return found
