"""The organisation's callback secret, which signs deliveries to jobs' `callback_url`.

It is shown once: in the answer that creates or rotates it, or, when a callback needed one
before anybody asked, on the first read afterwards.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.db import utcnow
from storage.models.webhooks import CallbackSecret
from storage.webhooks.endpoints import SecretFactory


def get(
    session: Session, organisation_id: str, *, for_update: bool = False
) -> CallbackSecret | None:
    return session.get(CallbackSecret, organisation_id, with_for_update=for_update or None)


def ensure(session: Session, organisation_id: str, new_secret: SecretFactory) -> CallbackSecret:
    """The organisation's callback secret, created (unrevealed) when it has none."""
    row = get(session, organisation_id)
    if row is not None:
        return row
    try:
        # Two first callbacks of an organisation may race to create it; one insert wins.
        with session.begin_nested():
            session.add(
                CallbackSecret(
                    organisation_id=organisation_id, secret=new_secret(), created_at=utcnow()
                )
            )
    except IntegrityError:
        pass
    row = get(session, organisation_id)
    assert row is not None
    return row


def rotate(
    session: Session, organisation_id: str, *, new_secret: SecretFactory, overlap_seconds: int
) -> CallbackSecret:
    """A new secret, revealed in this answer; the previous one signs for `overlap_seconds`."""
    now = utcnow()
    row = get(session, organisation_id, for_update=True)
    if row is None:
        row = CallbackSecret(
            organisation_id=organisation_id, secret=new_secret(), created_at=now, revealed_at=now
        )
        session.add(row)
        session.flush()
        return row
    if overlap_seconds > 0:
        row.previous_secret = row.secret
        row.previous_secret_expires_at = now + timedelta(seconds=overlap_seconds)
    else:
        row.previous_secret = row.previous_secret_expires_at = None
    row.secret = new_secret()
    row.rotated_at = row.revealed_at = now
    session.flush()
    return row


def reveal(session: Session, organisation_id: str) -> tuple[CallbackSecret | None, str | None]:
    """The secret's metadata, and the secret itself if it was never shown."""
    row = get(session, organisation_id, for_update=True)
    if row is None:
        return None, None
    if row.revealed_at is not None:
        return row, None
    row.revealed_at = utcnow()
    session.flush()
    return row, row.secret
