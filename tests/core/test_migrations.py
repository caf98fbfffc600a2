"""The schema comes from Alembic only: migrating a fresh database gives exactly the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from louise.models import load_all


def test_migrations_match_the_models(database_url):
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            diff = compare_metadata(context, load_all().metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
