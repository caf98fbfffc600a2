"""Flask side: the booking context built from the app configuration."""

from __future__ import annotations

from datetime import time
from typing import Any

from flask import current_app, g

from louise.bookings.common import BookingContext
from louise.bookings.legs import Stop
from louise.bookings.lookups import ReferenceSnapshot, VersionedReference
from louise.bookings.models import StopKind
from louise.bookings.policy import ServicePolicy, WindowSpec
from louise.bookings.reference import ReferenceCache
from louise.config import ConfigError
from louise.geo.geocoders import (
    Geocoder,
    ServiceArea,
    geocoder_from_config,
    service_area_from_config,
)
from louise.geo.runtime import get_geocoder, get_service_area


def _span(text: str) -> tuple[time, time]:
    try:
        start, end = (time.fromisoformat(p.strip()) for p in text.split("-"))
    except ValueError as exc:
        raise ConfigError(f"time span {text!r} must look like 17:30-20:00") from exc
    return start, end


def policy_from_config(config: Any) -> ServicePolicy:
    windows = []
    for part in (config["DAY_WINDOWS"] or "").split(","):
        if part.strip():
            start, end = _span(part)
            windows.append(WindowSpec(f"day-{start:%H}", start, end))
    start, end = _span(config["EVENING_WINDOW"])
    windows.append(WindowSpec("evening", start, end, evening=True))
    return ServicePolicy(
        windows=tuple(windows),
        same_day_cutoff=time.fromisoformat(config["SAME_DAY_CUTOFF"]),
        horizon_days=config["BOOKING_HORIZON_DAYS"],
        stops_per_vehicle_hour=config["STOPS_PER_VEHICLE_HOUR"],
        max_open_bookings_per_day=config["MAX_OPEN_BOOKINGS_PER_DAY"],
    )


def context_from_config(
    config: Any,
    *,
    policy: ServicePolicy | None = None,
    geocoder: Geocoder | None = None,
    area: ServiceArea | None = None,
) -> BookingContext:
    """The booking context of ``config``; what is not given is built from it (no app needed)."""
    return BookingContext(
        policy=policy or policy_from_config(config),
        geocoder=geocoder or geocoder_from_config(config),
        area=area or service_area_from_config(config),
        hub=Stop(
            StopKind.HUB,
            f"{config['HUB_NAME']}, {config['HUB_ADDRESS']}",
            float(config["HUB_LAT"]),
            float(config["HUB_LON"]),
        ),
        default_fleet_size=int(config["DEFAULT_FLEET_SIZE"]),
    )


def get_reference() -> ReferenceCache:
    """This app's short-lived copy of the slots' reference data (``REFERENCE_CACHE_SECONDS``)."""
    cache = current_app.extensions.get("louise.reference")
    if cache is None:
        cache = ReferenceCache(float(current_app.config["REFERENCE_CACHE_SECONDS"]))
        current_app.extensions["louise.reference"] = cache
    return cache


def reference_snapshot() -> ReferenceSnapshot | None:
    """This worker's copy of the reference data under the reference version that the
    request's token check read (louise.auth.tokens); None without one (no token, or a
    session login): then the use case reads the rows itself."""
    kept = current_app.extensions.get("louise.versioned_reference")
    if kept is None:
        kept = current_app.extensions["louise.versioned_reference"] = VersionedReference()
    return kept.snapshot(g.get("louise_reference_version"))


def get_context() -> BookingContext:
    """The booking context of this app; the policy is built once, the geocoder looked up
    each time (tests may swap it)."""
    cfg = current_app.config
    policy = current_app.extensions.get("louise.policy")
    if policy is None:
        policy = policy_from_config(cfg)
        current_app.extensions["louise.policy"] = policy
    return context_from_config(cfg, policy=policy, geocoder=get_geocoder(), area=get_service_area())
