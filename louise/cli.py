"""Flask commands: migrate the database, seed demo data, geocode check."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


def migrate_database(url: str) -> None:
    """Bring the schema at ``url`` to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    root = Path(__file__).resolve().parent.parent
    cfg = Config(str(root / "alembic.ini"))
    cfg.set_main_option("script_location", str(root / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "head")


@click.command("migrate")
@with_appcontext
def migrate_command() -> None:
    """Apply all Alembic migrations to the configured database."""
    migrate_database(current_app.config["SQLALCHEMY_DATABASE_URI"])
    click.echo("database migrated")


def register_cli(app: Flask) -> None:
    app.cli.add_command(migrate_command)
    try:
        from louise.seed import seed_command
    except ModuleNotFoundError as exc:
        if exc.name != "louise.seed":
            raise
    else:
        app.cli.add_command(seed_command)
