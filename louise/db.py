"""Declarative base with a naming convention, shared mixins and the engine setup."""

from __future__ import annotations

import enum
import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, DateTime, Engine, Enum, MetaData, create_engine, event
from sqlalchemy.exc import DisconnectionError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC on every backend (SQLite has no tz type)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; louise stores timezone-aware UTC only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def str_enum(cls: type[enum.Enum], name: str, length: int = 20) -> Enum:
    """A Python enum stored as its string values, with a CHECK constraint (no native enum
    type: the same schema on SQLite and PostgreSQL, and new values need no type change)."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        create_constraint=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


def make_engine(url: str, echo: bool = False) -> Engine:
    """Create the engine. SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE``.

    Why IMMEDIATE: with deferred transactions two writers both read, then one fails to upgrade
    its lock and SQLite answers "database is locked" at once, whatever the busy timeout.
    Taking the write lock at BEGIN makes concurrent writers queue instead.
    """
    if url.startswith("sqlite"):
        engine = create_engine(
            url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url, echo=echo, future=True)
    ping_when_idle(engine, IDLE_PING_SECONDS)
    return engine


#: A pooled connection unused for longer than this is pinged before a request gets it.
IDLE_PING_SECONDS = 1.0


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a pooled connection on checkout only when it sat idle for ``idle_seconds``.

    Why not ``pool_pre_ping``: it costs every request a round trip (``SELECT 1``) although
    under load a connection comes back to the pool milliseconds before its next use. A
    database restart takes longer than that, so a connection that lived through one was idle
    and is pinged; a dead one is replaced (``DisconnectionError`` makes the pool connect
    anew). A connection broken within the last second fails its request, which answers 503
    with ``Retry-After`` (:data:`louise.web.DATABASE_UNAVAILABLE`), and SQLAlchemy then
    discards the whole pool's connections from before the failure."""

    @event.listens_for(engine, "checkin")
    def _note_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["louise_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("louise_idle_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return  # new (just connected) or just used
        try:
            cursor = dbapi_conn.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            if not getattr(dbapi_conn, "autocommit", True):
                dbapi_conn.rollback()  # the ping's own transaction, not the request's
        except Exception as exc:
            raise DisconnectionError(f"pooled connection is dead: {exc}") from exc


#: The attribute :func:`read_only` sets on a view.
READ_ONLY_MARK = "louise_read_only"
F = TypeVar("F", bound=Callable[..., Any])


def read_only(view: F) -> F:
    """Mark a view that only reads. On PostgreSQL its request session runs in autocommit:
    no ``BEGIN`` and no ``ROLLBACK`` round trip around its statements. Each statement still
    sees one consistent snapshot (as under READ COMMITTED, the default, anyway); a view that
    reads twice must not rely on one snapshot for both. The session refuses to write
    (:func:`read_only_sessions`). Tests bound to one connection ignore the mark."""
    setattr(view, READ_ONLY_MARK, True)
    return view


class ReadOnlyViolation(RuntimeError):
    """A view marked :func:`read_only` tried to write: a programming error."""


def read_only_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions in autocommit that refuse to flush (see :func:`read_only`)."""
    factory = sessionmaker(
        bind=engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
    )

    @event.listens_for(factory, "before_flush")
    def _refuse(session: Session, *_args: Any) -> None:
        if session.new or session.dirty or session.deleted:
            raise ReadOnlyViolation("a view marked read_only tried to write")

    return factory


@contextmanager
def rollback_on_error(session: Session, undo: Callable[[], None] | None = None) -> Iterator[None]:
    """A use case's unit of work: when the block raises, nothing it wrote stays (the session
    is rolled back, ``undo`` removes what it wrote outside the database, e.g. an uploaded
    file, and the error goes on). The block itself commits once, at its end."""
    try:
        yield
    except BaseException:
        session.rollback()
        if undo is not None:
            undo()
        raise


P = ParamSpec("P")
R = TypeVar("R")


def unit_of_work(
    use_case: Callable[Concatenate[Session, P], R],
) -> Callable[Concatenate[Session, P], R]:
    """:func:`rollback_on_error` around a whole use case whose first argument is the session."""

    @functools.wraps(use_case)
    def wrapper(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with rollback_on_error(session):
            return use_case(session, *args, **kwargs)

    return wrapper


def commit_unique(session: Session, conflict: Callable[[], Exception]) -> None:
    """Commit; a uniqueness race lost to a concurrent writer (``IntegrityError``) rolls back
    and raises ``conflict()``, the use case's own domain error."""
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise conflict() from exc


@contextmanager
def autocommit_read(session: Session) -> Iterator[None]:
    """Run a read that opens a request's session without a transaction of its own.

    On PostgreSQL, a session that is not in a transaction yet runs the block's statements
    in autocommit and gives its connection back at the end: no ``BEGIN`` and no ``COMMIT``
    round trip around them (every authenticated request starts with one such read, its
    token's user). The session keeps what it loaded (``expire_on_commit`` is off) and its
    next statement opens an ordinary transaction. The block must only read. Anywhere else
    (SQLite, a session already in a transaction, a test's session bound to one connection)
    the block runs as it is."""
    bind = session.get_bind()
    if (
        session.in_transaction()
        or not isinstance(bind, Engine)
        or bind.dialect.name != "postgresql"
        or bind.get_execution_options().get("isolation_level") == "AUTOCOMMIT"  # read_only
    ):
        yield
        return
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    session.commit()  # nothing to commit on the server: the connection goes back to the pool


@contextmanager
def one_transaction(session: Session) -> Iterator[None]:
    """Run a block whose use case commits (``session.commit()``) inside ONE database
    transaction that this context manager commits at its end, or rolls back when it raises.

    Inside the block ``session.commit()`` only flushes: the session joins the block's
    connection in ``rollback_only`` mode, so work done after the use case's commit (e.g.
    storing its answer under an ``Idempotency-Key``) becomes durable together with it, or
    not at all, with one ``COMMIT`` and no savepoints. A ``session.rollback()`` inside rolls
    the whole block back. The session keeps its identity map (the acting user stays
    attached). A session already joined to a test's outer transaction gets a savepoint as
    its "outer" transaction (and its commits release savepoints, as everywhere in tests).
    """
    if session.in_transaction():
        session.commit()
    bind = session.get_bind()
    own_connection = not isinstance(bind, Connection)
    connection = bind.connect() if isinstance(bind, Engine) else bind
    assert isinstance(connection, Connection)
    outer = connection.begin() if own_connection else connection.begin_nested()
    saved_bind, saved_mode = session.bind, session.join_transaction_mode
    session.bind = connection
    session.join_transaction_mode = "rollback_only" if own_connection else "create_savepoint"
    try:
        try:
            yield
            if session.in_transaction():
                session.commit()
        except BaseException:
            session.rollback()
            if outer.is_active:
                outer.rollback()
            raise
        outer.commit()
    finally:
        session.bind = saved_bind
        session.join_transaction_mode = saved_mode
        if own_connection:
            connection.close()
