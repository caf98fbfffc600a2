"""A fresh, migrated database for a test run, a server or the fuzzer: a SQLite file, or a new
schema in the PostgreSQL named by ``LOUISE_TEST_DATABASE_URL`` (dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

PG_URL_ENV = "LOUISE_TEST_DATABASE_URL"


def postgres_base_url() -> str | None:
    url = os.environ.get(PG_URL_ENV, "")
    return url if url.startswith("postgresql") else None


def with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def fresh_database(tmp_dir: Path, name: str = "louise") -> Iterator[str]:
    """A migrated, empty database of the run's kind. The run asked for PostgreSQL: not
    reaching it is an error, never a skip."""
    from louise.cli import migrate_database

    pg = postgres_base_url()
    if pg is None:
        url = f"sqlite:///{tmp_dir / f'{name}.sqlite3'}"
        migrate_database(url)
        yield url
        return
    schema = f"{name}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        raise RuntimeError(f"PostgreSQL at {PG_URL_ENV} is not reachable: {exc}") from exc
    try:
        url = with_search_path(pg, schema)
        migrate_database(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
