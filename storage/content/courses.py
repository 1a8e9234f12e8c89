"""Courses and their ordered chapters (the chapters' lessons are in `lessons`).

Teachers, admins and API keys (staff) author their organisation's content and see drafts;
learners read the published courses of their organisation and everything in them. Another
organisation's content, and a draft shown to a learner, look exactly like missing ones.
Every change of order takes the course's row lock, so positions stay 1..n without gaps.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from storage.actor import Actor
from storage.content import ordering, search
from storage.errors import Forbidden, NotFound, Unprocessable
from storage.ids import new_id
from storage.models.content import Chapter, Course, Exercise, Lesson
from storage.tenancy import get_owned, tenant_select


def require_author(actor: Actor) -> None:
    if not actor.is_staff():
        raise Forbidden("Only teachers and admins author content.", code="insufficient_role")


def hidden_from(actor: Actor, course: Course) -> bool:
    return course.status != "published" and not actor.is_staff()


# Courses ---------------------------------------------------------------------------------

COURSE_FIELDS = (
    "title",
    "description",
    "language",
    "level_min",
    "level_max",
    "prerequisites",
    "status",
)


def _check_course(session: Session, organisation_id: str, course: Course) -> None:
    from core.levels import CEFR_LEVELS

    if (
        course.level_min
        and course.level_max
        and (CEFR_LEVELS.index(course.level_min) > CEFR_LEVELS.index(course.level_max))
    ):
        raise Unprocessable("level_min is above level_max.", code="course_level_range")
    wanted = list(dict.fromkeys(course.prerequisites or []))
    if course.id in wanted:
        raise Unprocessable(
            "A course cannot be its own prerequisite.", code="course_prerequisite_cycle"
        )
    if wanted:
        missing = missing_ids(session, Course, organisation_id, wanted)
        if missing:
            raise Unprocessable(
                f"No course {missing[0]!r} to take first.",
                code="course_prerequisite_unknown",
                details={"missing": missing},
            )
    course.prerequisites = wanted


def missing_ids(session: Session, model: Any, organisation_id: str, wanted: list[str]) -> list[str]:
    """The ids in `wanted` that name no row of `model` in the organisation, in order."""
    found = set(
        session.scalars(
            tenant_select(model, organisation_id)
            .where(model.id.in_(wanted))
            .with_only_columns(model.id)
        )
    )
    return [row_id for row_id in wanted if row_id not in found]


def create_course(session: Session, actor: Actor, data: dict[str, Any]) -> Course:
    require_author(actor)
    course = Course(
        id=new_id("crs"),
        organisation_id=actor.organisation_id,
        created_by=actor.user_id,
        description="",
        prerequisites=[],
        status="draft",
    )
    for name in COURSE_FIELDS:
        if name in data:
            setattr(course, name, data[name])
    _check_course(session, actor.organisation_id, course)
    session.add(course)
    session.flush()
    search.index_course(session, course)
    return course


def courses_query(
    actor: Actor,
    *,
    language: str | None = None,
    level: str | None = None,
    status: str | None = None,
) -> Select[tuple[Course]]:
    stmt = tenant_select(Course, actor.organisation_id).order_by(Course.created_at, Course.id)
    if not actor.is_staff():
        stmt = stmt.where(Course.status == "published")
    elif status:
        stmt = stmt.where(Course.status == status)
    if language:
        stmt = stmt.where(Course.language == language)
    if level:
        stmt = stmt.where(
            func.coalesce(Course.level_min, "A1") <= level,
            func.coalesce(Course.level_max, "C2") >= level,
        )
    return stmt


def get_course(
    session: Session, actor: Actor, course_id: str, *, for_update: bool = False
) -> Course:
    course = get_owned(
        session, Course, course_id, actor.organisation_id, what="course", for_update=for_update
    )
    if hidden_from(actor, course):
        raise NotFound(f"No course with id {course_id!r}.", code="course_not_found")
    return course


def update_course(session: Session, actor: Actor, course_id: str, data: dict[str, Any]) -> Course:
    require_author(actor)
    course = get_course(session, actor, course_id, for_update=True)
    before = (course.status, course.language)
    for name in COURSE_FIELDS:
        if name in data:
            setattr(course, name, data[name])
    _check_course(session, actor.organisation_id, course)
    session.flush()
    # Chapters and lessons follow the course's visibility and language.
    search.index_course(session, course, cascade=(course.status, course.language) != before)
    return course


def delete_course(session: Session, actor: Actor, course_id: str) -> None:
    require_author(actor)
    course = get_course(session, actor, course_id, for_update=True)
    search.forget_course(session, course.id)
    session.delete(course)
    session.flush()


# Positions -------------------------------------------------------------------------------


def open_position(
    session: Session, model: Any, parent: Any, parent_id: str, position: int | None, what: str
) -> int:
    """Make room at `position` (1..n+1; None appends) among the parent's rows."""
    count = session.scalar(select(func.count()).select_from(model).where(parent == parent_id))
    count = count or 0
    if position is None:
        return count + 1
    if not 1 <= position <= count + 1:
        raise Unprocessable(
            f"position must be between 1 and {count + 1}: the {what}s run 1..{count} without gaps.",
            code=f"{what}_position_gap",
            details={"max_position": count + 1},
        )
    session.execute(
        update(model)
        .where(parent == parent_id, model.position >= position)
        .values(position=model.position + 1)
        .execution_options(synchronize_session=False)
    )
    return position


def close_position(
    session: Session, model: Any, parent: Any, parent_id: str, position: int
) -> None:
    session.execute(
        update(model)
        .where(parent == parent_id, model.position > position)
        .values(position=model.position - 1)
        .execution_options(synchronize_session=False)
    )


def move_position(
    session: Session, row: Any, parent: Any, parent_id: str, position: int, what: str
) -> None:
    count = (
        session.scalar(select(func.count()).select_from(type(row)).where(parent == parent_id)) or 0
    )
    if not 1 <= position <= count:
        raise Unprocessable(
            f"position must be between 1 and {count}.",
            code=f"{what}_position_gap",
            details={"max_position": count},
        )
    model, old = type(row), row.position
    close_position(session, model, parent, parent_id, old)
    session.execute(
        update(model)
        .where(parent == parent_id, model.position >= position, model.id != row.id)
        .values(position=model.position + 1)
        .execution_options(synchronize_session=False)
    )
    row.position = position


# Chapters --------------------------------------------------------------------------------


def chapters_of(session: Session, course_id: str) -> list[Chapter]:
    return list(
        session.scalars(
            select(Chapter).where(Chapter.course_id == course_id).order_by(Chapter.position)
        )
    )


def chapter_links(chapters: list[Chapter]) -> list[dict[str, Any]]:
    """Each chapter with the reference design's previous/next chapter ids."""
    out = []
    for index, chapter in enumerate(chapters):
        out.append(
            {
                "chapter": chapter,
                "previous_chapter_id": chapters[index - 1].id if index else None,
                "next_chapter_id": chapters[index + 1].id if index + 1 < len(chapters) else None,
            }
        )
    return out


def chapter_view(session: Session, chapter: Chapter) -> dict[str, Any]:
    siblings = chapters_of(session, chapter.course_id)
    return next(v for v in chapter_links(siblings) if v["chapter"].id == chapter.id)


def create_chapter(session: Session, actor: Actor, course_id: str, data: dict[str, Any]) -> Chapter:
    require_author(actor)
    course = get_course(session, actor, course_id, for_update=True)
    position = open_position(
        session, Chapter, Chapter.course_id, course.id, data.get("position"), "chapter"
    )
    chapter = Chapter(
        id=new_id("chp"),
        organisation_id=course.organisation_id,
        course_id=course.id,
        title=data["title"],
        summary=data.get("summary") or "",
        position=position,
    )
    session.add(chapter)
    session.flush()
    search.index_chapter(session, chapter, course)
    return chapter


def get_chapter(session: Session, actor: Actor, chapter_id: str) -> Chapter:
    chapter = get_owned(session, Chapter, chapter_id, actor.organisation_id, what="chapter")
    course = session.get(Course, chapter.course_id)
    if course is None or hidden_from(actor, course):
        raise NotFound(f"No chapter with id {chapter_id!r}.", code="chapter_not_found")
    return chapter


def neighbour(session: Session, actor: Actor, chapter_id: str, step: int) -> Chapter:
    """The next (step 1) or previous (step -1) chapter; 404 at either end."""
    chapter = get_chapter(session, actor, chapter_id)
    found = session.scalar(
        select(Chapter).where(
            Chapter.course_id == chapter.course_id, Chapter.position == chapter.position + step
        )
    )
    if found is None:
        which = "next" if step > 0 else "previous"
        raise NotFound(
            f"Chapter {chapter_id!r} has no {which} chapter.", code=f"no_{which}_chapter"
        )
    return found


def update_chapter(
    session: Session, actor: Actor, chapter_id: str, data: dict[str, Any]
) -> Chapter:
    require_author(actor)
    chapter = get_chapter(session, actor, chapter_id)
    course = get_course(session, actor, chapter.course_id, for_update=True)
    session.refresh(chapter)
    for name in ("title", "summary"):
        if name in data:
            setattr(chapter, name, data[name])
    if data.get("position") is not None and data["position"] != chapter.position:
        move_position(session, chapter, Chapter.course_id, course.id, data["position"], "chapter")
    session.flush()
    search.index_chapter(session, chapter, course)
    return chapter


def delete_chapter(session: Session, actor: Actor, chapter_id: str) -> None:
    require_author(actor)
    chapter = get_chapter(session, actor, chapter_id)
    get_course(session, actor, chapter.course_id, for_update=True)
    session.refresh(chapter)
    lesson_ids = list(session.scalars(select(Lesson.id).where(Lesson.chapter_id == chapter.id)))
    search.forget(session, "chapter", [chapter.id])
    search.forget(session, "lesson", lesson_ids)
    session.delete(chapter)
    session.flush()
    close_position(session, Chapter, Chapter.course_id, chapter.course_id, chapter.position)


def reorder_chapters(
    session: Session,
    actor: Actor,
    course_id: str,
    *,
    chapter_ids: list[str] | None = None,
    links: list[tuple[str, str | None]] | None = None,
) -> list[Chapter]:
    """Set the whole order at once, from a list of ids or from `next` links."""
    require_author(actor)
    course = get_course(session, actor, course_id, for_update=True)
    chapters = {c.id: c for c in chapters_of(session, course.id)}
    if links is not None:
        order = ordering.order_from_links(links, chapters)
    else:
        order = ordering.check_order(chapter_ids or [], chapters)
    for position, chapter_id in enumerate(order, start=1):
        chapters[chapter_id].position = position
    session.flush()
    return [chapters[c] for c in order]


def course_outline(session: Session, course_id: str) -> list[dict[str, Any]]:
    """Chapters in order, each with its lessons in order and their exercise ids."""
    lessons = session.scalars(
        select(Lesson).where(Lesson.course_id == course_id).order_by(Lesson.position)
    ).all()
    exercises = session.execute(
        select(Exercise.id, Exercise.lesson_id)
        .where(Exercise.course_id == course_id)
        .order_by(Exercise.position)
    ).all()
    by_lesson: dict[str, list[str]] = {}
    for exercise_id, lesson_id in exercises:
        by_lesson.setdefault(lesson_id, []).append(exercise_id)
    out = []
    for chapter in chapters_of(session, course_id):
        out.append(
            {
                "chapter": chapter,
                "lessons": [
                    {"lesson": lesson, "exercise_ids": by_lesson.get(lesson.id, [])}
                    for lesson in lessons
                    if lesson.chapter_id == chapter.id
                ],
            }
        )
    return out
