"""Flask commands: migrate the database, seed demo data, send notifications, queue pickup
reminders, plan a day, build and rebuild the impact ledger, write the monthly impact report.

Commands are thin: they read the app's configuration and session and call services. This
module imports neither the ``louise`` package itself nor any ``*.api`` module.
"""

from __future__ import annotations

import time as time_module
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

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
    """Deliver the notification outbox (LOUISE_MAIL_DIR: into a folder; else LOUISE_SMTP_HOST;
    SMS into LOUISE_SMS_DIR, else not sent)."""
    from louise.bookings.sender import (
        SenderConfigError,
        send_pending,
        sms_transport_from_config,
        transport_from_config,
    )
    from louise.clock import now
    from louise.extensions import db

    config = current_app.config
    try:
        transport = transport_from_config(config)
    except SenderConfigError as exc:
        raise click.ClickException(str(exc)) from None
    sms = sms_transport_from_config(config)
    where = config.get("MAIL_DIR") or f"smtp://{config.get('SMTP_HOST')}:{config.get('SMTP_PORT')}"
    sms_where = config.get("SMS_DIR") or "no gateway, not sent (LOUISE_SMS_DIR unset)"
    mail_from = config.get("MAIL_FROM") or "LOUISE Bottrop <noreply@louise.invalid>"

    def one_run() -> int:
        report = send_pending(
            db.session(),
            transport,
            now(),
            batch=batch,
            max_attempts=max_attempts,
            mail_from=mail_from,
            public_url=config.get("PUBLIC_URL"),
            sms=sms,
        )
        if every is None or report.sent or report.failed or report.skipped:
            click.echo(
                f"notifications: {report.sent} sent, {report.failed} failed, "
                f"{report.skipped} not sendable (to {where}); SMS: {sms_where}"
            )
        for message_id, error in report.errors:
            click.echo(f"  failed #{message_id}: {error}", err=True)
        for item in report.not_sendable:
            click.echo(
                f"  call {item.name or 'customer'} at {item.phone or 'unknown number'}: "
                f"{item.template} (booking {item.booking_id}, message #{item.message_id}; "
                f"{item.reason})"
            )
        return report.failed

    if every is None:
        if one_run():
            raise SystemExit(1)
        return
    # A worker (the demo runs one beside the server): a round that fails (e.g. the database
    # busy for longer than its timeout) is reported and the next round tries again.
    click.echo(
        f"sending the outbox every {every:g} s (to {where}; SMS: {sms_where}); stop with Ctrl-C"
    )
    try:
        while True:
            try:
                one_run()
            except Exception as exc:  # keep the worker alive; the message stays queued
                click.echo(f"notifications: this round failed, retrying: {exc}", err=True)
                db.session.rollback()
            db.session.remove()
            time_module.sleep(every)
    except KeyboardInterrupt:
        click.echo("sender stopped")


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


def next_wave_day(config: Mapping[str, Any], now: datetime) -> date:
    """The day whose deliveries go out next: today until the evening wave starts (so a run at
    the 14:00 cut-off plans today's evening wave), else the next service day."""
    from louise.bookings.runtime import policy_from_config

    policy = policy_from_config(config)
    local = policy.local(now)
    today = local.date()
    if policy.is_service_day(today) and local.time() < policy.window("evening").start:
        return today
    return policy.next_service_day(today, include=False)


@click.command("plan-day")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Day to plan (YYYY-MM-DD); default: the next wave (today before 17:30, else the "
    "next service day).",
)
@click.option("--time-limit", type=float, default=None, help="Solver seconds (default: config).")
@click.option("--publish", is_flag=True, help="Publish the draft: lock legs, tell residents.")
@click.option(
    "--as",
    "publisher",
    default=None,
    help="E-mail of the dispatcher or admin who publishes (default: the first active one).",
)
@click.option(
    "--sheets",
    "sheets_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write every route sheet (HTML and PDF) of the plan into this folder.",
)
@with_appcontext
def plan_day_command(
    day: datetime | None,
    time_limit: float | None,
    publish: bool,
    publisher: str | None,
    sheets_dir: Path | None,
) -> None:
    """Plan a day now, in this process (run it from cron or a systemd timer at the cut-off)."""
    from dataclasses import replace

    from louise.clock import now
    from louise.dispatch import service
    from louise.dispatch.models import PlanStatus
    from louise.dispatch.runtime import planning_settings
    from louise.errors import DomainError
    from louise.extensions import db

    config = current_app.config
    session = db.session()
    plan_date = day.date() if day is not None else next_wave_day(config, now())
    settings = planning_settings(config)
    if time_limit is not None:
        settings = replace(settings, time_limit=time_limit)
    try:
        plan = service.request_plan(session, None, plan_date, now())
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    started = time_module.monotonic()
    try:
        plan = service.run_plan(session, plan.id, settings, now)
    except Exception as exc:
        raise click.ClickException(f"plan {plan.id} for {plan_date} failed: {exc}") from None
    seconds = time_module.monotonic() - started
    stops = sum(1 for route in plan.routes for stop in route.stops if stop.leg_id is not None)
    click.echo(
        f"plan {plan.id} for {plan_date.isoformat()} (version {plan.version}): "
        f"{plan.status.value}, {len(plan.routes)} routes, {stops} leg stops, "
        f"{len(plan.unassigned)} legs unassigned, validator {plan.stats.get('validator', '-')}, "
        f"{seconds:.1f} s"
    )
    for item in plan.unassigned:
        click.echo(f"  unassigned leg {item.leg_id}: {item.reason}")
    if publish:
        actor = _staff_account(session, publisher)
        plan = service.publish_plan(session, actor, plan.id, now())
        click.echo(f"plan {plan.id} published by {actor.email}")
    if sheets_dir is not None:
        _write_sheets(session, plan, sheets_dir)
    if plan.status not in (PlanStatus.DRAFT, PlanStatus.PUBLISHED):
        raise SystemExit(1)


def _staff_account(session: Any, email: str | None) -> Any:
    from sqlalchemy import select

    from louise.auth.models import STAFF, AccountStatus, User

    query = select(User).where(User.status == AccountStatus.ACTIVE, User.role.in_(STAFF))
    if email is not None:
        query = query.where(User.email == email.strip().lower())
    user = session.scalars(query.order_by(User.role.desc(), User.id).limit(1)).first()
    if user is None:
        raise click.ClickException(
            f"no active dispatcher or admin {email or ''} to publish the plan".replace("  ", " ")
        )
    return user


def _write_sheets(session: Any, plan: Any, folder: Path) -> None:
    from louise.dispatch.sheets import write_plan_sheets

    folder.mkdir(parents=True, exist_ok=True)
    written = write_plan_sheets(session, plan, folder, lang="de")
    click.echo(f"route sheets: {len(written)} files (HTML and PDF) in {folder.resolve()}")


def _day_option(name: str, help_text: str) -> Any:
    return click.option(
        name, type=click.DateTime(formats=["%Y-%m-%d"]), required=True, help=help_text
    )


def _echo_built(built: Any) -> None:
    click.echo(
        f"impact {built.day.isoformat()} (ledger version {built.ledger_version}, factors "
        f"version {built.factor_set_version}, plan {built.plan_id}): {built.legs} legs, "
        f"bike {built.bike_m / 1000:.2f} km, e-car {built.ecar_m / 1000:.2f} km, "
        f"van {built.van_m / 1000:.2f} km with {built.vans} van{'' if built.vans == 1 else 's'}"
    )


@click.command("impact-build")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Day to build (YYYY-MM-DD); default: yesterday (Europe/Berlin).",
)
@with_appcontext
def impact_build_command(day: datetime | None) -> None:
    """Write the impact ledger of a day with a published plan (once; later: impact-rebuild)."""
    from louise.clock import now
    from louise.errors import DomainError
    from louise.extensions import db
    from louise.impact.ledger import build_ledger
    from louise.impact.runtime import impact_settings
    from louise.localtime import BUSINESS_TZ

    built_day = (
        day.date() if day is not None else now().astimezone(BUSINESS_TZ).date() - timedelta(days=1)
    )
    try:
        built = build_ledger(db.session(), built_day, impact_settings(current_app.config))
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    _echo_built(built)


@click.command("impact-rebuild")
@_day_option("--from", "First day (YYYY-MM-DD).")
@_day_option("--to", "Last day (YYYY-MM-DD), inclusive.")
@with_appcontext
def impact_rebuild_command(**days: datetime) -> None:
    """Write a new impact ledger version for every planned day of a range (old rows stay)."""
    from louise.errors import DomainError
    from louise.extensions import db
    from louise.impact.ledger import rebuild
    from louise.impact.runtime import impact_settings

    first, last = days["from"].date(), days["to"].date()
    if last < first:
        raise click.BadParameter("--to is before --from", param_hint="--to")
    try:
        built = rebuild(db.session(), first, last, impact_settings(current_app.config))
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    for item in built:
        _echo_built(item)
    click.echo(f"{len(built)} day(s) rebuilt from {first.isoformat()} to {last.isoformat()}")


@click.command("impact-report")
@click.option(
    "--month",
    "month",
    type=click.DateTime(formats=["%Y-%m"]),
    required=True,
    help="The month (YYYY-MM).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="Where to write the PDF.",
)
@click.option(
    "--lang",
    type=click.Choice(["de", "en"]),
    default="de",
    show_default=True,
    help="Language of the report.",
)
@with_appcontext
def impact_report_command(month: datetime, out: Path, lang: str) -> None:
    """Write the city's monthly impact report as a PDF (figures, charts, districts, method)."""
    from louise.clock import now
    from louise.extensions import db
    from louise.impact.report import build_report, render_report
    from louise.localtime import BUSINESS_TZ

    report = build_report(db.session(), month.year, month.month, lang)
    pdf = render_report(report, now().astimezone(BUSINESS_TZ).date())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    f = report.total.figures
    summary = (
        "figures withheld (fewer than 5 bookings)"
        if report.total.suppressed
        else f"{f.deliveries} deliveries, bike {f.bike_km} km, van km avoided "
        f"{f.van_km_avoided}, CO2e avoided {f.co2e_avoided_kg} kg"
    )
    click.echo(f"impact report {month:%Y-%m} ({lang}): {summary} -> {out.resolve()}")


def register_cli(app: Flask) -> None:
    app.cli.add_command(migrate_command)
    app.cli.add_command(send_notifications_command)
    app.cli.add_command(remind_pickups_command)
    app.cli.add_command(plan_day_command)
    app.cli.add_command(impact_build_command)
    app.cli.add_command(impact_rebuild_command)
    app.cli.add_command(impact_report_command)
    try:
        from louise.demo.command import seed_command
    except ModuleNotFoundError as exc:
        if exc.name not in ("louise.demo", "louise.demo.command"):
            raise
    else:
        app.cli.add_command(seed_command)
