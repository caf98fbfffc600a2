"""The hotline's customers: finding a caller who is known already, and their saved addresses.

Rules:
- only dispatchers and admins look customers up;
- names are found folded (case, accents, ``ß``/``ss`` and umlauts written out aside) and
  listed in German dictionary order, the catalogue's rules (``louise.collation``), the same
  on every database;
- phone numbers are compared as digits in the national form: spaces, ``/``, ``-``, ``.``
  and brackets do not count, and ``+49`` or ``0049`` is the same as a leading ``0``;
- a hotline booking naming a caller by name and phone reuses the customer with the same
  number and the same name (case and spacing aside); another name on the same line is
  another person;
- a customer's saved addresses are those of their bookings, the most recently used first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from louise.auth.models import STAFF, Role, User
from louise.bookings.models import Booking
from louise.collation import matches, sort_key
from louise.errors import Forbidden
from louise.geo.models import Address

_NOISE = (" ", "/", "-", ".", "(", ")")
MIN_PHONE_DIGITS = 4


def national_digits(phone: str | None) -> str:
    """``"+49 (2041) 12 34-56"`` → ``"02041123456"``; no digits → ``""``."""
    if not phone:
        return ""
    text = phone.strip()
    digits = re.sub(r"\D", "", text)
    if text.startswith("+49"):
        return "0" + digits[2:]
    if digits.startswith("0049"):
        return "0" + digits[4:]
    return digits


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _phone_column() -> ColumnElement[str]:
    column: ColumnElement[str] = func.coalesce(User.phone, "")
    for noise in _NOISE:
        column = func.replace(column, noise, "")
    return column


def _phone_contains(digits: str) -> ColumnElement[bool]:
    # Without its leading 0 the national number is also the tail of the +49 form.
    return _phone_column().contains(digits.lstrip("0"), autoescape=True)


@dataclass(frozen=True)
class CustomerCard:
    """A customer as the hotline sees them."""

    id: int
    name: str
    phone: str | None
    email: str | None
    locale: str
    has_login: bool
    addresses: list[Address]


def _require_staff(actor: User) -> None:
    if actor.role not in STAFF:
        raise Forbidden("Only the hotline (dispatchers) and admins look customers up.")


def saved_addresses(session: Session, customer_id: int) -> list[Address]:
    """The addresses of a customer's bookings, the most recently used first."""
    last_used = func.max(Booking.id).label("last_used")
    rows = session.execute(
        select(Address, last_used)
        .join(Booking, Booking.address_id == Address.id)
        .where(Booking.customer_id == customer_id)
        .group_by(Address.id)
        .order_by(last_used.desc())
    ).all()
    return [row[0] for row in rows]


def _matches(q: str, digits: str, name: str, phone: str | None) -> bool:
    if matches(q, [name]):
        return True
    # Without its leading 0 the national number is also the tail of the +49 form.
    tail = digits.lstrip("0")
    return len(tail) >= MIN_PHONE_DIGITS and tail in national_digits(phone)


def find_customers(
    session: Session, actor: User, q: str, limit: int, offset: int
) -> tuple[list[CustomerCard], int]:
    """Customers whose name contains ``q`` or whose phone number contains its digits.

    Names are compared folded and ordered by DIN 5007-1 (``louise.collation``, like the
    catalogue), in Python over the customers' names and numbers, so that PostgreSQL and
    SQLite give the same answer (SQLite's ``lower()`` folds only A–Z)."""
    _require_staff(actor)
    digits = national_digits(q)
    rows = session.execute(
        select(User.id, User.name, User.phone).where(User.role == Role.CUSTOMER)
    ).all()
    found = sorted(
        (
            (sort_key(name), user_id)
            for user_id, name, phone in rows
            if _matches(q, digits, name, phone)
        ),
    )
    ids = [user_id for _key, user_id in found[offset : offset + limit]]
    by_id = {user.id: user for user in session.scalars(select(User).where(User.id.in_(ids)))}
    users: list[User] = [by_id[user_id] for user_id in ids]
    return [
        CustomerCard(
            id=user.id,
            name=user.name,
            phone=user.phone,
            email=user.email,
            locale=user.locale,
            has_login=user.password_hash is not None,
            addresses=saved_addresses(session, user.id),
        )
        for user in users
    ], len(found)


def known_caller(session: Session, name: str, phone: str) -> User | None:
    """The customer a repeat caller already is: same number, same name (see the rules)."""
    digits = national_digits(phone)
    if len(digits.lstrip("0")) < MIN_PHONE_DIGITS:
        return None
    candidates = session.scalars(
        select(User).where(User.role == Role.CUSTOMER, _phone_contains(digits)).order_by(User.id)
    ).all()
    key = _name_key(name)
    for user in candidates:
        if national_digits(user.phone) == digits and _name_key(user.name) == key:
            return user
    return None
