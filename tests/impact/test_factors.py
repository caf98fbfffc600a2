"""The emission factors: cited defaults, configuration overrides, stored versions."""

from __future__ import annotations

import pytest

from louise.config import ConfigError, load_config
from louise.impact.factors import factor_set_version, factors, stored_factors


def test_the_default_table_has_every_factor_with_unit_year_and_source():
    table = factors()
    got = {f.key: (f.value, f.unit, f.year) for f in table.rows}
    assert got == {
        "van_diesel_g_co2e_per_km": (298.0, "g CO2e/km", 2022),
        "bike_kwh_per_km": (0.015, "kWh/km", 2016),
        "ecar_kwh_per_km": (0.203, "kWh/km", 2019),
        "grid_g_co2e_per_kwh": (380.0, "g CO2e/kWh", 2023),
    }
    for factor in table.rows:
        assert factor.source and factor.url.startswith("https://")
    grid = next(f for f in table.rows if f.key == "grid_g_co2e_per_kwh")
    assert "Climate Change 23/2024" in grid.source


def test_a_configured_factor_replaces_the_default_and_says_so():
    table = factors({"VAN_DIESEL_G_CO2E_PER_KM": 250})
    van = next(f for f in table.rows if f.key == "van_diesel_g_co2e_per_km")
    assert van.value == 250.0
    assert van.source.startswith("configured: LOUISE_IMPACT_FACTOR_VAN_DIESEL_G_CO2E_PER_KM=250")
    assert table.value("bike_kwh_per_km") == 0.015


def test_an_unknown_or_negative_factor_stops_the_build():
    with pytest.raises(ConfigError, match="unknown impact factor"):
        factors({"van_petrol_g_per_km": 200})
    with pytest.raises(ConfigError, match=">= 0"):
        factors({"grid_g_co2e_per_kwh": -1})


def test_factors_are_read_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LOUISE_IMPACT_FACTOR_GRID_G_CO2E_PER_KWH", "363")
    assert load_config(str(tmp_path))["IMPACT_FACTORS"] == {"grid_g_co2e_per_kwh": 363.0}
    monkeypatch.setenv("LOUISE_IMPACT_FACTOR_GRID_G_CO2E_PER_KWH", "a lot")
    with pytest.raises(ConfigError, match="LOUISE_IMPACT_FACTOR_GRID_G_CO2E_PER_KWH"):
        load_config(str(tmp_path))


def test_the_same_table_is_one_version_and_a_changed_one_another(db_session):
    first = factor_set_version(db_session, factors())
    assert factor_set_version(db_session, factors()) == first
    changed = factor_set_version(db_session, factors({"grid_g_co2e_per_kwh": 363}))
    assert changed != first
    stored = stored_factors(db_session, changed)
    assert stored is not None and stored.value("grid_g_co2e_per_kwh") == 363.0
    assert stored_factors(db_session, first).digest() == factors().digest()
