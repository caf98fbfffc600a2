"""Who may change a shop, its hours and its offers: the owning merchant or an admin.

Ownership rule, enforced by :func:`can_manage` in every write: only the merchant who owns a
shop, or an admin, may change the shop, its hours or its offers. Anyone else gets 403; an id
that does not exist gets 404.

Services (this module, :mod:`.shops`, :mod:`.opening`, :mod:`.offers`, :mod:`.catalogue`) take
a SQLAlchemy ``Session``, the acting ``User`` (``None`` for an anonymous catalogue visitor) and
plain data; they own the single commit and raise domain errors. They never import Flask.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, true
from sqlalchemy.orm import Session

from louise.auth.models import Role, User
from louise.db import commit_unique
from louise.errors import Conflict, Forbidden, NotFound, ValidationFailed
from louise.merchants.models import Merchant, Offer


def can_manage(actor: User | None, merchant: Merchant) -> bool:
    """The owning merchant or an admin."""
    if actor is None:
        return False
    if actor.role == Role.ADMIN:
        return True
    return actor.role == Role.MERCHANT and merchant.owner_id == actor.id


def visible_to(viewer: User | None, public: ColumnElement[bool]) -> ColumnElement[bool]:
    """A filter on shops (or their offers) a viewer may see: everyone what is ``public``,
    merchants also their own shops, admins everything."""
    if viewer is None:
        return public
    if viewer.role == Role.ADMIN:
        return true()
    if viewer.role == Role.MERCHANT:
        return or_(public, Merchant.owner_id == viewer.id)
    return public


def require_manager(actor: User, merchant: Merchant) -> None:
    if not can_manage(actor, merchant):
        raise Forbidden("Only the shop's owner or an admin may change this shop or its offers.")


def invalid(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"Invalid input: {field_name}: {message}", fields={"json": {field_name: [message]}}
    )


def merchant_for_write(session: Session, actor: User, merchant_id: int) -> Merchant:
    merchant = session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound(f"Merchant {merchant_id} not found.")
    require_manager(actor, merchant)
    return merchant


def offer_for_write(session: Session, actor: User, offer_id: int) -> Offer:
    offer = session.get(Offer, offer_id)
    if offer is None:
        raise NotFound(f"Offer {offer_id} not found.")
    require_manager(actor, offer.merchant)
    return offer


def commit(session: Session, conflict_message: str) -> None:
    """Commit; a concurrent write that won a uniqueness race is a ``Conflict``."""
    commit_unique(session, lambda: Conflict(conflict_message))
