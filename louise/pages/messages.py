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

SHOP_MESSAGES = (
    _l("picked up by the courier, on the way to the shop"),
    _l("Only services are marked ready."),
    _l(
        "Only bookings not yet under way can be rejected; mark a received item ready "
        "to send it back."
    ),
    _l("No window with free capacity for the return within the horizon."),
    _l("A product delivery starts at the shop; there is nothing to receive."),
    _l("Only the shop's owner or an admin may change this shop or its offers."),
    _l("Length must be between 1 and 300."),
    _l("Longer than maximum length 200."),
    _l("Not a valid number."),
    _l("Must be greater than 0 and less than or equal to 1000."),
    _l("Must be greater than 0 and less than or equal to 500."),
    _l("Must be greater than or equal to 1 and less than or equal to 60."),
    _l("Must be greater than or equal to 1 and less than or equal to 10000."),
    _l("Required when parcel_size is custom."),
    _l("Required for a service (days until it comes back)."),
    _l("Only a service has a turnaround."),
    _l("Only a service has a daily capacity."),
    _l("Must be after opens."),
    _l("Not a valid time; use HH:MM, e.g. 09:30."),
    _l("A closed day has no opening intervals."),
    _l("Give the special opening intervals, or set closed to true."),
    _l("An exception for this date exists already."),
    _l("A month as YYYY-MM, e.g. 2026-11."),
    _l("Enter the price in euros, for example 12,50."),
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

#: what the booking flow (louise/pages/book.py) may show beside its fields
BOOKING_FLOW_MESSAGES = (
    _l("No free place."),
    _l("Too many open bookings on this day."),
    _l("The shop's daily capacity is reached."),
    _l("Closed in that window."),
    _l("Offer is inactive."),
    _l("Unknown offer."),
    _l("Outside the service area."),
    _l("Unknown address."),
    _l("Only 'door' for collections."),
    _l("Give a street or lat/lon."),
    _l("The house number must start with a digit, e.g. 12a."),
    _l("Give a street (or place name), or the coordinates lat and lon."),
    _l("A Point or locker delivery needs point_id."),
    _l("Give an address or an address_id."),
    _l("Give either address or address_id."),
    _l("Must be one of: door, point, locker."),
)

#: what the hotline (louise/pages/hotline.py) may show beside its fields
HOTLINE_MESSAGES = (
    _l("Unknown customer."),
    _l("Choose an offer."),
    _l("Length must be between 3 and 40."),
    _l("Not a phone number: use digits, spaces, / - . ( ) and a leading +."),
    _l("Give either an e-mail address or a phone number."),
)

#: what the fleet's services and schemas say beside a shift's, a vehicle's or a capacity's
#: field (louise/pages/fleet.py; a shift there has one break: "Break 1")
FLEET_MESSAGES = (
    _l("The shift must end after it starts."),
    _l("Break 1 must end after it starts."),
    _l("Break 1 must lie inside the shift."),
    _l("Break 1: duration_s must be positive and fit its span."),
    _l("Break 1: needs start, end and duration_s."),
    _l("Not an active courier account."),
    _l("No such vehicle."),
    _l("The vehicle is not active."),
    _l("Capacity must be greater than 0."),
    _l("Speed must be greater than 0."),
    _l("A district is listed twice."),
    _l("Already taken."),
    _l("Must be greater than 0."),
    _l("Not a valid number."),
    _l("Not a valid boolean."),
    _l("Must be one of: bike, car."),
    _l("Length must be between 1 and 100."),
    _l("Must be greater than or equal to 0 and less than or equal to 100000."),
    _l("Must be greater than or equal to 1 and less than or equal to 86400."),
    _l("Unknown window."),
)

#: what the courier services say beside a stop's proof or reason
COURIER_MESSAGES = (
    _l(
        "Completing a pickup or delivery needs a proof: a photo or signature, the booking "
        "code, or the PIN at a Point or locker."
    ),
    _l("A PIN proves a handover at a LOUISE Point or locker only."),
    _l("The PIN does not match."),
    _l("The booking code does not match this stop."),
    _l("Does not match."),
    _l("Six digits."),
    _l("This parcel was not picked up: complete its pickup stop first."),
    _l("This parcel was not picked up: its pickup stop is still open."),
    _l("Only couriers record stops."),
)
