"""Migration 0005 gives the offers that exist already their DIN 5007 order key."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from louise.collation import sort_string

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-30 12:00:00"
TITLES = ["Ölwechsel", "Neue Absätze", "Maße nehmen"]


def _alembic(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def test_existing_offers_get_their_sort_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'before-0005.sqlite3'}"
    command.upgrade(_alembic(url), "0004_privacy_erasures")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, role, status, name, locale, created_at, updated_at)"
                    " VALUES (1, 'merchant', 'active', 'Shop owner', 'de', :t, :t)"
                ),
                {"t": NOW},
            )
            conn.execute(
                text(
                    "INSERT INTO addresses (id, normalized_key, lat, lon, label, source,"
                    " precision, created_at) VALUES (1, 'k', 51.52, 6.93, 'Altmarkt 1',"
                    " 'client', 'client', :t)"
                ),
                {"t": NOW},
            )
            conn.execute(
                text(
                    "INSERT INTO merchants (id, owner_id, name, slug, category, description,"
                    " address_id, lat, lon, active, created_at, updated_at) VALUES (1, 1,"
                    " 'Schuster', 'schuster', 'cobbler', '', 1, 51.52, 6.93, 1, :t, :t)"
                ),
                {"t": NOW},
            )
            for n, title in enumerate(TITLES, start=1):
                conn.execute(
                    text(
                        "INSERT INTO offers (id, merchant_id, kind, title, description,"
                        " price_cents, parcel_size, volume_l, weight_kg, active, created_at,"
                        " updated_at) VALUES (:id, 1, 'product', :title, '', 100, 'S', 12, 4,"
                        " 1, :t, :t)"
                    ),
                    {"id": n, "title": title, "t": NOW},
                )

        command.upgrade(_alembic(url), "head")

        with engine.connect() as conn:
            keys = dict(conn.execute(text("SELECT title, title_sort FROM offers")).all())
            ordered = conn.execute(text("SELECT title FROM offers ORDER BY title_sort")).all()
    finally:
        engine.dispose()
    assert keys == {title: sort_string(title) for title in TITLES}
    assert [row.title for row in ordered] == ["Maße nehmen", "Neue Absätze", "Ölwechsel"]
