"""``flask seed``: load the demo and say what is in it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from louise.bookings.runtime import policy_from_config
from louise.demo.data import (
    DEMO_PASSWORD,
    DemoDataPresent,
    DemoDayNotBookable,
    DemoSummary,
    Login,
)
from louise.demo.seed import (
    demo_context,
    demo_day,
    reset_demo_data,
    seed_demo,
)

# --- the command ------------------------------------------------------------------------------


def format_summary(summary: DemoSummary) -> str:
    lines = [
        f"Bottrop demo loaded for {summary.service_day:%A %d.%m.%Y}:",
        f"  {summary.merchants} shops, {summary.offers} offers, {summary.points} LOUISE Points, "
        f"{summary.lockers} lockers, {summary.districts} districts",
        f"  {summary.vehicles} vehicles, {summary.shifts} shifts, {summary.residents} residents",
        f"  {summary.bookings} bookings ({summary.hotline_bookings} by the hotline), "
        f"{summary.reminders} pickup reminders queued",
    ]
    for item in summary.skipped:
        lines.append(f"  NOT booked: {item}")
    history = summary.history
    if history is not None and history.days:
        n = len(history.days)
        lines += [
            f"History: {n} service day{'s' if n != 1 else ''} from {history.days[0]:%d.%m.%Y} to "
            f"{history.days[-1]:%d.%m.%Y}, planned, published, worked and in the impact ledger "
            f"({history.seconds:.0f} s):",
            f"  {history.bookings} bookings ({history.not_booked} not bookable), "
            f"{history.returns_scheduled} returns of repairs, "
            f"{history.stops_completed} stops completed, {history.stops_failed} failed, "
            f"{history.unassigned} legs left unassigned",
        ]
    lines += ["", f"Demo logins (password for every account: {DEMO_PASSWORD}):"]
    width = max(len(login.email) for login in summary.logins)
    for login in summary.logins:
        note = f"  {login.note}" if login.note else ""
        lines.append(f"  {login.role:<10} {login.email:<{width}}  {login.name}{note}")
    return "\n".join(lines)


@click.command("seed")
@click.option("--reset", is_flag=True, help="Delete all data first, then load the demo.")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Book and staff this day (YYYY-MM-DD, from tomorrow up to the booking horizon); "
    "default: the next service day.",
)
@click.option(
    "--day-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the demo day (YYYY-MM-DD) into this file, for scripts (plan-day).",
)
@click.option(
    "--month-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the month of the history's last day (YYYY-MM) into this file, for the "
    "month's impact report; nothing is written without history.",
)
@click.option(
    "--history-days",
    type=click.IntRange(0, 62),
    default=28,
    show_default=True,
    help="Also book, plan, work and put in the impact ledger the service days of this many "
    "calendar days before today (0: none).",
)
@with_appcontext
def seed_command(
    reset: bool,
    day: datetime | None,
    day_file: Path | None,
    month_file: Path | None,
    history_days: int,
) -> None:
    """Load the Bottrop demo data (shops, offers, Points, fleet, residents, bookings)."""
    from louise.clock import now
    from louise.extensions import db

    session = db.session()
    moment = now()
    chosen = day.date() if day is not None else None
    try:
        # refuse a bad day before --reset deletes anything
        demo_day(policy_from_config(current_app.config), moment, chosen)
    except DemoDayNotBookable as exc:
        raise click.ClickException(f"--date {exc}") from None
    if reset:
        reset_demo_data(session)
    try:
        summary = seed_demo(session, current_app.config, moment, chosen, history_days)
    except DemoDataPresent as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(format_summary(summary))
    if day_file is not None:
        day_file.write_text(summary.service_day.isoformat() + "\n")
    if month_file is not None and summary.history is not None and summary.history.days:
        month_file.write_text(f"{summary.history.days[-1]:%Y-%m}\n")


__all__ = [
    "DEMO_PASSWORD",
    "DemoDataPresent",
    "DemoDayNotBookable",
    "DemoSummary",
    "Login",
    "demo_context",
    "demo_day",
    "format_summary",
    "reset_demo_data",
    "seed_command",
    "seed_demo",
]
