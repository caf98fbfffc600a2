"""The backup procedure of docs/operations.md, run for real: ``pg_dump -Fc`` of a database the
API wrote, ``pg_restore`` into a fresh one, and the app working against the copy.

PostgreSQL only (the SQLite pass skips it with the reason); it creates and drops two databases
of its own on the test server.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, make_url, text

from louise import create_app
from louise.auth import passwords
from louise.auth.models import Role, User
from louise.cli import migrate_database
from louise.config import config_for_tests
from louise.extensions import db

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "restore me correctly 42"


def pg_tool(name: str) -> str:
    """``pg_dump``/``pg_restore``: the newest under /usr/lib/postgresql/*/bin, else on PATH
    (Debian's PATH wrapper may pick an older major version than the server)."""
    candidates = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    candidates.sort(key=lambda p: int(Path(p).parent.parent.name.split(".")[0]))
    found = candidates[-1] if candidates else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} not found (install postgresql-client)", pytrace=False)
    return found


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL as the connection string pg_dump and pg_restore take."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture()
def two_databases() -> Iterator[tuple[str, str]]:
    base = os.environ["LOUISE_TEST_DATABASE_URL"]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    names = [f"louise_backup_{uuid.uuid4().hex[:10]}", f"louise_restore_{uuid.uuid4().hex[:10]}"]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        urls = [make_url(base).set(database=n).render_as_string(hide_password=False) for n in names]
        yield urls[0], urls[1]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def table_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = inspect(conn).get_table_names()
            return {
                name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
                for name in names
            }
    finally:
        engine.dispose()


def emails(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.scalars(text("SELECT email FROM users ORDER BY id")))
    finally:
        engine.dispose()


def max_user_id(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(text("SELECT max(id) FROM users")))
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return ScriptDirectory.from_config(cfg).get_current_head()


def login(client, email: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.json
    return {"Authorization": f"Bearer {r.json['access_token']}"}


def test_pg_dump_and_pg_restore_round_trip(two_databases, tmp_path):
    source, restored = two_databases
    migrate_database(source)

    # data written the way the service writes it: an admin, then everything through the API
    app = create_app(config_for_tests(source))
    with app.app_context():
        session = db.session()
        session.add(
            User(
                email="admin@backup.test",
                password_hash=passwords.hash_password(PASSWORD),
                role=Role.ADMIN,
                name="Admin",
            )
        )
        session.commit()
    client = app.test_client()
    for n in range(3):
        r = client.post(
            "/api/v1/auth/register",
            json={"email": f"resident{n}@backup.test", "password": PASSWORD, "name": f"Bürger {n}"},
        )
        assert r.status_code == 201, r.json
    admin = login(client, "admin@backup.test")
    r = client.post(
        "/api/v1/users",
        json={
            "email": "courier@backup.test",
            "password": PASSWORD,
            "name": "Kurierin",
            "role": "courier",
        },
        headers=admin,
    )
    assert r.status_code == 201, r.json
    resident = login(client, "resident1@backup.test")
    assert client.post("/api/v1/auth/logout", headers=resident).status_code in (200, 204)
    db.engine_for(app).dispose()
    before = table_counts(source)
    assert before["users"] == 5 and before["revoked_tokens"] >= 1
    before_max_id = max_user_id(source)

    # the procedure of docs/operations.md
    dump = tmp_path / "louise.dump"
    subprocess.run(
        [pg_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(dump), libpq_url(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert dump.stat().st_size > 0
    subprocess.run(
        [
            pg_tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "-d",
            libpq_url(restored),
            str(dump),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )

    assert table_counts(restored) == before
    assert emails(restored) == emails(source)
    assert current_revision(restored) == head_revision() is not None

    # the app runs on the copy: old accounts log in, new rows get fresh ids (sequences restored)
    copy = create_app(config_for_tests(restored))
    client = copy.test_client()
    assert client.get("/readyz").status_code == 200
    me = client.get("/api/v1/me", headers=login(client, "resident2@backup.test"))
    assert me.status_code == 200 and me.json["email"] == "resident2@backup.test"
    r = client.post(
        "/api/v1/auth/register",
        json={"email": "after@backup.test", "password": PASSWORD, "name": "Neu"},
    )
    assert r.status_code == 201, r.json
    assert r.json["id"] > before_max_id
    db.engine_for(copy).dispose()
