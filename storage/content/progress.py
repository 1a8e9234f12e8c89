"""A learner's progress through lessons, chapters and courses.

Completing a lesson is a streak day (like a review or an assessment) and its time counts in
the learner's stats; the first completion records `lesson.completed`, and the lesson that
completes the last of a course's lessons records `course.completed` once (a conditional
UPDATE of the course's progress row). Chapter and course figures are computed from the
lessons' rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.actor import Actor
from storage.content import badges
from storage.content.courses import get_course
from storage.content.lessons import get_lesson
from storage.errors import Forbidden, Unprocessable
from storage.ids import new_id
from storage.learning import events
from storage.learning.progress import record_activity
from storage.models.content import Chapter, Course, CourseProgress, Lesson, LessonProgress

MAX_LESSON_SECONDS = 24 * 3600


def _locked(session: Session, model: Any, where: list, make: Any) -> Any:
    stmt = select(model).where(*where).with_for_update()
    row = session.scalars(stmt).first()
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = make()
            session.add(row)
            session.flush()
    except IntegrityError:
        row = session.scalars(stmt).one()
    return row


def complete_lesson(
    session: Session,
    actor: Actor,
    lesson_id: str,
    learner_id: str | None,
    *,
    score: float | None,
    time_spent_seconds: int,
    now: datetime,
) -> LessonProgress:
    """Record time on a lesson and mark it completed (again: the time adds up, the best
    score stays)."""
    if learner_id is None:
        raise Unprocessable("Name the learner whose progress this is.", code="learner_required")
    if learner_id != actor.user_id and not actor.is_staff():
        raise Forbidden("Learners record their own progress.", code="learner_not_allowed")
    lesson = get_lesson(session, actor, lesson_id)
    row = _locked(
        session,
        LessonProgress,
        [LessonProgress.user_id == learner_id, LessonProgress.lesson_id == lesson.id],
        lambda: LessonProgress(
            id=new_id("lpr"),
            organisation_id=lesson.organisation_id,
            user_id=learner_id,
            lesson_id=lesson.id,
            chapter_id=lesson.chapter_id,
            course_id=lesson.course_id,
            completed=False,
            time_spent_seconds=0,
        ),
    )
    first_time = not row.completed
    row.completed = True
    row.completed_at = row.completed_at or now
    row.time_spent_seconds = min(
        MAX_LESSON_SECONDS, row.time_spent_seconds + max(0, time_spent_seconds)
    )
    if score is not None:
        row.score = max(row.score or 0.0, score)
    course_row = _locked(
        session,
        CourseProgress,
        [CourseProgress.user_id == learner_id, CourseProgress.course_id == lesson.course_id],
        lambda: CourseProgress(
            id=new_id("cpr"),
            organisation_id=lesson.organisation_id,
            user_id=learner_id,
            course_id=lesson.course_id,
            started_at=now,
        ),
    )
    course_row.last_lesson_id = lesson.id
    session.flush()
    record_activity(session, lesson.organisation_id, learner_id, now)
    if first_time:
        data = {
            "user_id": learner_id,
            "lesson_id": lesson.id,
            "title": lesson.title,
            "chapter_id": lesson.chapter_id,
            "course_id": lesson.course_id,
            "score": row.score,
            "time_spent_seconds": row.time_spent_seconds,
            "completed_at": now.isoformat(),
        }
        events.record_event(
            session,
            lesson.organisation_id,
            "lesson.completed",
            data,
            user_id=learner_id,
            occurred_at=now,
        )
        badges.on_event(session, "lesson.completed", lesson.organisation_id, learner_id, data, now)
        _maybe_complete_course(session, lesson, learner_id, now)
    return row


def _maybe_complete_course(
    session: Session, lesson: Lesson, learner_id: str, now: datetime
) -> None:
    total, done = _lesson_counts(session, learner_id, lesson.course_id)
    if total == 0 or done < total:
        return
    finished = session.execute(
        update(CourseProgress)
        .where(
            CourseProgress.user_id == learner_id,
            CourseProgress.course_id == lesson.course_id,
            CourseProgress.completed_at.is_(None),
        )
        .values(completed_at=now)
        .execution_options(synchronize_session=False)
    )
    if finished.rowcount != 1:
        return
    course = session.get(Course, lesson.course_id)
    seconds = (
        session.scalar(
            select(func.sum(LessonProgress.time_spent_seconds)).where(
                LessonProgress.user_id == learner_id, LessonProgress.course_id == course.id
            )
        )
        or 0
    )
    data = {
        "user_id": learner_id,
        "course_id": course.id,
        "title": course.title,
        "language": course.language,
        "lessons": total,
        "time_spent_seconds": seconds,
        "completed_at": now.isoformat(),
    }
    events.record_event(
        session,
        course.organisation_id,
        "course.completed",
        data,
        user_id=learner_id,
        occurred_at=now,
    )
    badges.on_event(session, "course.completed", course.organisation_id, learner_id, data, now)


def _lesson_counts(session: Session, learner_id: str, course_id: str) -> tuple[int, int]:
    total = (
        session.scalar(
            select(func.count()).select_from(Lesson).where(Lesson.course_id == course_id)
        )
        or 0
    )
    done = (
        session.scalar(
            select(func.count())
            .select_from(LessonProgress)
            .join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .where(
                LessonProgress.user_id == learner_id,
                LessonProgress.course_id == course_id,
                LessonProgress.completed.is_(True),
            )
        )
        or 0
    )
    return total, done


def course_progress(
    session: Session, actor: Actor, course_id: str, learner_id: str
) -> dict[str, Any]:
    """The learner's course: per chapter and per lesson, completed, score and time."""
    course = get_course(session, actor, course_id)
    lessons = session.execute(
        select(Lesson.id, Lesson.chapter_id, Lesson.title)
        .where(Lesson.course_id == course.id)
        .order_by(Lesson.position)
    ).all()
    rows = {
        row.lesson_id: row
        for row in session.scalars(
            select(LessonProgress).where(
                LessonProgress.user_id == learner_id, LessonProgress.course_id == course.id
            )
        )
    }
    state = session.scalar(
        select(CourseProgress).where(
            CourseProgress.user_id == learner_id, CourseProgress.course_id == course.id
        )
    )
    chapters = []
    for chapter in session.scalars(
        select(Chapter).where(Chapter.course_id == course.id).order_by(Chapter.position)
    ):
        mine = [lesson for lesson in lessons if lesson.chapter_id == chapter.id]
        entries = [_lesson_entry(lesson, rows.get(lesson.id)) for lesson in mine]
        chapters.append(
            {
                "chapter_id": chapter.id,
                "title": chapter.title,
                "lessons_total": len(entries),
                "lessons_completed": sum(e["completed"] for e in entries),
                "completed": bool(entries) and all(e["completed"] for e in entries),
                "time_spent_seconds": sum(e["time_spent_seconds"] for e in entries),
                "lessons": entries,
            }
        )
    completed = sum(c["lessons_completed"] for c in chapters)
    return {
        "user_id": learner_id,
        "course_id": course.id,
        "title": course.title,
        "lessons_total": len(lessons),
        "lessons_completed": completed,
        "percent": round(100.0 * completed / len(lessons), 1) if lessons else 0.0,
        "completed": state is not None and state.completed_at is not None,
        "completed_at": state.completed_at if state else None,
        "started_at": state.started_at if state else None,
        "last_lesson_id": state.last_lesson_id if state else None,
        "time_spent_seconds": sum(c["time_spent_seconds"] for c in chapters),
        "chapters": chapters,
    }


def _lesson_entry(lesson: Any, row: LessonProgress | None) -> dict[str, Any]:
    return {
        "lesson_id": lesson.id,
        "title": lesson.title,
        "completed": bool(row and row.completed),
        "score": row.score if row else None,
        "time_spent_seconds": row.time_spent_seconds if row else 0,
        "completed_at": row.completed_at if row else None,
    }


def courses_progress(
    session: Session, organisation_id: str, learner_id: str
) -> list[dict[str, Any]]:
    """Every course the learner started, with lessons done out of all."""
    states = session.scalars(
        select(CourseProgress)
        .where(
            CourseProgress.organisation_id == organisation_id, CourseProgress.user_id == learner_id
        )
        .order_by(CourseProgress.started_at)
    ).all()
    out = []
    for state in states:
        course = session.get(Course, state.course_id)
        total, done = _lesson_counts(session, learner_id, state.course_id)
        out.append(
            {
                "course_id": state.course_id,
                "title": course.title,
                "lessons_total": total,
                "lessons_completed": done,
                "percent": round(100.0 * done / total, 1) if total else 0.0,
                "completed": state.completed_at is not None,
                "completed_at": state.completed_at,
                "started_at": state.started_at,
                "last_lesson_id": state.last_lesson_id,
            }
        )
    return out


def lesson_seconds(session: Session, user_id: str) -> tuple[int, int]:
    """(seconds spent on lessons, lessons completed): counted into the learner's stats."""
    seconds, done = session.execute(
        select(
            func.coalesce(func.sum(LessonProgress.time_spent_seconds), 0),
            func.count().filter(LessonProgress.completed.is_(True)),
        ).where(LessonProgress.user_id == user_id)
    ).one()
    return int(seconds or 0), int(done or 0)
