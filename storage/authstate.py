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

from dataclasses import dataclass

from sqlalchemy.orm import Session

from storage.changewatch import ChangeWatch
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


def _touched(session: Session) -> bool:
    return any(
        isinstance(obj, _WATCHED_TYPES) for obj in (*session.new, *session.dirty, *session.deleted)
    )


# Committed changes to the tables an access token's state is read from.
changes = ChangeWatch("auth_state", WATCHED_TABLES, _touched)
