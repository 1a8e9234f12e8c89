"""A short-lived, per-process cache of what authenticating an access token reads from the
database (the token's user and whether the token is revoked), so that a client sending
requests back to back costs one query per token every few seconds instead of one per
request.

Staleness is bounded twice over:
- every change to the rows the answer is made of (users, revoked tokens, refresh tokens),
  written through any session, empties this process's cache when its transaction commits
  and is announced to the other processes (the API wires the announcement to Redis
  pub/sub, see api.authcache), which empty theirs;
- an entry lives at most `ttl` seconds, so a missed announcement (Redis down) delays a
  revocation in another process by that much at most.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from storage.models.identity import RefreshToken, RevokedToken, User
from storage.ttlcache import TtlCache

# The tables an access token's state is read from.
WATCHED_TABLES = frozenset(
    {User.__tablename__, RevokedToken.__tablename__, RefreshToken.__tablename__}
)
_WATCHED_TYPES = (User, RevokedToken, RefreshToken)


@dataclass(frozen=True)
class TokenUser:
    """What authentication needs of the token's user."""

    id: str
    organisation_id: str
    role: str
    is_active: bool


@dataclass(frozen=True)
class TokenState:
    user: TokenUser | None
    revoked: bool


class TokenStateCache(TtlCache[TokenState]):
    """Token id -> TokenState, each entry for `ttl` seconds; `clear()` on any change."""


# Called after a commit that changed a watched table (the API clears its cache and tells
# the other processes). Set by the API; nothing to do in a process without a cache.
_on_change: list[Callable[[], None]] = []


def set_change_listeners(listeners: list[Callable[[], None]]) -> None:
    _on_change[:] = listeners


def _mark(session: Session) -> None:
    session.info["auth_state_changed"] = True


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, flush_context: UOWTransaction) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, _WATCHED_TYPES):
            _mark(session)
            return


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in WATCHED_TABLES or table is None:
        _mark(state.session)  # a write to a watched table, or one whose table is unknown


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop("auth_state_changed", False):
        for listener in _on_change:
            listener()


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop("auth_state_changed", None)
