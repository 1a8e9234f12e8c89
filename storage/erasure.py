"""Erasing one learner's data on request (GDPR Art. 17, FERPA, COPPA): their recordings and
other media (objects, then rows), their jobs with transcripts and results, the webhook
events about them (and so deliveries not yet made), batch submissions, learning records
(profiles, study sessions, reviews, memories, plans), LMS links, their data exports and
the account itself: every table storage.learner_data finds, which exports share.

Resumable and idempotent: every step selects by the learner's id, so running it again after
an interruption finds what is left and nothing else; media go first (object before row) and
the account last, so every later step can still find what belongs to them. The learner's
unfinished jobs are canceled when the erasure is asked for, and the erasure job waits for
the running ones to stop before it removes anything, so no job writes results back after
their rows are gone. Nothing here
commits: the erasure job commits each media batch and then the rest with its result."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core.crypto import SecretBox
from storage import jobs as job_service
from storage import learner_data, mail
from storage.errors import Conflict
from storage.identity import revoke_user_refresh_tokens
from storage.models.identity import User
from storage.models.jobs import Job
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
        raise Conflict(
            "Only learners' data is erased this way; change the member's role first.",
            code="erasure_not_learner",
        )
    user.is_active = False
    revoke_user_refresh_tokens(session, user.id)
    cancel_unfinished(session, organisation_id, user.id)
    return user


def _unfinished(organisation_id: str, user_id: str, statuses: tuple[str, ...]) -> Any:
    return (
        select(Job)
        .where(learner_data.where("jobs", organisation_id, user_id), Job.status.in_(statuses))
        .order_by(Job.id)
    )


def cancel_unfinished(session: Session, organisation_id: str, user_id: str) -> int:
    """Cancel the learner's queued jobs and ask their running ones to stop: no work of
    theirs may write results back once their rows are being erased."""
    found = session.scalars(_unfinished(organisation_id, user_id, ("queued", "running"))).all()
    for job in found:
        job_service.cancel(session, job)
    return len(found)


def running_jobs(session: Session, organisation_id: str, user_id: str, now: datetime) -> list[str]:
    """The learner's jobs still running (a job whose worker died, its lease long expired,
    writes nothing more and does not count)."""
    return [
        job.id
        for job in session.scalars(_unfinished(organisation_id, user_id, ("running",)))
        if job.heartbeat_at is None or job.heartbeat_at + timedelta(seconds=job.lease_seconds) > now
    ]


def erase_media_batch(
    session: Session, store: ObjectStore, organisation_id: str, user_id: str, limit: int
) -> int:
    """Remove up to `limit` of the learner's media: objects, then rows."""
    rows = session.scalars(
        select(Media)
        .where(learner_data.where("media", organisation_id, user_id))
        .order_by(Media.id)
        .limit(limit)
        .with_for_update()
    ).all()
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


def erase_rows(
    session: Session, organisation_id: str, user_id: str, box: SecretBox | None = None
) -> dict[str, int]:
    """Every row of the learner after their media (storage.learner_data lists the tables),
    children before parents, and the account last. Counts per table. With the secret box,
    mail not yet sent to the learner's address is withdrawn too (its rows name no user)."""
    org, uid = organisation_id, user_id
    counts: dict[str, int] = {}
    for name, holding in reversed(learner_data.holdings().items()):
        if name in ("media", learner_data.USERS) or name in learner_data.KEPT:
            continue
        counts[name] = _delete(
            session, delete(holding.table).where(learner_data.where(name, org, uid))
        )
    # Usage records stay for the organisation's totals, without the learner.
    counts["usage_records"] = _delete(
        session,
        update(UsageRecord)
        .where(UsageRecord.organisation_id == org, UsageRecord.learner_user_id == uid)
        .values(learner_user_id=None),
    )
    user = session.scalar(select(User).where(User.organisation_id == org, User.id == uid))
    counts["account"] = 0
    if user is not None and box is not None:
        counts["outbound_mail"] = mail.withdraw_to(session, box, user.email)
    if user is not None:
        session.delete(user)
        counts["account"] = 1
    session.flush()
    return counts
