"""Emission factors: one table of defaults with their sources, overridable by configuration.

Rules:
- every factor has a key, a value, a unit, the year it describes and its source (citation
  and URL); the defaults live here, in code;
- ``LOUISE_IMPACT_FACTOR_<KEY>=<number>`` replaces a default's value (the row then names the
  configuration as its source); an unknown key or a negative value stops the build;
- a *factor set* is the whole table as used; its version is the id of the row in
  ``impact_factor_sets`` with the same content digest (one row per distinct table), so every
  ledger row names the exact numbers it was computed with.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from louise.config import ConfigError
from louise.impact.models import FactorRow, FactorSet

VAN_DIESEL = "van_diesel_g_co2e_per_km"
BIKE_ENERGY = "bike_kwh_per_km"
ECAR_ENERGY = "ecar_kwh_per_km"
GRID = "grid_g_co2e_per_kwh"


@dataclass(frozen=True)
class Factor:
    """One emission factor and where its number comes from."""

    key: str
    value: float
    unit: str
    year: int
    source: str
    url: str

    def __post_init__(self) -> None:
        if not math.isfinite(self.value) or self.value < 0:
            raise ConfigError(f"impact factor {self.key} must be a number >= 0, got {self.value}")


DEFAULT_FACTORS: tuple[Factor, ...] = (
    Factor(
        key=VAN_DIESEL,
        value=298.0,
        unit="g CO2e/km",
        year=2022,
        source=(
            "HBEFA 4.2 (2022), diesel light commercial vehicle N1-III Euro 6d: 295.6 g CO2/km "
            "over the WLTC class 3 Low and Medium phases (UNECE GTR No. 15; 7.85 km, "
            "27.7 km/h), computed with HBEFA 4.2's emission function as implemented in "
            "Eclipse SUMO 1.28 (HelpersHBEFA4.cpp; emissionsDrivingCycle); plus about "
            "2 g/km CH4 and N2O (JRC, Suarez-Bertoa et al. 2020, GWP100 of IPCC AR5). "
            "The Low phase alone (18.9 km/h) gives 360 g CO2/km: the lower figure is the "
            "conservative one (docs/impact.md)."
        ),
        url="https://github.com/eclipse-sumo/sumo/blob/01051bdf5fa5f99ce988f242e1af2c1c2119463c/src/utils/emissions/HelpersHBEFA4.cpp",
    ),
    Factor(
        key=BIKE_ENERGY,
        value=0.015,
        unit="kWh/km",
        year=2016,
        source=(
            "Elmob project, City of Gothenburg / Velove: the Armadillo e-cargo-bike uses about "
            "0.15 kWh per Swedish mil (10 km), a tenth of an electric car for the same work; "
            "a measured test by Pling Transport (Swedish Energy Agency, March 2017) found the "
            "bike used 6 % of the electricity of a Nissan e-NV200 on the same routes."
        ),
        url="https://framtiden.se/blog/2016/03/03/allmannyttan-tar-sig-klimatsmart-mellan-husen/",
    ),
    Factor(
        key=ECAR_ENERGY,
        value=0.203,
        unit="kWh/km",
        year=2019,
        source=(
            "ADAC Ecotest, 'Aktuelle Elektroautos im Test: So hoch ist der Stromverbrauch' "
            "(8 August 2019): Renault ZOE 20.3 kWh/100 km, measured at the socket (charging "
            "losses included)."
        ),
        url="https://www.adac.de/rund-ums-fahrzeug/tests/elektromobilitaet/stromverbrauch-elektroautos-adac-test/",
    ),
    Factor(
        key=GRID,
        value=380.0,
        unit="g CO2e/kWh",
        year=2023,
        source=(
            "Umweltbundesamt, Icha & Lauf: 'Entwicklung der spezifischen "
            "Treibhausgas-Emissionen des deutschen Strommix in den Jahren 1990 - 2023', "
            "Climate Change 23/2024: emission factor of the German electricity mix 2023 "
            "(estimate) 380 g CO2/kWh, direct emissions without the upstream chain."
        ),
        url="https://www.umweltbundesamt.de/publikationen/entwicklung-der-spezifischen-treibhausgas-10",
    ),
)

FACTOR_KEYS = tuple(f.key for f in DEFAULT_FACTORS)


@dataclass(frozen=True)
class Factors:
    """A complete factor table, by key."""

    rows: tuple[Factor, ...]

    def __post_init__(self) -> None:
        keys = [f.key for f in self.rows]
        if sorted(keys) != sorted(FACTOR_KEYS):
            raise ConfigError(
                f"an impact factor table needs exactly the keys {', '.join(FACTOR_KEYS)}"
            )

    def value(self, key: str) -> float:
        for factor in self.rows:
            if factor.key == key:
                return factor.value
        raise KeyError(key)

    def digest(self) -> str:
        """A fingerprint of the numbers and their provenance (the same table, the same set)."""
        canonical = json.dumps(
            [
                [f.key, repr(float(f.value)), f.unit, f.year, f.source, f.url]
                for f in sorted(self.rows, key=lambda f: f.key)
            ],
            ensure_ascii=False,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def factors(overrides: Mapping[str, float] | None = None) -> Factors:
    """The default table with ``overrides`` (key → value, keys as in ``FACTOR_KEYS``,
    case-insensitive) applied; an overridden row says so in its source."""
    wanted = {key.lower(): value for key, value in (overrides or {}).items()}
    unknown = sorted(set(wanted) - set(FACTOR_KEYS))
    if unknown:
        raise ConfigError(
            f"unknown impact factor(s) {', '.join(unknown)}; known: {', '.join(FACTOR_KEYS)}"
        )
    rows = []
    for factor in DEFAULT_FACTORS:
        if factor.key in wanted and float(wanted[factor.key]) != factor.value:
            value = float(wanted[factor.key])
            factor = replace(
                factor,
                value=value,
                source=(
                    f"configured: LOUISE_IMPACT_FACTOR_{factor.key.upper()}={value:g} "
                    f"(default {factor.value:g} {factor.unit}: {factor.source})"
                ),
            )
        rows.append(factor)
    return Factors(tuple(rows))


def factor_set_version(session: Session, table: Factors) -> int:
    """The version (id) of ``table`` in ``impact_factor_sets``, stored on first use.

    Flushes only: the caller's unit of work commits it with the rows that name it."""
    digest = table.digest()
    found = session.scalar(select(FactorSet.id).where(FactorSet.digest == digest))
    if found is not None:
        return found
    row = FactorSet(digest=digest)
    row.factors = [
        FactorRow(key=f.key, value=f.value, unit=f.unit, year=f.year, source=f.source, url=f.url)
        for f in table.rows
    ]
    session.add(row)
    session.flush()
    return row.id


def stored_factors(session: Session, version: int) -> Factors | None:
    """The table a factor-set version names (for reports: the method and its sources)."""
    rows: Iterable[FactorRow] = session.scalars(
        select(FactorRow).where(FactorRow.set_id == version).order_by(FactorRow.key)
    ).all()
    found = tuple(
        Factor(key=r.key, value=r.value, unit=r.unit, year=r.year, source=r.source, url=r.url)
        for r in rows
    )
    return Factors(found) if found else None
