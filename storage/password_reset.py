"""Password reset by email: issue a single-use, expiring token and redeem it.

Only the token's SHA-256 is stored. A new request revokes the user's earlier tokens; a
redemption sets the password, revokes every other reset token and every refresh-token
family of the user (which kills their access tokens too, see
identity.access_token_state). Functions take the session and change rows; the caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.db import utcnow
from storage.errors import Forbidden, Unprocessable
from storage.identity import hash_password, normalise_email, revoke_user_refresh_tokens
from storage.ids import new_id
from storage.models.identity import PasswordReset, User
from storage.passwords import check_password


@dataclass(frozen=True)
class IssuedReset:
    user: User
    token: str
    ttl_seconds: int


def request_reset(session: Session, email: str, ttl_seconds: int) -> IssuedReset | None:
    """A new token for the active account of `email`, or None (no such account, or
    deactivated): the caller answers the same either way and mails only a token."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_active:
        return None
    now = utcnow()
    _revoke_open(session, user.id, now)
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            id=new_id("pwr"),
            user_id=user.id,
            token_hash=_sha256(token),
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_seconds),
        )
    )
    session.flush()
    return IssuedReset(user, token, ttl_seconds)


def confirm_reset(session: Session, token: str, new_password: str) -> User:
    """Redeem `token`: set the password and sign the user out everywhere."""
    now = utcnow()
    token_hash = _sha256(token)
    reset = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == token_hash))
    if reset is None or reset.revoked_at is not None:
        raise Unprocessable(
            "The reset link is not valid; ask for a new one.", code="reset_token_invalid"
        )
    if reset.used_at is not None:
        raise Unprocessable(
            "The reset link was already used; ask for a new one.", code="reset_token_used"
        )
    if reset.expires_at <= now:
        raise Unprocessable(
            "The reset link has expired; ask for a new one.", code="reset_token_expired"
        )
    user = session.get(User, reset.user_id)
    if user is None or not user.is_active:
        raise Forbidden("This account is deactivated.", code="account_deactivated")
    # Judged before the token is spent, so a weak password leaves the link usable.
    check_password(new_password, (user.email, user.name))
    password_hash = hash_password(new_password)
    # Spent by one conditional UPDATE: of two parallel redemptions exactly one wins (row
    # lock on PostgreSQL, the write lock on SQLite).
    taken = session.execute(
        update(PasswordReset)
        .where(
            PasswordReset.id == reset.id,
            PasswordReset.used_at.is_(None),
            PasswordReset.revoked_at.is_(None),
            PasswordReset.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise Unprocessable(
            "The reset link was already used; ask for a new one.", code="reset_token_used"
        )
    _revoke_open(session, user.id, now)
    user.password_hash = password_hash
    user.password_changed_at = now
    revoke_user_refresh_tokens(session, user.id)
    return user


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _revoke_open(session: Session, user_id: str, now: datetime) -> None:
    session.execute(
        update(PasswordReset)
        .where(
            PasswordReset.user_id == user_id,
            PasswordReset.used_at.is_(None),
            PasswordReset.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
