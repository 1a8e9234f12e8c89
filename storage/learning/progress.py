"""Streaks kept in the database, their hourly reset, a learner's stats, and what a finished
assessment adds (a streak day, the measured CEFR level). Functions never commit."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.levels import CEFR_LEVELS
from storage import usage
from storage.actor import Actor
from storage.db import utcnow
from storage.errors import Forbidden
from storage.learning import events, streaks
from storage.learning.access import user_in_organisation
from storage.learning.srs import MASTERY_INTERVAL_DAYS
from storage.models.identity import User
from storage.models.jobs import Job
from storage.models.learning import (
    LearningProfile,
    Review,
    Streak,
    StudySession,
    WordMemory,
)

log = logging.getLogger(__name__)

STREAK_RESET_EVENT = "streak.reset"


def learner_zone(user: User) -> ZoneInfo:
    """The learner's timezone; UTC when the stored name is not a known zone."""
    try:
        return streaks.resolve_timezone(user.timezone or "UTC")
    except ValueError:
        log.warning("user %s has an unknown timezone %r; using UTC", user.id, user.timezone)
        return ZoneInfo("UTC")


def _state(row: Streak) -> streaks.StreakState:
    return streaks.StreakState(row.current, row.longest, row.last_active_date)


def _locked_streak(session: Session, organisation_id: str, user_id: str) -> Streak:
    stmt = select(Streak).where(Streak.user_id == user_id).with_for_update()
    row = session.scalars(stmt).first()
    if row is not None:
        return row
    row = Streak(user_id=user_id, organisation_id=organisation_id, current=0, longest=0)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # Another transaction created it first: wait for its lock instead.
        row = session.scalars(stmt).one()
    return row


def record_activity(
    session: Session, organisation_id: str, user_id: str, at: datetime
) -> Streak | None:
    """Count a qualifying activity at `at` on the learner's local day."""
    user = session.get(User, user_id)
    if user is None:
        return None
    row = _locked_streak(session, organisation_id, user_id)
    state = streaks.record_activity(_state(row), at, learner_zone(user))
    row.current, row.longest, row.last_active_date = (
        state.current,
        state.longest,
        state.last_active_local_date,
    )
    return row


def _reset(session: Session, row: Streak, now: datetime, reason: str) -> None:
    previous = row.current
    row.current = 0
    row.last_reset_at = now
    events.record_event(
        session,
        row.organisation_id,
        STREAK_RESET_EVENT,
        {
            "user_id": row.user_id,
            "previous_streak": previous,
            "longest_streak": row.longest,
            "last_active_date": row.last_active_date.isoformat() if row.last_active_date else None,
            "reason": reason,
            "reset_at": now.isoformat(),
        },
        user_id=row.user_id,
        occurred_at=now,
    )


def reset_broken_streaks(
    session: Session, now: datetime, *, after: str | None = None, limit: int = 500
) -> tuple[list[str], str | None]:
    """Reset, in one batch of at most `limit` running streaks (by user id, after `after`),
    those whose last local active day is before yesterday. Rows are taken FOR UPDATE SKIP
    LOCKED, so a concurrent run skips them; the `current > 0` filter makes a second pass a
    no-op. Returns the reset user ids and the cursor of the next batch (None when done)."""
    # No timezone is more than a day ahead of UTC, so a streak whose last day is today or
    # later in UTC terms cannot be broken yet; the exact test is per learner below.
    stmt = (
        select(Streak, User)
        .join(User, User.id == Streak.user_id)
        .where(Streak.current > 0, Streak.last_active_date < now.astimezone(ZoneInfo("UTC")).date())
        .order_by(Streak.user_id)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(Streak.user_id > after)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=Streak)
    rows = session.execute(stmt).all()
    reset: list[str] = []
    for row, user in rows:
        if streaks.should_reset(_state(row), now, learner_zone(user)):
            _reset(session, row, now, "missed_day")
            reset.append(row.user_id)
    session.flush()
    cursor = rows[-1][0].user_id if len(rows) == limit else None
    return reset, cursor


def reset_on_request(session: Session, actor: Actor, user_id: str, now: datetime) -> Streak:
    """PUT .../streak/reset: the learner themself or an admin of their organisation."""
    user = user_in_organisation(session, user_id, actor.organisation_id)
    if actor.user_id != user.id and actor.role != "admin":
        raise Forbidden("Only the learner or an admin can reset a streak.", code="not_your_record")
    row = _locked_streak(session, user.organisation_id, user.id)
    if row.current > 0:
        _reset(session, row, now, "requested")
    session.flush()
    return row


def streak_view(session: Session, user: User, now: datetime) -> dict[str, Any]:
    row = session.get(Streak, user.id)
    state = _state(row) if row is not None else streaks.StreakState()
    zone = learner_zone(user)
    return {
        "user_id": user.id,
        # The hourly job may not have run yet since the streak broke: show it as broken.
        "current_streak": streaks.current_at(state, now, zone),
        "longest_streak": state.longest,
        "last_active_date": state.last_active_local_date,
        "timezone": zone.key,
    }


# Assessments


def is_assessment(job_type: str) -> bool:
    """Speaking and writing assessment job types (their names contain "assessment")."""
    return "assessment" in job_type


def assessed_level(job: Job) -> tuple[str, str] | None:
    """(language, CEFR level) measured by a finished assessment job, when it says both."""
    result = job.result or {}
    level = result.get("cefr_level")
    cefr = result.get("cefr")
    if level is None and isinstance(cefr, dict):
        level = cefr.get("level")
    elif level is None and isinstance(cefr, str):
        level = cefr
    language = result.get("language") or (job.input or {}).get("language")
    if level in CEFR_LEVELS and isinstance(language, str) and language:
        return language, level
    return None


def on_job_terminal(session: Session, job: Job) -> None:
    """Terminal hook of the job engine: a succeeded assessment is a streak day for its
    learner and sets their level for the language."""
    learner_id = job.learner_user_id
    if job.status != "succeeded" or learner_id is None or not is_assessment(job.type):
        return
    at = job.finished_at or utcnow()
    record_activity(session, job.organisation_id, learner_id, at)
    measured = assessed_level(job)
    if measured is not None:
        from storage.learning.profiles import record_assessed_level

        record_assessed_level(
            session,
            organisation_id=job.organisation_id,
            user_id=learner_id,
            language=measured[0],
            level=measured[1],
            job_id=job.id,
            at=at,
        )


# Stats


def user_stats(session: Session, user: User, now: datetime) -> dict[str, Any]:
    """Progress of one learner: streaks, words, accuracy, time, sessions, levels."""
    memory = select(func.count()).select_from(WordMemory).where(WordMemory.user_id == user.id)
    studied = session.scalar(memory) or 0
    mastered = session.scalar(memory.where(WordMemory.interval_days >= MASTERY_INTERVAL_DAYS))
    reviews, correct = session.execute(
        select(func.count(Review.id), func.count(Review.id).filter(Review.correct.is_(True))).where(
            Review.user_id == user.id
        )
    ).one()
    spans = session.execute(
        select(StudySession.started_at, StudySession.ended_at, StudySession.last_activity_at).where(
            StudySession.user_id == user.id
        )
    ).all()
    seconds = sum(
        max(timedelta(0), (ended or last) - started).total_seconds()
        for started, ended, last in spans
    )
    from storage.content.progress import lesson_seconds

    on_lessons, lessons_completed = lesson_seconds(session, user.id)
    seconds += on_lessons
    assessments = (
        session.scalar(
            select(func.count())
            .select_from(Job)
            .where(
                Job.learner_user_id == user.id,
                Job.organisation_id == user.organisation_id,
                Job.status == "succeeded",
                Job.type.contains("assessment"),
            )
        )
        or 0
    )
    profiles = session.scalars(
        select(LearningProfile)
        .where(LearningProfile.user_id == user.id)
        .order_by(LearningProfile.language)
    ).all()
    streak = streak_view(session, user, now)
    return {
        "user_id": user.id,
        "current_streak": streak["current_streak"],
        "longest_streak": streak["longest_streak"],
        "last_active_date": streak["last_active_date"],
        "timezone": streak["timezone"],
        "words_studied": studied,
        "words_mastered": mastered or 0,
        "reviews": reviews,
        "correct_reviews": correct,
        "accuracy": round(100.0 * correct / reviews, 1) if reviews else None,
        "minutes_studied": round(seconds / 60.0, 1),
        "sessions": len(spans),
        "lessons_completed": lessons_completed,
        "assessments_taken": assessments,
        "levels": [
            {"language": p.language, "level": p.level, "source": p.level_source} for p in profiles
        ],
        "usage": usage.activity_totals(session, user.organisation_id, user.id),
    }
