"""Configuration: safe defaults, overridden by ``LOUISE_*`` environment variables.

Every variable is documented in ``docs/configuration.md``.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

ENV_PREFIX = "LOUISE_"
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """The configuration is unusable; the app must not start."""


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(ENV_PREFIX + name, default)


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{ENV_PREFIX}{name} must be an integer, got {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_float(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{ENV_PREFIX}{name} must be a number, got {raw!r}") from exc


def _env_numbers_with_prefix(prefix: str) -> dict[str, float]:
    """Every ``LOUISE_<prefix><KEY>=<number>`` as ``{key (lower case): number}``."""
    out: dict[str, float] = {}
    for name, raw in os.environ.items():
        if not name.startswith(ENV_PREFIX + prefix) or raw.strip() == "":
            continue
        key = name[len(ENV_PREFIX + prefix) :].lower()
        try:
            out[key] = float(raw)
        except ValueError as exc:
            raise ConfigError(f"{name} must be a number, got {raw!r}") from exc
    return out


def _env_list(name: str) -> list[str]:
    """A comma-separated list; empty entries dropped."""
    return [item.strip() for item in (_env(name) or "").split(",") if item.strip()]


CLOCK_EXAMPLE = "2026-12-01T10:00:00+01:00"


@lru_cache(maxsize=8)
def parse_clock(raw: str) -> datetime:
    """``LOUISE_CLOCK``: an RFC 3339 instant with its offset, as UTC."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        moment = None
    if moment is None or "T" not in raw or moment.tzinfo is None:
        raise ConfigError(
            f"{ENV_PREFIX}CLOCK must be a date and time with its UTC offset, "
            f"e.g. {CLOCK_EXAMPLE}; got {raw!r}"
        )
    return moment.astimezone(UTC)


def fixed_clock() -> datetime | None:
    """The instant ``LOUISE_CLOCK`` fixes the clock at (a demo on a chosen day), or None."""
    raw = _env("CLOCK")
    return parse_clock(raw) if raw and raw.strip() else None


def load_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the app configuration from defaults, the environment and explicit overrides.

    Rule: in production (``LOUISE_ENV=production``) there is no default secret key; a missing
    or short ``LOUISE_SECRET_KEY`` stops the app. Development, demo and tests generate one.
    """
    overrides = dict(overrides or {})
    env_name = overrides.get("LOUISE_ENV") or _env("ENV", "development") or "development"
    default_db = "sqlite:///" + str(Path(instance_path) / "louise.sqlite3")
    cfg: dict[str, Any] = {
        "LOUISE_ENV": env_name,
        "TESTING": False,
        "SECRET_KEY": _env("SECRET_KEY"),
        "DATABASE_URL": _env("DATABASE_URL", default_db),
        "DATABASE_ECHO": _env_bool("DATABASE_ECHO", False),
        "MAX_CONTENT_LENGTH": _env_int("MAX_BODY_BYTES", 1 * 1024 * 1024),
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(minutes=_env_int("ACCESS_TOKEN_MINUTES", 15)),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(days=_env_int("REFRESH_TOKEN_DAYS", 14)),
        "ARGON2_TIME_COST": _env_int("ARGON2_TIME_COST", 2),
        "ARGON2_MEMORY_KIB": _env_int("ARGON2_MEMORY_KIB", 19 * 1024),
        "ARGON2_PARALLELISM": _env_int("ARGON2_PARALLELISM", 1),
        # geocoding
        "GEOCODER": _env("GEOCODER", "gazetteer"),
        "GAZETTEER_PATH": _env("GAZETTEER_PATH"),
        "NOMINATIM_DOMAIN": _env("NOMINATIM_DOMAIN", "nominatim.openstreetmap.org"),
        "NOMINATIM_SCHEME": _env("NOMINATIM_SCHEME", "https"),
        "NOMINATIM_USER_AGENT": _env("NOMINATIM_USER_AGENT", "louise-city-logistics/0.1"),
        "NOMINATIM_TIMEOUT": _env_float("NOMINATIM_TIMEOUT", 5.0),
        "SERVICE_AREA_BBOX": _env("SERVICE_AREA_BBOX", "6.83,51.48,7.05,51.65"),
        "SERVICE_COUNTRY_CODES": _env("SERVICE_COUNTRY_CODES", "de"),
        # read by louise.clock on every call; here so that a bad value stops the start
        "CLOCK": fixed_clock(),
        # service policy (bookings)
        "SAME_DAY_CUTOFF": _env("SAME_DAY_CUTOFF", "14:00"),
        "EVENING_WINDOW": _env("EVENING_WINDOW", "17:30-20:00"),
        "DAY_WINDOWS": _env("DAY_WINDOWS", "09:00-11:00,11:00-13:00,13:00-15:00,15:00-17:00"),
        "BOOKING_HORIZON_DAYS": _env_int("BOOKING_HORIZON_DAYS", 14),
        "STOPS_PER_VEHICLE_HOUR": _env_float("STOPS_PER_VEHICLE_HOUR", 4.0),
        "MAX_OPEN_BOOKINGS_PER_DAY": _env_int("MAX_OPEN_BOOKINGS_PER_DAY", 3),
        "DEFAULT_FLEET_SIZE": _env_int("DEFAULT_FLEET_SIZE", 3),
        "HUB_NAME": _env("HUB_NAME", "City-Station"),
        "HUB_ADDRESS": _env("HUB_ADDRESS", "Altmarkt-Passage, Altmarkt 1, 46236 Bottrop"),
        "HUB_LAT": _env_float("HUB_LAT", 51.5236),
        "HUB_LON": _env_float("HUB_LON", 6.9285),
        # planning
        "BROKER_URL": _env("BROKER_URL"),
        "PLANNING_TIME_LIMIT": _env_float("PLANNING_TIME_LIMIT", 5.0),
        "PLANNING_SEED": _env_int("PLANNING_SEED", 0),
        "PLANNING_THREADS": _env_int("PLANNING_THREADS", os.cpu_count() or 1),
        "PLANNING_INLINE": _env_bool("PLANNING_INLINE", False),
        # faults: a run whose lease ran out is failed and frees its day (docs/operations.md)
        "PLANNING_LEASE_SECONDS": _env_float("PLANNING_LEASE_SECONDS", 120.0),
        "BROKER_TIMEOUT": _env_float("BROKER_TIMEOUT", 2.0),
        "IDEMPOTENCY_STALE_SECONDS": _env_float("IDEMPOTENCY_STALE_SECONDS", 30.0),
        # how long a worker reuses an offer, its shop's hours and the districts for the slots
        # (louise/bookings/reference.py; 0: read them on every request)
        "REFERENCE_CACHE_SECONDS": _env_float("REFERENCE_CACHE_SECONDS", 10.0),
        "DATABASE_RETRY_AFTER": _env_int("DATABASE_RETRY_AFTER", 2),
        "FAILED_DELIVERY_FALLBACK": _env_bool("FAILED_DELIVERY_FALLBACK", True),
        "UPLOAD_DIR": _env("UPLOAD_DIR"),
        "MAX_UPLOAD_BYTES": _env_int("MAX_UPLOAD_BYTES", 5 * 1024 * 1024),
        # impact (docs/impact.md): the van counterfactual and the emission factors
        "IMPACT_TIME_LIMIT": _env_float("IMPACT_TIME_LIMIT", 3.0),
        "IMPACT_SEED": _env_int("IMPACT_SEED", 0),
        "IMPACT_VAN_SPEED_KMH": _env_float("IMPACT_VAN_SPEED_KMH", 22.0),
        "IMPACT_VAN_DETOUR": _env_float("IMPACT_VAN_DETOUR", 1.5),
        "IMPACT_VAN_CAPACITY_L": _env_float("IMPACT_VAN_CAPACITY_L", 3000.0),
        "IMPACT_VAN_CAPACITY_KG": _env_float("IMPACT_VAN_CAPACITY_KG", 800.0),
        "IMPACT_VAN_PARKING_S": _env_float("IMPACT_VAN_PARKING_S", 180.0),
        # LOUISE_IMPACT_FACTOR_<KEY>=<number> (keys in louise/impact/factors.py)
        "IMPACT_FACTORS": _env_numbers_with_prefix("IMPACT_FACTOR_"),
        # notifications
        "SMTP_HOST": _env("SMTP_HOST"),
        "SMTP_PORT": _env_int("SMTP_PORT", 25),
        "SMTP_USER": _env("SMTP_USER"),
        "SMTP_PASSWORD": _env("SMTP_PASSWORD"),
        "SMTP_STARTTLS": _env_bool("SMTP_STARTTLS", False),
        "MAIL_FROM": _env("MAIL_FROM", "LOUISE Bottrop <noreply@louise.invalid>"),
        "MAIL_DIR": _env("MAIL_DIR"),
        # No SMS gateway: an SMS is written as text into this folder, or (unset) not sent.
        "SMS_DIR": _env("SMS_DIR"),
        # Where residents reach the service: the base of the tracking link in every mail.
        "PUBLIC_URL": _env("PUBLIC_URL") or f"http://127.0.0.1:{os.environ.get('PORT') or 5000}",
        # observability (docs/operations.md): JSON logs in production, text elsewhere
        "LOG_FORMAT": (_env("LOG_FORMAT") or ("json" if env_name == "production" else "text")),
        "LOG_LEVEL": (_env("LOG_LEVEL") or "INFO").upper(),
        # /metrics answers only a scraper with this bearer token; unset, it is a 404
        "METRICS_TOKEN": _env("METRICS_TOKEN") or None,
        # rate limits (louise/ratelimit.py, docs/operations.md "Rate limits")
        "RATELIMIT_ENABLED": _env_bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": _env("RATELIMIT_STORAGE_URL", "memory://"),
        "RATELIMIT_STRATEGY": _env("RATELIMIT_STRATEGY", "moving-window"),
        "RATELIMIT_KEY_PREFIX": _env("RATELIMIT_KEY_PREFIX", "louise"),
        "RATELIMIT_LOGIN_ACCOUNT": _env("RATELIMIT_LOGIN_ACCOUNT", "10/minute;50/hour"),
        "RATELIMIT_LOGIN_IP": _env("RATELIMIT_LOGIN_IP", "30/minute"),
        "RATELIMIT_REGISTER_IP": _env("RATELIMIT_REGISTER_IP", "10/hour"),
        "RATELIMIT_BOOKING_CREATE": _env("RATELIMIT_BOOKING_CREATE", "30/minute"),
        # security headers, proxies, CORS (louise/security.py)
        "PROXY_COUNT": _env_int("PROXY_COUNT", 0),
        "HSTS": _env_bool("HSTS", False),
        "HSTS_MAX_AGE": _env_int("HSTS_MAX_AGE", 31536000),
        "CORS_ORIGINS": _env_list("CORS_ORIGINS"),
        # the web app's login cookie (louise/pages/login.py): Secure in production, where
        # louise runs behind TLS; days until a signed-in browser must log in again
        "SESSION_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", env_name == "production"),
        "SESSION_LIFETIME": timedelta(days=_env_int("SESSION_DAYS", 14)),
    }
    cfg.update(overrides)
    if cfg["LOG_FORMAT"] not in ("json", "text"):
        raise ConfigError(f"{ENV_PREFIX}LOG_FORMAT must be json or text, got {cfg['LOG_FORMAT']!r}")
    if cfg["LOG_LEVEL"] not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(
            f"{ENV_PREFIX}LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, "
            f"got {cfg['LOG_LEVEL']!r}"
        )
    cfg["SQLALCHEMY_DATABASE_URI"] = cfg["DATABASE_URL"]
    secret = cfg.get("SECRET_KEY")
    if not secret:
        if env_name == "production":
            raise ConfigError(
                "LOUISE_SECRET_KEY is required in production (at least "
                f"{MIN_SECRET_LENGTH} characters); there is no default secret."
            )
        secret = secrets.token_urlsafe(48)
    if env_name == "production" and len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"LOUISE_SECRET_KEY is too short: use at least {MIN_SECRET_LENGTH} random characters."
        )
    cfg["SECRET_KEY"] = secret
    cfg.setdefault("JWT_SECRET_KEY", secret)
    return cfg


def config_for_tests(database_url: str) -> dict[str, Any]:
    """Configuration used by the test suite: fast password hashing is NOT used (real argon2id)."""
    return {
        "LOUISE_ENV": "testing",
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-" + "x" * 40,
        "PLANNING_INLINE": True,
        "PLANNING_TIME_LIMIT": 1.0,
        "IMPACT_TIME_LIMIT": 1.0,
        # off for the suite; tests/security builds apps with limits on (other tests log in often)
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        # every test reads what it just wrote (tests/bookings/test_reference_cache.py turns
        # the slots' copies on)
        "REFERENCE_CACHE_SECONDS": 0.0,
    }
