"""The SQLAlchemy extension, the declarative base, the after-commit hook and connection
pool checks."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Hashable, Iterator
from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Engine,
    MetaData,
    Table,
    Text,
    bindparam,
    event,
    inspect,
    text,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, registry
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.types import TypeDecorator

from core.crypto import SecretBox, is_encrypted

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere (SQLite).
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes in UTC on every backend (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class EncryptedString(TypeDecorator[str]):
    """A secret the platform must read back, stored encrypted (see core.crypto) with the
    running app's keys."""

    impl = Text()
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None or is_encrypted(value):
            return value
        return _secret_box().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return _secret_box().decrypt(value)


def _secret_box() -> SecretBox:
    from flask import current_app

    return current_app.extensions["secret_box"]


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING), type_annotation_map={datetime: UTCDateTime()}
    )


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    return datetime.now(UTC)


def autocommit_connection() -> Connection:
    """A pooled connection in autocommit: each statement commits on its own, with no BEGIN
    and COMMIT round trips (for single statements; use as a context manager)."""
    return db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def after_commit(
    session: Session, callback: Callable[[], None], key: Hashable | None = None
) -> None:
    """Run `callback` once the session's current transaction commits (never on rollback).

    Used to send broker messages and notifications only once the rows they point at are
    visible to other processes. A `key` already pending in this transaction adds nothing
    (one change notification per job and commit, however many parts asked for it).
    """
    if key is not None:
        keys = session.info.setdefault("after_commit_keys", set())
        if key in keys:
            return
        keys.add(key)
    session.info.setdefault("after_commit", []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    callbacks = session.info.pop("after_commit", [])
    session.info.pop("after_commit_keys", None)
    for callback in callbacks:
        callback()


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop("after_commit", None)
        session.info.pop("after_commit_keys", None)


@contextlib.contextmanager
def kept_through_commit(obj: Any, *, inserted: bool = False) -> Iterator[dict[str, Any]]:
    """Keep `obj`'s loaded column values through a commit inside the block, so reading it
    afterwards costs no SELECT (a commit otherwise expires every attribute). For rows the
    caller has just written and answers with; a value the block puts in the yielded dict
    (one written elsewhere after the commit) replaces the kept one.

    `inserted=True` says the row was inserted by this transaction: a column it never set and
    that has no server-side default is NULL, so it needs no SELECT either.
    """
    state = inspect(obj)
    values: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        if attr.key in state.dict:
            values[attr.key] = state.dict[attr.key]
        elif inserted and all(
            column.server_default is None and column.server_onupdate is None
            for column in attr.columns
        ):
            values[attr.key] = None
    yield values
    for key, value in values.items():
        set_committed_value(obj, key, value)


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Check a pooled connection with a ping only when it sat idle for `idle_seconds`.

    `pool_pre_ping` pings on every checkout: a round trip per checkout, several per request.
    A connection used a moment ago is almost always alive; if the database restarted in that
    moment, the failing statement invalidates the whole pool and the next request reconnects.
    """

    @event.listens_for(engine.pool, "checkin")
    def _returned(dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _check(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is not None and time.monotonic() - returned < idle_seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise sa_exc.DisconnectionError("the pooled connection is gone") from exc
        if not alive:
            raise sa_exc.DisconnectionError("the pooled connection is gone")


_INSERT_IGNORING: dict[tuple[Any, ...], Any] = {}


def insert_ignoring_conflict(
    session: Session,
    table: Table,
    values: dict[str, Any],
    *,
    conflict: tuple[str, ...],
    returning: str | None = None,
) -> Any:
    """`INSERT ... ON CONFLICT (conflict) DO NOTHING [RETURNING returning]` of one row, on
    PostgreSQL and SQLite.

    SQLAlchemy never caches the dialects' ON CONFLICT constructs, so built per call they
    are compiled again on every execution (more CPU than the round trip on a hot path).
    Here the statement is written once per table and set of columns, as text with typed
    bound parameters, which SQLAlchemy caches like any other. Columns left out take their
    server default: one with a Python-side default must be given."""
    key = (table.name, tuple(values), conflict, returning)
    statement = _INSERT_IGNORING.get(key)
    if statement is None:
        missing = [
            column.name
            for column in table.columns
            if column.name not in values and column.default is not None
        ]
        if missing:
            raise ValueError(f"insert_ignoring_conflict: give {', '.join(missing)}")
        quote = session.get_bind().dialect.identifier_preparer.quote
        sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in values)}) "
            f"VALUES ({', '.join(':' + n for n in values)}) "
            f"ON CONFLICT ({', '.join(quote(n) for n in conflict)}) DO NOTHING"
        )
        if returning is not None:
            sql += f" RETURNING {quote(returning)}"
        statement = _INSERT_IGNORING[key] = text(sql).bindparams(
            *[bindparam(name, type_=table.c[name].type) for name in values]
        )
    # On the session's connection (its transaction) but not through the ORM: a textual
    # statement names no table, and the ORM's write listeners would take it for any table.
    return session.connection().execute(statement, values)


def lock_rows_on_sqlite(engine: Engine) -> None:
    """Make `SELECT ... FOR UPDATE` lock on SQLite too, where it does not exist.

    PostgreSQL locks the rows a FOR UPDATE select reads until the transaction ends; SQLite
    drops the clause, so two requests could each read a row "for update", each decide from
    what they read, and both write (two completes of one upload, one sign-in state spent
    twice, two last jobs of a batch each finishing it). Here such a select first takes
    SQLite's database write lock (`BEGIN IMMEDIATE`, as SQLite's documentation advises for
    read-then-write transactions), so a concurrent writer waits (busy_timeout) until this
    transaction ends and then reads what it wrote: the same one-at-a-time outcome as
    PostgreSQL's row lock, on a coarser lock. A connection already in a transaction holds
    the write lock already (the driver begins one only before a write).

    `SKIP LOCKED` batch claims are left as they were: they pick rows for work that may run a
    while before the commit (deliveries, sweeps), and holding the whole database's write
    lock over that would stall every writer."""

    @event.listens_for(engine, "before_execute")
    def _begin_immediate(
        connection: Connection,
        clause: Any,
        multiparams: Any,
        params: Any,
        execution_options: Any,
    ) -> None:
        for_update = getattr(clause, "_for_update_arg", None)
        if for_update is None or for_update.skip_locked:
            return
        driver = connection.connection.dbapi_connection
        if driver is None or driver.isolation_level is None or driver.in_transaction:
            return  # autocommit connections lock nothing; a transaction holds the lock
        driver.execute("BEGIN IMMEDIATE")
