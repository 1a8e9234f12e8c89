"""Erasing one learner's data on request (GDPR Art. 17, FERPA, COPPA): their recordings and
other media (objects, then rows), their jobs with transcripts and results, the webhook
events about them (and so deliveries not yet made), batch submissions, learning records
(profiles, study sessions, reviews, memories, plans), LMS links, their data exports and
the account itself: every table storage.learner_data finds, which exports share.

Resumable and idempotent: every step selects by the learner's id, so running it again after
an interruption finds what is left and nothing else; media go first (object before row) and
the account last, so every later step can still find what belongs to them. Nothing here
commits: the erasure job commits each media batch and then the rest with its result."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage import learner_data
from storage.errors import Conflict
from storage.identity import revoke_user_refresh_tokens
from storage.models.identity import User
from storage.models.media import Media
from storage.models.usage import UsageRecord
from storage.objectstore import ObjectStore
from storage.objectstore.keys import export_prefix
from storage.retention import remove_media
from storage.tenancy import get_owned

ERASABLE_ROLES = ("learner",)


def begin(session: Session, organisation_id: str, user_id: str) -> User:
    """Check the erasure may go ahead and cut the learner off at once: deactivated, every
    refresh token revoked (access tokens stop working with the account)."""
    user = get_owned(session, User, user_id, organisation_id, what="user")
    if user.role not in ERASABLE_ROLES:
        raise Conflict("Only learners' data is erased this way; change the member's role "
                       "first.", code="erasure_not_learner")
    user.is_active = False
    revoke_user_refresh_tokens(session, user.id)
    return user


def erase_media_batch(session: Session, store: ObjectStore, organisation_id: str,
                      user_id: str, limit: int) -> int:
    """Remove up to `limit` of the learner's media: objects, then rows."""
    rows = session.scalars(
        select(Media).where(learner_data.where("media", organisation_id, user_id))
        .order_by(Media.id).limit(limit).with_for_update()).all()
    return remove_media(session, store, list(rows))


def erase_exports(store: ObjectStore, organisation_id: str, user_id: str) -> int:
    """Remove the learner's data exports from the bucket (the jobs that made them go with
    their other rows)."""
    keys = list(store.list_keys(export_prefix(organisation_id, user_id)))
    for key in keys:
        store.delete(key)
    return len(keys)


def _delete(session: Session, stmt: Any) -> int:
    return session.execute(stmt.execution_options(synchronize_session=False)).rowcount or 0


def erase_rows(session: Session, organisation_id: str, user_id: str) -> dict[str, int]:
    """Every row of the learner after their media (storage.learner_data lists the tables),
    children before parents, and the account last. Counts per table."""
    org, uid = organisation_id, user_id
    counts: dict[str, int] = {}
    for name, holding in reversed(learner_data.holdings().items()):
        if name in ("media", learner_data.USERS) or name in learner_data.KEPT:
            continue
        counts[name] = _delete(session, delete(holding.table).where(
            learner_data.where(name, org, uid)))
    # Usage records stay for the organisation's totals, without the learner.
    counts["usage_records"] = _delete(session, update(UsageRecord).where(
        UsageRecord.organisation_id == org, UsageRecord.learner_user_id == uid)
        .values(learner_user_id=None))
    user = session.scalar(select(User).where(User.organisation_id == org, User.id == uid))
    counts["account"] = 0
    if user is not None:
        session.delete(user)
        counts["account"] = 1
    session.flush()
    return counts
