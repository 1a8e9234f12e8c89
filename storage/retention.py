"""Retention: each organisation may keep learners' recordings, and their results (finished
jobs with their transcripts and results, learning plans, conversation sessions with their
messages and feedback) for a number of days. The sweeper removes what is older in
batches; every batch takes its rows with FOR UPDATE SKIP LOCKED, so two schedulers never
remove the same row, and deletes a media object before its row (a batch cut short leaves
rows whose object is gone, which the next batch removes again, never an object without its
row). Nothing here commits: the caller commits each batch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from storage.media.library import detach_from_words, remove_objects
from storage.models.conversations import ConversationSession
from storage.models.identity import Organisation
from storage.models.jobs import TERMINAL_STATUSES, Job
from storage.models.media import Media
from storage.models.plans import LearningPlan
from storage.models.webhooks import WebhookEvent
from storage.objectstore import ObjectStore

MAX_RETENTION_DAYS = 3650
EXPORT_JOB_TYPE = "learner_export"
# Learners' recordings are private media; staff uploads (vocabulary audio, images, import
# archives) are the organisation's teaching material and are not swept.
SWEPT_VISIBILITY = "private"


@dataclass(frozen=True)
class Policy:
    media_days: int | None
    results_days: int | None


def policy_of(organisation: Organisation) -> Policy:
    return Policy(organisation.media_retention_days, organisation.results_retention_days)


def set_policy(organisation: Organisation, policy: Policy) -> None:
    organisation.media_retention_days = policy.media_days
    organisation.results_retention_days = policy.results_days


def organisations_with_policy(session: Session) -> list[Organisation]:
    return list(
        session.scalars(
            select(Organisation)
            .where(
                or_(
                    Organisation.media_retention_days.is_not(None),
                    Organisation.results_retention_days.is_not(None),
                )
            )
            .order_by(Organisation.id)
        )
    )


def cutoff(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def sweep_media_batch(
    session: Session, store: ObjectStore, organisation_id: str, before: datetime, limit: int
) -> int:
    """Remove up to `limit` of the organisation's recordings created before `before`."""
    rows = session.scalars(
        select(Media)
        .where(
            Media.organisation_id == organisation_id,
            Media.visibility == SWEPT_VISIBILITY,
            Media.status != "pending",
            Media.created_at < before,
        )
        .order_by(Media.created_at, Media.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    return remove_media(session, store, rows)


def remove_media(session: Session, store: ObjectStore, rows: list[Media]) -> int:
    """Objects first, then rows. An unreachable store raises, and the batch rolls back."""
    for media in rows:
        remove_objects(store, media)
        detach_from_words(session, media.organisation_id, media.id)
        session.delete(media)
    session.flush()
    return len(rows)


def sweep_results_batch(
    session: Session, organisation_id: str, before: datetime, limit: int
) -> int:
    """Remove up to `limit` of the organisation's jobs finished before `before`, with the
    webhook events that carried their results."""
    ids = list(
        session.scalars(
            select(Job.id)
            .where(
                Job.organisation_id == organisation_id,
                Job.status.in_(TERMINAL_STATUSES),
                Job.finished_at < before,
                # A learner's data export goes once its zip has expired (the
                # job names the object the sweep removes then).
                or_(Job.type != EXPORT_JOB_TYPE, Job.result["expired"].as_string().is_not(None)),
            )
            .order_by(Job.finished_at, Job.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    return remove_jobs(session, organisation_id, ids)


def sweep_plans_batch(session: Session, organisation_id: str, before: datetime, limit: int) -> int:
    """Remove up to `limit` of the organisation's learning plans made before `before`."""
    return _sweep_rows(
        session, LearningPlan, organisation_id, LearningPlan.created_at, before, limit
    )


def sweep_conversations_batch(
    session: Session, organisation_id: str, before: datetime, limit: int
) -> int:
    """Remove up to `limit` of the organisation's conversation sessions (their messages,
    transcripts and feedback with them) ended, or started and left, before `before`."""
    ended = func.coalesce(ConversationSession.ended_at, ConversationSession.created_at)
    return _sweep_rows(session, ConversationSession, organisation_id, ended, before, limit)


def _sweep_rows(
    session: Session, model: Any, organisation_id: str, when: Any, before: datetime, limit: int
) -> int:
    ids = list(
        session.scalars(
            select(model.id)
            .where(model.organisation_id == organisation_id, when < before)
            .order_by(when, model.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        session.execute(
            delete(model)
            .where(model.organisation_id == organisation_id, model.id.in_(ids))
            .execution_options(synchronize_session=False)
        )
    return len(ids)


def remove_jobs(session: Session, organisation_id: str, ids: list[str]) -> int:
    if not ids:
        return 0
    session.execute(
        delete(WebhookEvent)
        .where(WebhookEvent.organisation_id == organisation_id, WebhookEvent.job_id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(Job)
        .where(Job.organisation_id == organisation_id, Job.id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    return len(ids)
