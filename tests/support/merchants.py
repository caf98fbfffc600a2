"""Factories for shops and offers, written straight through the test's database session."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from datetime import time
from typing import Any

import pytest
from sqlalchemy.orm import Session

from louise.auth.models import Role, User
from louise.geo.models import Address
from louise.merchants.models import (
    PARCEL_SIZES,
    Category,
    Merchant,
    Offer,
    OfferKind,
    OpeningInterval,
    ParcelSize,
)

#: Altmarkt, Bottrop town centre: inside the default service area.
CENTRE = (51.5236, 6.9281)
#: Monday to Saturday 09:00–18:00.
SHOP_HOURS: dict[int, list[tuple[time, time]]] = {d: [(time(9), time(18))] for d in range(6)}

_numbers = itertools.count(1)


@pytest.fixture()
def make_address(db_session: Session) -> Callable[..., Address]:
    def factory(lat: float = CENTRE[0], lon: float = CENTRE[1], **kw: Any) -> Address:
        n = next(_numbers)
        address = Address(
            normalized_key=f"test|{n}|{uuid.uuid4().hex}",
            street=kw.pop("street", "Hochstraße"),
            house_number=kw.pop("house_number", str(n)),
            postcode=kw.pop("postcode", "46236"),
            city=kw.pop("city", "Bottrop"),
            district=kw.pop("district", "Stadtmitte"),
            lat=lat,
            lon=lon,
            label=kw.pop("label", f"Hochstraße {n}, 46236 Bottrop"),
            source="client",
            precision="client",
            **kw,
        )
        db_session.add(address)
        db_session.flush()
        return address

    return factory


@pytest.fixture()
def make_merchant(
    db_session: Session,
    make_user: Callable[..., User],
    make_address: Callable[..., Address],
) -> Callable[..., Merchant]:
    """``make_merchant(owner=None, name=..., category=..., lat=..., lon=..., hours=...)``."""

    def factory(owner: User | None = None, **kw: Any) -> Merchant:
        n = next(_numbers)
        owner = owner or make_user(Role.MERCHANT)
        lat, lon = kw.pop("lat", CENTRE[0]), kw.pop("lon", CENTRE[1])
        weekly = kw.pop("hours", SHOP_HOURS)
        name = kw.pop("name", f"Shop {n}")
        merchant = Merchant(
            owner=owner,
            name=name,
            slug=kw.pop("slug", f"shop-{n}-{uuid.uuid4().hex[:6]}"),
            category=Category(kw.pop("category", Category.COBBLER)),
            description=kw.pop("description", ""),
            address=make_address(lat=lat, lon=lon),
            lat=lat,
            lon=lon,
            **kw,
        )
        merchant.opening_intervals = [
            OpeningInterval(weekday=day, opens=opens, closes=closes)
            for day, intervals in weekly.items()
            for opens, closes in intervals
        ]
        db_session.add(merchant)
        db_session.commit()
        return merchant

    return factory


@pytest.fixture()
def make_offer(db_session: Session) -> Callable[..., Offer]:
    """``make_offer(merchant, kind="product", price_cents=..., ...)`` with consistent defaults."""

    def factory(merchant: Merchant, **kw: Any) -> Offer:
        kind = OfferKind(kw.pop("kind", OfferKind.PRODUCT))
        size = ParcelSize(kw.pop("parcel_size", ParcelSize.S))
        volume, weight = PARCEL_SIZES.get(size, (12.0, 4.0))
        offer = Offer(
            merchant=merchant,
            kind=kind,
            title=kw.pop("title", f"Offer {next(_numbers)}"),
            description=kw.pop("description", ""),
            price_cents=kw.pop("price_cents", 500),
            parcel_size=size,
            volume_l=kw.pop("volume_l", volume),
            weight_kg=kw.pop("weight_kg", weight),
            turnaround_days=kw.pop("turnaround_days", 3 if kind == OfferKind.SERVICE else None),
            **kw,
        )
        db_session.add(offer)
        db_session.commit()
        return offer

    return factory
