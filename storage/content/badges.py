"""Badges: declarative rules evaluated when a learning event happens.

A rule names the events that may earn it, a measure of the learner and the threshold the
measure must reach. An award is an `INSERT ... ON CONFLICT DO NOTHING` against the unique
(user, badge) constraint, so a retried or concurrent event awards a badge once, and only
the transaction whose insert took records `badge.awarded`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.levels import CEFR_LEVELS
from storage.ids import new_id
from storage.learning import events
from storage.learning.srs import MASTERY_INTERVAL_DAYS
from storage.models.content import BadgeAward, CourseProgress, LessonProgress
from storage.models.jobs import Job
from storage.models.learning import LearningProfile, Streak, WordMemory

CONTENT_EVENTS = ("lesson.completed", "course.completed", "quiz.graded")
ACTIVITY_EVENTS = (*CONTENT_EVENTS, "assessment.succeeded")
# A vocabulary review is a day of learning and may master a word.
REVIEW_EVENT = "study.review.recorded"


@dataclass(frozen=True)
class BadgeRule:
    code: str
    name: str
    description: str
    on: tuple[str, ...]
    measure: str
    at_least: float


RULES: tuple[BadgeRule, ...] = (
    BadgeRule(
        "first_lesson",
        "First lesson",
        "Completed a first lesson.",
        ("lesson.completed",),
        "lessons_completed",
        1,
    ),
    BadgeRule(
        "ten_lessons",
        "Ten lessons",
        "Completed ten lessons.",
        ("lesson.completed",),
        "lessons_completed",
        10,
    ),
    BadgeRule(
        "streak_3",
        "Three-day streak",
        "Learned three days in a row.",
        (*ACTIVITY_EVENTS, REVIEW_EVENT),
        "current_streak",
        3,
    ),
    BadgeRule(
        "streak_7",
        "Seven-day streak",
        "Learned seven days in a row.",
        (*ACTIVITY_EVENTS, REVIEW_EVENT),
        "current_streak",
        7,
    ),
    BadgeRule(
        "level_a2",
        "Level A2 reached",
        "Assessed at A2 or above in a language.",
        ACTIVITY_EVENTS,
        "best_level",
        CEFR_LEVELS.index("A2") + 1,
    ),
    BadgeRule(
        "level_b1",
        "Level B1 reached",
        "Assessed at B1 or above in a language.",
        ACTIVITY_EVENTS,
        "best_level",
        CEFR_LEVELS.index("B1") + 1,
    ),
    BadgeRule(
        "words_50",
        "Fifty words mastered",
        "Fifty words reviewed to mastery.",
        (*ACTIVITY_EVENTS, REVIEW_EVENT),
        "words_mastered",
        50,
    ),
    BadgeRule(
        "course_completed",
        "Course completed",
        "Completed every lesson of a course.",
        ("course.completed",),
        "courses_completed",
        1,
    ),
    BadgeRule(
        "perfect_quiz",
        "Perfect quiz",
        "Scored 100 % on a quiz.",
        ("quiz.graded",),
        "quiz_percent",
        100,
    ),
)
BY_CODE = {rule.code: rule for rule in RULES}


def _lessons_completed(session: Session, user_id: str, _: dict[str, Any]) -> float:
    return (
        session.scalar(
            select(func.count())
            .select_from(LessonProgress)
            .where(LessonProgress.user_id == user_id, LessonProgress.completed.is_(True))
        )
        or 0
    )


def _courses_completed(session: Session, user_id: str, _: dict[str, Any]) -> float:
    return (
        session.scalar(
            select(func.count())
            .select_from(CourseProgress)
            .where(CourseProgress.user_id == user_id, CourseProgress.completed_at.is_not(None))
        )
        or 0
    )


def _current_streak(session: Session, user_id: str, _: dict[str, Any]) -> float:
    return session.scalar(select(Streak.current).where(Streak.user_id == user_id)) or 0


def _best_level(session: Session, user_id: str, _: dict[str, Any]) -> float:
    levels = session.scalars(
        select(LearningProfile.level).where(LearningProfile.user_id == user_id)
    )
    return max((CEFR_LEVELS.index(lv) + 1 for lv in levels if lv in CEFR_LEVELS), default=0)


def _words_mastered(session: Session, user_id: str, _: dict[str, Any]) -> float:
    return (
        session.scalar(
            select(func.count())
            .select_from(WordMemory)
            .where(WordMemory.user_id == user_id, WordMemory.interval_days >= MASTERY_INTERVAL_DAYS)
        )
        or 0
    )


def _quiz_percent(_: Session, __: str, data: dict[str, Any]) -> float:
    if data.get("kind") != "quiz" or data.get("status") != "graded":
        return 0
    return float(data.get("percent") or 0)


MEASURES: dict[str, Callable[[Session, str, dict[str, Any]], float]] = {
    "lessons_completed": _lessons_completed,
    "courses_completed": _courses_completed,
    "current_streak": _current_streak,
    "best_level": _best_level,
    "words_mastered": _words_mastered,
    "quiz_percent": _quiz_percent,
}


def award(
    session: Session,
    organisation_id: str,
    user_id: str,
    rule: BadgeRule,
    reason: dict[str, Any],
    now: datetime,
) -> bool:
    """Insert the award unless the learner has it; True when this call awarded it."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(BadgeAward)
        .values(
            id=new_id("bdg"),
            organisation_id=organisation_id,
            user_id=user_id,
            badge=rule.code,
            reason=reason,
            awarded_at=now,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "badge"])
        .returning(BadgeAward.id)
    )
    awarded = session.execute(stmt).first()
    if awarded is None:
        return False
    events.record_event(
        session,
        organisation_id,
        "badge.awarded",
        {
            "award_id": awarded[0],
            "user_id": user_id,
            "badge": rule.code,
            "name": rule.name,
            "description": rule.description,
            "reason": reason,
            "awarded_at": now.isoformat(),
        },
        user_id=user_id,
        occurred_at=now,
    )
    return True


def on_event(
    session: Session,
    event_type: str,
    organisation_id: str,
    user_id: str,
    data: dict[str, Any],
    now: datetime,
) -> list[str]:
    """Evaluate the rules listening to `event_type`; returns the badges awarded now."""
    owned = set(session.scalars(select(BadgeAward.badge).where(BadgeAward.user_id == user_id)))
    awarded = []
    for rule in RULES:
        if event_type not in rule.on or rule.code in owned:
            continue
        value = MEASURES[rule.measure](session, user_id, data)
        if value >= rule.at_least and award(
            session,
            organisation_id,
            user_id,
            rule,
            {"event": event_type, "measure": rule.measure, "value": value},
            now,
        ):
            awarded.append(rule.code)
    return awarded


def on_job_terminal(session: Session, job: Job) -> None:
    """Terminal hook of the job engine: a succeeded assessment may reach a level or extend a
    streak (runs after the learner's level and streak were updated)."""
    if job.status == "succeeded" and job.learner_user_id and "assessment" in job.type:
        on_event(
            session,
            "assessment.succeeded",
            job.organisation_id,
            job.learner_user_id,
            {"job_id": job.id},
            job.finished_at,
        )


def awards_query(organisation_id: str, user_id: str):
    return (
        select(BadgeAward)
        .where(BadgeAward.organisation_id == organisation_id, BadgeAward.user_id == user_id)
        .order_by(BadgeAward.awarded_at, BadgeAward.id)
    )


def badge_view(award_row: BadgeAward) -> dict[str, Any]:
    rule = BY_CODE.get(award_row.badge)
    return {
        "id": award_row.id,
        "badge": award_row.badge,
        "name": rule.name if rule else award_row.badge,
        "description": rule.description if rule else "",
        "reason": award_row.reason,
        "awarded_at": award_row.awarded_at,
    }
