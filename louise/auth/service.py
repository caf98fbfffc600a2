"""Account rules: who may register as what, login, approval and token revocation.

Services take a SQLAlchemy ``Session`` and plain data, own the single commit and raise
domain errors; they never import Flask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import Session

from louise import reference_version
from louise.auth import passwords
from louise.auth.models import AccountStatus, RevokedToken, Role, User
from louise.db import autocommit_read, commit_unique
from louise.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed

MIN_PASSWORD_LENGTH = 10
SELF_SERVICE_ROLES = {Role.CUSTOMER, Role.MERCHANT}


@dataclass(frozen=True)
class AccountData:
    email: str | None
    name: str
    password: str | None = None
    phone: str | None = None
    locale: str = "de"


def _normalise_email(email: str | None) -> str | None:
    return email.strip().lower() if email else None


def _check_password(password: str | None) -> None:
    if password is None or len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"Password must have at least {MIN_PASSWORD_LENGTH} characters.",
            fields={"json": {"password": [f"At least {MIN_PASSWORD_LENGTH} characters."]}},
        )


def _insert_user(session: Session, user: User) -> User:
    if user.email is not None:
        taken = session.scalar(
            select(func.count()).select_from(User).where(User.email == user.email)
        )
        if taken:
            raise Conflict(
                "An account with this e-mail exists already.",
                fields={"json": {"email": ["Already registered."]}},
            )
    session.add(user)
    # a concurrent registration may win the race
    commit_unique(
        session,
        lambda: Conflict(
            "An account with this e-mail exists already.",
            fields={"json": {"email": ["Already registered."]}},
        ),
    )
    return user


def register(session: Session, data: AccountData, role: Role = Role.CUSTOMER) -> User:
    """Self-registration. Residents are active at once; a shop's account waits for an admin.

    Courier, dispatcher and admin accounts cannot be self-registered.
    """
    if role not in SELF_SERVICE_ROLES:
        raise Forbidden(
            f"Accounts with role {role.value!r} are created by an admin.",
            fields={"json": {"role": ["Not open for self-registration."]}},
        )
    if not data.email:
        raise ValidationFailed(
            "E-mail is required.", fields={"json": {"email": ["Missing data for required field."]}}
        )
    _check_password(data.password)
    assert data.password is not None
    status = AccountStatus.ACTIVE if role == Role.CUSTOMER else AccountStatus.PENDING
    user = User(
        email=_normalise_email(data.email),
        password_hash=passwords.hash_password(data.password),
        role=role,
        status=status,
        name=data.name,
        phone=data.phone,
        locale=data.locale,
    )
    return _insert_user(session, user)


def create_account(session: Session, actor: User, data: AccountData, role: Role) -> User:
    """An admin creates an account of any role, active at once.

    A dispatcher may create customer accounts without a login (hotline customers).
    """
    if actor.role == Role.DISPATCHER and role == Role.CUSTOMER:
        pass
    elif actor.role != Role.ADMIN:
        raise Forbidden("Only an admin can create accounts.")
    if data.password is not None:
        _check_password(data.password)
    elif data.email is not None and role != Role.CUSTOMER:
        raise ValidationFailed(
            "A staff or shop account needs a password.",
            fields={"json": {"password": ["Missing data for required field."]}},
        )
    user = User(
        email=_normalise_email(data.email),
        password_hash=passwords.hash_password(data.password) if data.password else None,
        role=role,
        status=AccountStatus.ACTIVE,
        name=data.name,
        phone=data.phone,
        locale=data.locale,
    )
    return _insert_user(session, user)


def set_status(session: Session, actor: User, user_id: int, status: AccountStatus) -> User:
    """Approve (activate) or disable an account. Admins only; nobody disables themselves."""
    if actor.role != Role.ADMIN:
        raise Forbidden("Only an admin can approve or disable accounts.")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} not found.")
    if user.id == actor.id and status != AccountStatus.ACTIVE:
        raise Conflict("Admins cannot disable their own account.")
    user.status = status
    session.commit()
    return user


def list_users(
    session: Session,
    actor: User,
    role: Role | None,
    status: AccountStatus | None,
    limit: int,
    offset: int,
) -> tuple[list[User], int]:
    if actor.role != Role.ADMIN:
        raise Forbidden("Only an admin can list accounts.")
    query = select(User)
    if role is not None:
        query = query.where(User.role == role)
    if status is not None:
        query = query.where(User.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(User.id).limit(limit).offset(offset)).all()
    return list(rows), total


def authenticate(session: Session, email: str, password: str) -> User:
    """Check credentials. Every failure gives the same answer, and costs the same time."""
    user = session.scalar(select(User).where(User.email == _normalise_email(email)))
    if user is None or user.password_hash is None:
        passwords.burn_time(password)
        raise Unauthorized("Wrong e-mail or password.")
    if not passwords.verify_password(user.password_hash, password):
        raise Unauthorized("Wrong e-mail or password.")
    if user.status == AccountStatus.PENDING:
        raise Forbidden("This account waits for an admin's approval.")
    if user.status != AccountStatus.ACTIVE:
        raise Forbidden("This account is disabled.")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        session.commit()
    return user


def change_password(session: Session, user: User, current: str, new: str) -> User:
    """A user changes their own password: the current one must be right and the new one long
    enough. (Web sessions carry a fingerprint of the hash, so other browsers are logged out.)"""
    if user.password_hash is None or not passwords.verify_password(user.password_hash, current):
        raise ValidationFailed(
            "The current password is wrong.",
            fields={"json": {"current_password": ["Wrong password."]}},
        )
    if len(new) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"Password must have at least {MIN_PASSWORD_LENGTH} characters.",
            fields={"json": {"new_password": [f"At least {MIN_PASSWORD_LENGTH} characters."]}},
        )
    user.password_hash = passwords.hash_password(new)
    session.commit()
    return user


def revoke_tokens(
    session: Session,
    user_id: int | None,
    tokens: Sequence[tuple[str, str, datetime | None]],
) -> None:
    """Store revocations (jti, type, expiry). Revoking twice is harmless."""
    for jti, token_type, expires_at in tokens:
        if session.get(RevokedToken, jti) is None:
            session.add(
                RevokedToken(jti=jti, token_type=token_type, user_id=user_id, expires_at=expires_at)
            )
    session.commit()


def is_revoked(session: Session, jti: str) -> bool:
    return session.get(RevokedToken, jti) is not None


# built once: a token's user, whether the token is revoked and the reference version
# (louise.reference_version), in one statement (every authenticated request asks the first
# two; the third comes for free)
_HOLDER = select(
    User,
    exists().where(RevokedToken.jti == bindparam("jti")).label("revoked"),
    reference_version.current().label("reference_version"),
).where(User.id == bindparam("user_id"))


@dataclass(frozen=True)
class TokenHolder:
    user: User | None  # None: no such user
    revoked: bool
    reference_version: int | None  # None: not read (no such user)


def token_holder(session: Session, user_id: int | None, jti: str) -> TokenHolder:
    """The user a token names, whether the token is revoked, and the reference version.
    The request's first read: on PostgreSQL without a transaction (:func:`autocommit_read`)."""
    with autocommit_read(session):
        if user_id is not None:
            row = session.execute(_HOLDER, {"jti": jti, "user_id": user_id}).first()
            if row is not None:
                return TokenHolder(row[0], bool(row[1]), row[2])
        return TokenHolder(None, is_revoked(session, jti), None)


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def read_user(session: Session, actor: User, user_id: int) -> User:
    """One account: admins read any, dispatchers customers (the hotline), everyone
    themselves; anything else is not found."""
    user = session.get(User, user_id)
    allowed = user is not None and (
        actor.role == Role.ADMIN
        or actor.id == user.id
        or (actor.role == Role.DISPATCHER and user.role == Role.CUSTOMER)
    )
    if user is None or not allowed:
        raise NotFound(f"User {user_id} not found.")
    return user
