"""A chapter's ordered lessons: the same authoring and visibility rules as their course
(`courses`), and every change of order under the course's row lock."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.actor import Actor
from storage.content import search
from storage.content.courses import (
    close_position,
    get_chapter,
    get_course,
    hidden_from,
    missing_ids,
    move_position,
    open_position,
    require_author,
)
from storage.errors import NotFound, Unprocessable
from storage.ids import new_id
from storage.models.content import Course, Lesson
from storage.models.media import Media
from storage.tenancy import get_owned

LESSON_FIELDS = ("title", "level", "skill", "category", "content", "media_ids", "estimated_minutes")


def _check_media(session: Session, organisation_id: str, media_ids: list[str]) -> list[str]:
    wanted = list(dict.fromkeys(media_ids or []))
    if not wanted:
        return []
    missing = missing_ids(session, Media, organisation_id, wanted)
    if missing:
        raise Unprocessable(
            f"No media with id {missing[0]!r} in your organisation.",
            code="media_not_found",
            details={"media_ids": missing},
        )
    return wanted


def lessons_of(session: Session, chapter_id: str) -> list[Lesson]:
    return list(
        session.scalars(
            select(Lesson).where(Lesson.chapter_id == chapter_id).order_by(Lesson.position)
        )
    )


def create_lesson(session: Session, actor: Actor, chapter_id: str, data: dict[str, Any]) -> Lesson:
    require_author(actor)
    chapter = get_chapter(session, actor, chapter_id)
    course = get_course(session, actor, chapter.course_id, for_update=True)
    position = open_position(
        session, Lesson, Lesson.chapter_id, chapter.id, data.get("position"), "lesson"
    )
    lesson = Lesson(
        id=new_id("lsn"),
        organisation_id=course.organisation_id,
        chapter_id=chapter.id,
        course_id=course.id,
        position=position,
        content="",
        media_ids=[],
    )
    for name in LESSON_FIELDS:
        if name in data:
            setattr(lesson, name, data[name])
    lesson.media_ids = _check_media(session, course.organisation_id, lesson.media_ids)
    session.add(lesson)
    session.flush()
    search.index_lesson(session, lesson, course)
    return lesson


def get_lesson(session: Session, actor: Actor, lesson_id: str) -> Lesson:
    lesson = get_owned(session, Lesson, lesson_id, actor.organisation_id, what="lesson")
    course = session.get(Course, lesson.course_id)
    if course is None or hidden_from(actor, course):
        raise NotFound(f"No lesson with id {lesson_id!r}.", code="lesson_not_found")
    return lesson


def update_lesson(session: Session, actor: Actor, lesson_id: str, data: dict[str, Any]) -> Lesson:
    require_author(actor)
    lesson = get_lesson(session, actor, lesson_id)
    course = get_course(session, actor, lesson.course_id, for_update=True)
    session.refresh(lesson)
    for name in LESSON_FIELDS:
        if name in data:
            setattr(lesson, name, data[name])
    lesson.media_ids = _check_media(session, course.organisation_id, lesson.media_ids)
    if data.get("position") is not None and data["position"] != lesson.position:
        move_position(
            session, lesson, Lesson.chapter_id, lesson.chapter_id, data["position"], "lesson"
        )
    session.flush()
    search.index_lesson(session, lesson, course)
    return lesson


def delete_lesson(session: Session, actor: Actor, lesson_id: str) -> None:
    require_author(actor)
    lesson = get_lesson(session, actor, lesson_id)
    get_course(session, actor, lesson.course_id, for_update=True)
    session.refresh(lesson)
    search.forget(session, "lesson", [lesson.id])
    session.delete(lesson)
    session.flush()
    close_position(session, Lesson, Lesson.chapter_id, lesson.chapter_id, lesson.position)
