"""What a learner should do next, each with the reason shown.

Sources, in this order (a lesson is recommended once, for its first reason):
1. `unfinished_course`: the next lesson, in course order, of a course the learner started;
2. `weak_skill`: lessons for the skill of the weakest sub-score (below 60) of the learner's
   latest assessment;
3. `level_gap`: lessons from the learner's level up to the target level (default: one above),
   in the language of their profile;
4. `due_vocabulary`: the words due for spaced-repetition review;
5. `quiz_to_retry`: exercises whose best attempt did not pass and that have attempts left.
Only published content of the learner's organisation is recommended.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.levels import CEFR_LEVELS
from storage.models.content import (
    Attempt,
    Chapter,
    Course,
    CourseProgress,
    Exercise,
    Lesson,
    LessonProgress,
)
from storage.models.jobs import Job
from storage.models.learning import LearningProfile, WordMemory

WEAK_BELOW = 60
# Assessment sub-scores -> the lesson skills that train them.
SKILL_OF = {
    "pronunciation": ("pronunciation", "speaking"),
    "fluency": ("speaking",),
    "grammar": ("grammar", "writing"),
    "vocabulary": ("vocabulary",),
    "coherence": ("writing", "speaking"),
    "task_achievement": ("writing",),
    "spelling": ("writing",),
}


def _published_lessons(organisation_id: str):
    return (
        select(Lesson)
        .join(Course, Course.id == Lesson.course_id)
        .join(Chapter, Chapter.id == Lesson.chapter_id)
        .where(Lesson.organisation_id == organisation_id, Course.status == "published")
        .order_by(Course.created_at, Chapter.position, Lesson.position)
    )


def _lesson(lesson: Lesson, code: str, reason: str) -> dict[str, Any]:
    return {
        "type": "lesson",
        "id": lesson.id,
        "title": lesson.title,
        "course_id": lesson.course_id,
        "level": lesson.level,
        "skill": lesson.skill,
        "reason_code": code,
        "reason": reason,
    }


def recommend(
    session: Session,
    organisation_id: str,
    user_id: str,
    now: datetime,
    *,
    language: str | None = None,
    target_level: str | None = None,
    limit: int = 10,
) -> list[dict[str, Any]]:
    done = set(
        session.scalars(
            select(LessonProgress.lesson_id).where(
                LessonProgress.user_id == user_id, LessonProgress.completed.is_(True)
            )
        )
    )
    out: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(lesson: Lesson, code: str, reason: str) -> None:
        if lesson.id not in seen and lesson.id not in done:
            seen.add(lesson.id)
            out.append(_lesson(lesson, code, reason))

    lessons = _published_lessons(organisation_id)
    if language:
        lessons = lessons.where(Course.language == language)
    started = session.execute(
        select(CourseProgress.course_id, Course.title)
        .join(Course, Course.id == CourseProgress.course_id)
        .where(CourseProgress.user_id == user_id, CourseProgress.completed_at.is_(None))
    ).all()
    for course_id, title in started:
        nxt = session.scalars(
            lessons.where(Lesson.course_id == course_id, Lesson.id.not_in(done or {""})).limit(1)
        ).first()
        if nxt is not None:
            add(nxt, "unfinished_course", f"Next lesson of “{title}”, which you started.")
    weak = _weakest_subscore(session, organisation_id, user_id)
    if weak is not None:
        name, value = weak
        skills = SKILL_OF.get(name, (name,))
        for lesson in session.scalars(lessons.where(Lesson.skill.in_(skills)).limit(20)):
            add(
                lesson,
                "weak_skill",
                f"Your latest assessment scored {name} {value}/100; "
                f"this lesson trains {lesson.skill}.",
            )
    for profile in session.scalars(
        select(LearningProfile).where(LearningProfile.user_id == user_id)
    ):
        if language and profile.language != language or profile.level not in CEFR_LEVELS:
            continue
        low = CEFR_LEVELS.index(profile.level)
        high = (
            CEFR_LEVELS.index(target_level)
            if target_level in CEFR_LEVELS
            else min(low + 1, len(CEFR_LEVELS) - 1)
        )
        wanted = CEFR_LEVELS[low : high + 1]
        for lesson in session.scalars(
            lessons.where(Course.language == profile.language, Lesson.level.in_(wanted)).limit(20)
        ):
            add(
                lesson,
                "level_gap",
                f"You are at {profile.level} in {profile.language}; "
                f"this {lesson.level} lesson leads towards "
                f"{CEFR_LEVELS[high]}.",
            )
    due = (
        session.scalar(
            select(func.count())
            .select_from(WordMemory)
            .where(WordMemory.user_id == user_id, WordMemory.due_at <= now)
        )
        or 0
    )
    if due:
        out.append(
            {
                "type": "vocabulary_review",
                "id": None,
                "title": f"Review {due} words",
                "course_id": None,
                "level": None,
                "skill": "vocabulary",
                "reason_code": "due_vocabulary",
                "reason": f"{due} words are due for review (GET /words/due).",
            }
        )
    out.extend(_quizzes_to_retry(session, organisation_id, user_id))
    return out[:limit]


def _weakest_subscore(
    session: Session, organisation_id: str, user_id: str
) -> tuple[str, int] | None:
    latest = session.scalar(
        select(Job.result)
        .where(
            Job.organisation_id == organisation_id,
            Job.learner_user_id == user_id,
            Job.status == "succeeded",
            Job.type.contains("assessment"),
        )
        .order_by(Job.finished_at.desc())
        .limit(1)
    )
    scores = (latest or {}).get("scores") or {}
    sub = [
        (k, int(v))
        for k, v in scores.items()
        if k != "overall" and isinstance(v, int | float) and not isinstance(v, bool)
    ]
    weakest = min(sub, key=lambda kv: kv[1], default=None)
    return weakest if weakest is not None and weakest[1] < WEAK_BELOW else None


def _quizzes_to_retry(session: Session, organisation_id: str, user_id: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Exercise, func.max(Attempt.percent), func.count(Attempt.id))
        .join(Attempt, Attempt.exercise_id == Exercise.id)
        .where(
            Attempt.learner_user_id == user_id,
            Attempt.organisation_id == organisation_id,
            Attempt.status == "graded",
        )
        .group_by(Exercise.id)
    ).all()
    out = []
    for exercise, best, used in rows:
        if best is None or best >= 100 * exercise.pass_score:
            continue
        if exercise.max_attempts is not None and used >= exercise.max_attempts:
            continue
        out.append(
            {
                "type": "exercise",
                "id": exercise.id,
                "title": exercise.title,
                "course_id": exercise.course_id,
                "level": None,
                "skill": None,
                "reason_code": "quiz_to_retry",
                "reason": f"Your best score is {best:g} %, below the "
                f"{100 * exercise.pass_score:g} % needed to pass.",
            }
        )
    return out
