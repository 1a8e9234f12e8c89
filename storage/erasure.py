"""Erasing one learner's data on request (GDPR Art. 17, FERPA, COPPA): their recordings and
other media (objects, then rows), their jobs with transcripts and results, the webhook
events about them (and so deliveries not yet made), batch submissions, learning records
(profiles, study sessions, reviews, memories, plans), LMS links and the account itself.

Resumable and idempotent: every step selects by the learner's id, so running it again after
an interruption finds what is left and nothing else; media go first (object before row) and
the account last, so every later step can still find what belongs to them. Nothing here
commits: the erasure job commits each media batch and then the rest with its result."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from storage.errors import Conflict
from storage.identity import revoke_user_refresh_tokens
from storage.models.batches import Batch, BatchItem
from storage.models.identity import Invite, User
from storage.models.jobs import Job
from storage.models.learning import (
    LearningProfile,
    Review,
    Streak,
    StudySession,
    WordMemory,
)
from storage.models.lms import LmsIdentity
from storage.models.lti import LtiLaunch
from storage.models.media import Media
from storage.models.plans import LearningPlan
from storage.models.usage import UsageCounter
from storage.models.webhooks import WebhookEvent
from storage.objectstore import ObjectStore
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


def _jobs_of(organisation_id: str, user_id: str):
    return select(Job.id).where(Job.organisation_id == organisation_id, or_(
        Job.learner_user_id == user_id, Job.owner_user_id == user_id))


def _referenced_media(session: Session, organisation_id: str, user_id: str) -> set[str]:
    """Media named by the learner's jobs and batch submissions (a teacher may have uploaded
    the learner's recording in a batch: it is theirs all the same)."""
    from_jobs = session.scalars(select(Job.input["media_id"].as_string()).where(
        Job.id.in_(_jobs_of(organisation_id, user_id)))).all()
    from_batches = session.scalars(
        select(BatchItem.media_id).join(Batch, Batch.id == BatchItem.batch_id)
        .where(Batch.organisation_id == organisation_id, BatchItem.learner_id == user_id)).all()
    return {m for m in (*from_jobs, *from_batches) if m}


def erase_media_batch(session: Session, store: ObjectStore, organisation_id: str,
                      user_id: str, limit: int) -> int:
    """Remove up to `limit` of the learner's media: objects, then rows."""
    referenced = _referenced_media(session, organisation_id, user_id)
    mine = Media.owner_user_id == user_id
    rows = session.scalars(
        select(Media).where(Media.organisation_id == organisation_id,
                            or_(mine, Media.id.in_(referenced)) if referenced else mine)
        .order_by(Media.id).limit(limit).with_for_update()).all()
    return remove_media(session, store, list(rows))


def _delete(session: Session, stmt: Any) -> int:
    return session.execute(stmt.execution_options(synchronize_session=False)).rowcount or 0


def erase_rows(session: Session, organisation_id: str, user_id: str) -> dict[str, int]:
    """Every row of the learner after their media, and the account. Counts per kind."""
    org, uid = organisation_id, user_id
    jobs = _jobs_of(org, uid)
    counts = {
        "webhook_events": _delete(session, delete(WebhookEvent).where(
            WebhookEvent.organisation_id == org,
            or_(WebhookEvent.user_id == uid, WebhookEvent.job_id.in_(jobs)))),
        "batch_items": _delete(session, delete(BatchItem).where(
            BatchItem.learner_id == uid, BatchItem.batch_id.in_(
                select(Batch.id).where(Batch.organisation_id == org)))),
    }
    counts["jobs"] = _delete(session, delete(Job).where(Job.id.in_(jobs)))
    for name, model in (("reviews", Review), ("word_memories", WordMemory),
                        ("study_sessions", StudySession), ("learning_profiles", LearningProfile),
                        ("streaks", Streak),
                        ("learning_plans", LearningPlan), ("lms_identities", LmsIdentity),
                        ("lti_launches", LtiLaunch)):
        counts[name] = _delete(session, delete(model).where(model.organisation_id == org,
                                                            model.user_id == uid))
    # Their quota counters; usage records stay, without them (the account's deletion
    # clears their learner id).
    counts["usage_counters"] = _delete(session, delete(UsageCounter).where(
        UsageCounter.organisation_id == org, UsageCounter.subject == uid))
    user = session.scalar(select(User).where(User.organisation_id == org, User.id == uid))
    counts["account"] = counts["invites"] = 0
    if user is not None:
        counts["invites"] = _delete(session, delete(Invite).where(
            Invite.organisation_id == org, Invite.email == user.email))
        session.delete(user)
        counts["account"] = 1
    session.flush()
    return counts
