"""Flask commands: migrate the database, seed demo data, send notifications, queue pickup
reminders.

Commands are thin: they read the app's configuration and session and call services. This
module imports neither the ``louise`` package itself nor any ``*.api`` module.
"""

from __future__ import annotations

import time as time_module
from datetime import date, datetime, timedelta
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


@click.command("send-notifications")
@click.option("--batch", default=100, show_default=True, help="At most this many per run.")
@click.option(
    "--max-attempts",
    default=5,
    show_default=True,
    help="Give a message up after this many failed attempts.",
)
@click.option(
    "--every",
    type=float,
    default=None,
    help="Run as a worker: repeat every this many seconds until interrupted.",
)
@with_appcontext
def send_notifications_command(batch: int, max_attempts: int, every: float | None) -> None:
    """Deliver the notification outbox (LOUISE_MAIL_DIR: into a folder; else LOUISE_SMTP_HOST)."""
    from louise.bookings.sender import SenderConfigError, send_pending, transport_from_config
    from louise.clock import now
    from louise.extensions import db

    config = current_app.config
    failed = 0
    while True:
        try:
            transport = transport_from_config(config)
        except SenderConfigError as exc:
            raise click.ClickException(str(exc)) from None
        report = send_pending(
            db.session(),
            transport,
            now(),
            batch=batch,
            max_attempts=max_attempts,
            mail_from=config.get("MAIL_FROM") or "LOUISE Bottrop <noreply@louise.invalid>",
        )
        failed = report.failed
        where = (
            config.get("MAIL_DIR") or f"smtp://{config.get('SMTP_HOST')}:{config.get('SMTP_PORT')}"
        )
        click.echo(
            f"notifications: {report.sent} sent, {report.failed} failed, "
            f"{report.skipped} without e-mail address (to {where})"
        )
        for message_id, error in report.errors:
            click.echo(f"  failed #{message_id}: {error}", err=True)
        for item in report.not_sendable:
            click.echo(
                f"  call {item.name or 'customer'} at {item.phone or 'unknown number'}: "
                f"{item.template} (booking {item.booking_id}, message #{item.message_id})"
            )
        if every is None:
            break
        db.session.remove()
        time_module.sleep(every)
    if failed:
        raise SystemExit(1)


@click.command("remind-pickups")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Day of the pickups (YYYY-MM-DD); default: tomorrow (Europe/Berlin).",
)
@with_appcontext
def remind_pickups_command(day: datetime | None) -> None:
    """Queue 'pickup tomorrow' messages for the items collected at residents' doors on a day."""
    from louise.bookings.policy import BERLIN
    from louise.bookings.sender import queue_pickup_reminders
    from louise.clock import now
    from louise.extensions import db

    moment = now()
    pickup_day: date = (
        day.date() if day is not None else moment.astimezone(BERLIN).date() + timedelta(days=1)
    )
    queued = queue_pickup_reminders(db.session(), pickup_day, moment)
    click.echo(f"pickup reminders for {pickup_day.isoformat()}: {queued} queued")


def register_cli(app: Flask) -> None:
    app.cli.add_command(migrate_command)
    app.cli.add_command(send_notifications_command)
    app.cli.add_command(remind_pickups_command)
    try:
        from louise.seed import seed_command
    except ModuleNotFoundError as exc:
        if exc.name != "louise.seed":
            raise
    else:
        app.cli.add_command(seed_command)
