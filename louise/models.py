"""Imports every models module, so that ``Base.metadata`` knows all tables (Alembic, tests)."""

from __future__ import annotations

import importlib

from louise.db import Base

MODEL_MODULES = (
    "louise.auth.models",
    "louise.geo.models",
    "louise.merchants.models",
    "louise.fleet.models",
    "louise.bookings.models",
    "louise.dispatch.models",
    "louise.privacy.models",
    "louise.impact.models",
    "louise.reference_version",
)


def load_all() -> type[Base]:
    for name in MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real import error inside the module
                raise
    return Base
