"""Exercises and quizzes of a lesson: their items are checked when written (an item with
no correct answer, a malformed one: 422 `exercise_invalid` with a problem per item), and
learners see them without the answers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipelines.grading import check_items, public_item
from storage.actor import Actor
from storage.content.courses import (
    close_position,
    get_course,
    move_position,
    open_position,
    require_author,
)
from storage.content.lessons import get_lesson
from storage.errors import NotFound, Unprocessable
from storage.ids import new_id
from storage.models.content import Course, Exercise

EXERCISE_FIELDS = ("title", "kind", "instructions", "max_attempts", "pass_score")


def checked_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items as stored, or 422 naming every problem."""
    checked, problems = check_items(items)
    if problems:
        first = problems[0]
        code = (
            "exercise_no_correct_answer"
            if first.code == "no_correct_answer"
            else ("exercise_invalid")
        )
        raise Unprocessable(
            f"Item {first.item!r}: {first.message}",
            code=code,
            details={
                "items": [
                    {"item_id": p.item, "code": p.code, "message": p.message} for p in problems
                ]
            },
        )
    return checked


def exercises_of(session: Session, lesson_id: str) -> list[Exercise]:
    return list(
        session.scalars(
            select(Exercise).where(Exercise.lesson_id == lesson_id).order_by(Exercise.position)
        )
    )


def create_exercise(
    session: Session, actor: Actor, lesson_id: str, data: dict[str, Any]
) -> Exercise:
    require_author(actor)
    lesson = get_lesson(session, actor, lesson_id)
    course = get_course(session, actor, lesson.course_id, for_update=True)
    items = checked_items(data.get("items") or [])
    position = open_position(
        session, Exercise, Exercise.lesson_id, lesson.id, data.get("position"), "exercise"
    )
    exercise = Exercise(
        id=new_id("exr"),
        organisation_id=course.organisation_id,
        lesson_id=lesson.id,
        course_id=course.id,
        position=position,
        items=items,
        instructions="",
        kind="exercise",
        pass_score=0.7,
    )
    for name in EXERCISE_FIELDS:
        if name in data and data[name] is not None:
            setattr(exercise, name, data[name])
    session.add(exercise)
    session.flush()
    return exercise


def get_exercise(session: Session, actor: Actor, exercise_id: str) -> Exercise:
    exercise = session.scalar(
        select(Exercise).where(
            Exercise.id == exercise_id, Exercise.organisation_id == actor.organisation_id
        )
    )
    course = session.get(Course, exercise.course_id) if exercise is not None else None
    if (
        exercise is None
        or course is None
        or (course.status != "published" and not actor.is_staff())
    ):
        raise NotFound(f"No exercise with id {exercise_id!r}.", code="exercise_not_found")
    return exercise


def update_exercise(
    session: Session, actor: Actor, exercise_id: str, data: dict[str, Any]
) -> Exercise:
    require_author(actor)
    exercise = get_exercise(session, actor, exercise_id)
    get_course(session, actor, exercise.course_id, for_update=True)
    session.refresh(exercise)
    if "items" in data:
        exercise.items = checked_items(data["items"] or [])
    for name in EXERCISE_FIELDS:
        if name in data:
            setattr(exercise, name, data[name])
    if data.get("position") is not None and data["position"] != exercise.position:
        move_position(
            session, exercise, Exercise.lesson_id, exercise.lesson_id, data["position"], "exercise"
        )
    session.flush()
    return exercise


def delete_exercise(session: Session, actor: Actor, exercise_id: str) -> None:
    require_author(actor)
    exercise = get_exercise(session, actor, exercise_id)
    get_course(session, actor, exercise.course_id, for_update=True)
    session.refresh(exercise)
    session.delete(exercise)
    session.flush()
    close_position(session, Exercise, Exercise.lesson_id, exercise.lesson_id, exercise.position)


def exercise_view(exercise: Exercise, *, with_answers: bool) -> dict[str, Any]:
    """The exercise as its reader may see it: authors with the answers, learners without."""
    items = exercise.items if with_answers else [public_item(i) for i in exercise.items]
    return {
        "id": exercise.id,
        "lesson_id": exercise.lesson_id,
        "course_id": exercise.course_id,
        "title": exercise.title,
        "kind": exercise.kind,
        "instructions": exercise.instructions,
        "items": items,
        "max_attempts": exercise.max_attempts,
        "pass_score": exercise.pass_score,
        "position": exercise.position,
        "created_at": exercise.created_at,
        "updated_at": exercise.updated_at,
    }
