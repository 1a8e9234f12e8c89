"""Learning plans: the job input of a plan request (whose plan, from which level), what the
platform has to fill a plan's weeks (the organisation's words, the learner's words due for
review, the speaking-task catalogue, the organisation's course lessons), the stored plan, and
its schedule a page of weeks at a time. Functions take the session and never commit."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from core.levels import CEFR_LEVELS
from storage.actor import Actor
from storage.assessments import latest_assessment
from storage.db import utcnow
from storage.errors import NotFound, Unprocessable
from storage.ids import new_id
from storage.learning.access import readable_user
from storage.learning.study import due_words_query
from storage.models.jobs import Job
from storage.models.learning import Word
from storage.models.plans import LearningPlan
from storage.speech.catalogue import load_catalogue
from storage.tenancy import get_owned, tenant_select

LEVELS = CEFR_LEVELS
MAX_PLAN_WORDS = 300
MAX_REVIEW_WORDS = 100
MAX_PLAN_LESSONS = 500
RESULT_WEEKS = 12  # weeks of the schedule a job result and a plan read carry inline


def plan_request(session: Session, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """The job input of a plan request: whose plan, the current level (given, or from the
    learner's latest assessment or profile) and the sub-scores that set the focus."""
    user_id = data.pop("user_id", None) or actor.user_id
    if user_id is not None:
        readable_user(session, actor, user_id)
    given = data.pop("current_level", None)
    latest = (
        latest_assessment(session, actor.organisation_id, user_id, data["language"])
        if (user_id)
        else None
    )
    if given == "pre-A1":
        current, source = None, "request"
    elif given is not None:
        current, source = given, "request"
    elif latest is not None and latest.level:
        current, source = latest.level, latest.source
    else:
        raise Unprocessable(
            'No current level: give `current_level` (or "pre-A1"), or take an assessment '
            "in this language first.",
            code="current_level_unknown",
        )
    target = data["target_level"]
    if current is not None and LEVELS.index(target) <= LEVELS.index(current):
        raise Unprocessable(
            f"The target level {target} must be above the current level {current}.",
            code="target_not_above_current",
        )
    return {
        **data,
        "user_id": user_id,
        "current_level": current,
        "current_level_source": source,
        "skill_scores": latest.scores if latest else {},
        "assessment_job_id": latest.job_id if latest else None,
    }


def plan_words(
    session: Session, organisation_id: str, language: str, current: str | None, target: str
) -> list[str]:
    """Word ids for a plan: the organisation's words in the language from the learner's level
    up to the target (unlevelled words last), easiest first."""
    low = 0 if current is None else LEVELS.index(current)
    wanted = LEVELS[low : LEVELS.index(target) + 1]
    rows = session.execute(
        select(Word.id, Word.level)
        .where(Word.organisation_id == organisation_id, Word.language == language)
        .where(Word.level.in_(wanted) | Word.level.is_(None))
        .order_by(Word.created_at, Word.id)
        .limit(MAX_PLAN_WORDS * 2)
    ).all()
    order = {lv: i for i, lv in enumerate(LEVELS)}
    ranked = sorted(rows, key=lambda r: order.get(r.level, len(LEVELS)))
    return [r.id for r in ranked[:MAX_PLAN_WORDS]]


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


def plan_lessons(
    session: Session,
    organisation_id: str,
    user_id: str | None,
    language: str,
    current: str | None,
    target: str,
) -> list[dict[str, str]]:
    """Lessons of the organisation's published courses in `language`, from the learner's
    level up to the target (lessons without a level too), in course order, without those
    the learner completed."""
    from storage.models.content import Chapter, Course, Lesson, LessonProgress

    low = 0 if current is None else LEVELS.index(current)
    wanted = LEVELS[low : LEVELS.index(target) + 1]
    stmt = (
        select(Lesson.id, Lesson.title, Lesson.skill)
        .join(Course, Course.id == Lesson.course_id)
        .join(Chapter, Chapter.id == Lesson.chapter_id)
        .where(
            Lesson.organisation_id == organisation_id,
            Course.status == "published",
            Course.language == language,
            Lesson.skill.is_not(None),
            or_(Lesson.level.in_(wanted), Lesson.level.is_(None)),
        )
        .order_by(Course.created_at, Course.id, Chapter.position, Lesson.position)
        .limit(MAX_PLAN_LESSONS)
    )
    if user_id is not None:
        done = select(LessonProgress.lesson_id).where(
            LessonProgress.user_id == user_id, LessonProgress.completed.is_(True)
        )
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


def save_plan(
    session: Session, job: Job, plan: dict[str, Any], *, user_id: str | None, level_source: str
) -> LearningPlan:
    feasibility = plan["feasibility"]
    row = LearningPlan(
        id=new_id("pln"),
        organisation_id=job.organisation_id,
        user_id=user_id,
        job_id=job.id,
        language=plan["language"],
        current_level=plan["current_level"],
        current_level_source=level_source,
        target_level=plan["target_level"],
        goals=plan["goals"],
        minutes_per_week=plan["minutes_per_week"],
        weeks=plan["weeks"],
        feasible=feasibility["feasible"],
        verdict=feasibility["verdict"],
        estimated_hours=feasibility["hours_needed"]["mid"],
        summary=plan["summary"][:2000],
        plan=plan,
        provider=plan["provider"],
        model=plan["model"],
        prompt_version=plan["prompt_version"],
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def plans_query(
    actor: Actor, *, user_id: str | None = None, language: str | None = None
) -> Select[tuple[LearningPlan]]:
    """Learners list their own plans; staff list the organisation's (or one learner's)."""
    stmt = tenant_select(LearningPlan, actor.organisation_id)
    if not actor.is_staff():
        stmt = stmt.where(LearningPlan.user_id == actor.user_id)
    elif user_id:
        stmt = stmt.where(LearningPlan.user_id == user_id)
    if language:
        stmt = stmt.where(LearningPlan.language == language)
    return stmt.order_by(LearningPlan.created_at.desc(), LearningPlan.id.desc())


def get_plan(session: Session, actor: Actor, plan_id: str) -> LearningPlan:
    plan = get_owned(session, LearningPlan, plan_id, actor.organisation_id, what="plan")
    if not actor.is_staff() and plan.user_id != actor.user_id:
        # Another learner's plan looks exactly like a missing one.
        raise NotFound(f"No plan with id {plan_id!r}.", code="plan_not_found")
    return plan
