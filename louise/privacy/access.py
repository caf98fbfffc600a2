"""Who may export or erase whose data.

Rules:
- everybody may export their own data; a resident (customer) may erase their own account,
  after typing their password again; staff, shop and courier accounts are closed by an admin
  (``PUT /users/{id}/status``), not erased here, because plans, routes and shops refer to them;
- a dispatcher exports and erases for hotline customers only (customers without a login);
- an admin does it for any customer (a resident who lost their password, a written request);
- anything else is not found, so that ids cannot be probed.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from louise.auth.models import Role, User
from louise.errors import Conflict, NotFound

#: ids are INTEGER columns; a larger number names nobody (and PostgreSQL would refuse it)
MAX_ID = 2**31 - 1


class AlreadyErased(Conflict):
    code = "already_erased"


def customer_for_staff(session: Session, actor: User, user_id: int) -> User:
    """The customer ``user_id`` as a dispatcher (hotline customers) or admin may handle."""
    person = session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    allowed = (
        person is not None
        and person.role == Role.CUSTOMER
        and (
            actor.role == Role.ADMIN
            or (actor.role == Role.DISPATCHER and person.password_hash is None)
        )
    )
    if person is None or not allowed:
        raise NotFound(f"Customer {user_id} not found.")
    return person
