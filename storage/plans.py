"""Plan content and plan pages: what the platform has to fill a plan's weeks (the learner's
words due for review, the speaking-task catalogue, the organisation's course lessons), and a
stored plan's schedule a page of weeks at a time. Functions take the session and never commit."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.levels import CEFR_LEVELS
from storage.db import utcnow
from storage.learning.study import due_words_query
from storage.models.text import LearningPlan
from storage.speech.catalogue import load_catalogue

LEVELS = CEFR_LEVELS
MAX_REVIEW_WORDS = 100
MAX_PLAN_LESSONS = 500
RESULT_WEEKS = 12  # weeks of the schedule a job result and a plan read carry inline


def review_word_ids(
    session: Session, organisation_id: str, user_id: str | None, language: str
) -> list[str]:
    """The learner's words due for spaced-repetition review in `language`, most overdue
    first (none for a plan that is for no learner)."""
    if user_id is None:
        return []
    stmt = due_words_query(organisation_id, user_id, utcnow(), language=language)
    return list(session.scalars(select(stmt.subquery().c.id).limit(MAX_REVIEW_WORDS)))


def speaking_tasks(
    language: str, current: str | None, target: str, chosen: list[str]
) -> list[dict[str, str]]:
    """Speaking tasks for a plan: the ones the request chose (in its order), else the
    catalogue's tasks in the language from the learner's level up to the target."""
    _, prompts = load_catalogue()
    by_id = {p["id"]: p for p in prompts}
    if chosen:
        return [{"id": p, "title": by_id[p]["title"] if p in by_id else ""} for p in chosen]
    low = 0 if current is None else LEVELS.index(current)
    wanted = LEVELS[low : LEVELS.index(target) + 1]
    rows = [p for p in prompts if p["language"] == language and p["level"] in wanted]
    rows.sort(key=lambda p: (LEVELS.index(p["level"]), p["id"]))
    return [{"id": p["id"], "title": p["title"]} for p in rows]


def plan_lessons(session: Session, organisation_id: str, user_id: str | None, language: str,
                 current: str | None, target: str) -> list[dict[str, str]]:
    """Lessons of the organisation's published courses in `language`, from the learner's
    level up to the target (lessons without a level too), in course order, without those
    the learner completed."""
    from storage.models.content import Chapter, Course, Lesson, LessonProgress

    low = 0 if current is None else LEVELS.index(current)
    wanted = LEVELS[low : LEVELS.index(target) + 1]
    stmt = (select(Lesson.id, Lesson.title, Lesson.skill)
            .join(Course, Course.id == Lesson.course_id)
            .join(Chapter, Chapter.id == Lesson.chapter_id)
            .where(Lesson.organisation_id == organisation_id, Course.status == "published",
                   Course.language == language, Lesson.skill.is_not(None),
                   or_(Lesson.level.in_(wanted), Lesson.level.is_(None)))
            .order_by(Course.created_at, Course.id, Chapter.position, Lesson.position)
            .limit(MAX_PLAN_LESSONS))
    if user_id is not None:
        done = select(LessonProgress.lesson_id).where(LessonProgress.user_id == user_id,
                                                      LessonProgress.completed.is_(True))
        stmt = stmt.where(Lesson.id.not_in(done))
    return [{"id": i, "title": t, "skill": k} for i, t, k in session.execute(stmt)]


def inline_schedule(plan: dict[str, Any], plan_id: str) -> dict[str, Any]:
    """The plan with its first RESULT_WEEKS weeks inline and where the rest is paged."""
    schedule = plan.get("schedule") or []
    return {
        **plan,
        "schedule": schedule[:RESULT_WEEKS],
        "schedule_page": {
            "weeks_total": len(schedule),
            "weeks_inline": min(len(schedule), RESULT_WEEKS),
            "pages": f"/api/v1/plans/{plan_id}/weeks?page=1&per_page={RESULT_WEEKS}",
        },
    }


def plan_detail(plan: LearningPlan) -> dict[str, Any]:
    """A stored plan for reading: its columns, and the plan with the first weeks inline."""
    columns = {c.key: getattr(plan, c.key) for c in LearningPlan.__table__.columns}
    return {**columns, "plan": inline_schedule(plan.plan or {}, plan.id)}


def plan_weeks(plan: LearningPlan, page: int, per_page: int) -> dict[str, Any]:
    """One page of a stored plan's weeks; a page past the end is empty with the totals."""
    schedule = (plan.plan or {}).get("schedule") or []
    start = (page - 1) * per_page
    return {
        "items": schedule[start : start + per_page],
        "pagination": {
            "current_page": page,
            "total_pages": math.ceil(len(schedule) / per_page) if schedule else 0,
            "total_items": len(schedule),
            "items_per_page": per_page,
        },
    }
