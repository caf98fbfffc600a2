"""Migration 0007_city_role on SQLite: the users table is rebuilt without cascading into the
rows that point at it, admits the city role, and the downgrade takes it back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-23 09:00:00"


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def add_user(db: sqlite3.Connection, user_id: int, role: str) -> None:
    db.execute(
        "INSERT INTO users (id, email, role, status, name, locale, created_at, updated_at) "
        "VALUES (?, ?, ?, 'active', 'X', 'de', ?, ?)",
        (user_id, f"u{user_id}@example.test", role, NOW, NOW),
    )
    db.commit()


def test_the_city_role_migration_keeps_the_rows_pointing_at_users(tmp_path):
    path = tmp_path / "louise.sqlite3"
    cfg = alembic_config(f"sqlite:///{path}")
    command.upgrade(cfg, "0006_impact_ledger")
    db = sqlite3.connect(path)
    add_user(db, 1, "admin")
    db.execute(
        "INSERT INTO revoked_tokens (jti, token_type, user_id, revoked_at) "
        "VALUES ('jti-1', 'access', 1, ?)",
        (NOW,),
    )
    db.commit()
    with pytest.raises(sqlite3.IntegrityError):
        add_user(db, 2, "city")
    db.close()

    command.upgrade(cfg, "0007_city_role")

    db = sqlite3.connect(path)
    # ON DELETE CASCADE did not fire while users was rebuilt
    assert db.execute("SELECT count(*) FROM revoked_tokens").fetchone() == (1,)
    add_user(db, 2, "city")
    with pytest.raises(sqlite3.IntegrityError):
        add_user(db, 3, "mayor")
    db.execute("PRAGMA foreign_keys=ON")
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    db.close()

    with pytest.raises(RuntimeError, match="1 city account"):
        command.downgrade(cfg, "0006_impact_ledger")
    db = sqlite3.connect(path)
    db.execute("DELETE FROM users WHERE role = 'city'")
    db.commit()
    db.close()
    command.downgrade(cfg, "0006_impact_ledger")
    db = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError):
        add_user(db, 2, "city")
    assert db.execute("SELECT count(*) FROM revoked_tokens").fetchone() == (1,)
    db.close()
