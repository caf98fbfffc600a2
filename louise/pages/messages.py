"""Texts that pages show but do not write themselves: the API schemas' and the services'
messages. Listing them here puts them into the translation catalogue (``make translations``),
so a German page shows them in German; a message missing here is shown as the service wrote
it (English). Pages translate them with ``gettext`` when they render (louise/pages/forms.py).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SCHEMA_MESSAGES = (
    _l("Missing data for required field."),
    _l("Not a valid email address."),
    _l("Length must be between 10 and 200."),
    _l("Length must be between 1 and 200."),
    _l("Longer than maximum length 40."),
    _l("Not a valid integer."),
    _l("Not a valid date."),
    _l("Not a valid time."),
    _l("Field may not be null."),
)

ACCOUNT_MESSAGES = (
    _l("Wrong e-mail or password."),
    _l("This account waits for an admin's approval."),
    _l("This account is disabled."),
    _l("An account with this e-mail exists already."),
    _l("Already registered."),
    _l("At least 10 characters."),
    _l("Password must have at least 10 characters."),
    _l("The current password is wrong."),
    _l("Wrong password."),
)

#: what the booking services say beside a window or a day (rescheduling, booking)
BOOKING_MESSAGES = (
    _l("Fully booked."),
    _l("No vehicle serves this window here."),
    _l("The Point is closed then."),
    _l("This window is in the past."),
    _l("No service on Sundays and public holidays."),
    _l("This window can no longer be booked (past the cut-off)."),
)
