"""The impact settings from the app configuration (no Flask: a mapping in, settings out)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from louise.config import ConfigError
from louise.impact.counterfactual import VanFleet
from louise.impact.factors import factors
from louise.impact.ledger import ImpactSettings


def impact_settings(config: Mapping[str, Any]) -> ImpactSettings:
    """Hub, van fleet and factor table as configured (``LOUISE_IMPACT_*``)."""
    try:
        fleet = VanFleet(
            speed_kmh=float(config["IMPACT_VAN_SPEED_KMH"]),
            detour=float(config["IMPACT_VAN_DETOUR"]),
            capacity_l=float(config["IMPACT_VAN_CAPACITY_L"]),
            capacity_kg=float(config["IMPACT_VAN_CAPACITY_KG"]),
            parking_s=float(config["IMPACT_VAN_PARKING_S"]),
            time_limit=float(config["IMPACT_TIME_LIMIT"]),
            seed=int(config["IMPACT_SEED"]),
        )
    except ValueError as exc:
        raise ConfigError(f"LOUISE_IMPACT_*: {exc}") from exc
    return ImpactSettings(
        hub=(float(config["HUB_LAT"]), float(config["HUB_LON"])),
        fleet=fleet,
        factors=factors(config.get("IMPACT_FACTORS") or {}),
    )
