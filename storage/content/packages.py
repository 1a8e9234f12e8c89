"""Content packages: a whole course as one JSON document (`course.json`), alone or in a zip
with the media files its lessons name.

```
{"format": "course-package/1",
 "course": {"title", "description", "language", "level_min", "level_max", "status"},
 "chapters": [{"title", "summary",
               "lessons": [{"title", "level", "skill", "category", "content",
                            "estimated_minutes", "media": ["media/hello.mp3"],
                            "exercises": [{"title", "kind", "instructions", "max_attempts",
                                           "pass_score", "items": [...]}]}]}]}
```

`check_package` finds every problem first (each with the path of what is wrong, e.g.
`chapters[1].lessons[0].exercises[0].items[i2]`), so a package is either loaded whole or
not at all; `load_package` then writes it through the content services in the caller's
transaction. `export_package` writes a course back in the same format.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core.levels import CEFR_LEVELS
from pipelines.grading import check_items
from storage.content import courses, exercises
from storage.content.lessons import LESSON_FIELDS, create_lesson, lessons_of
from storage.errors import Unprocessable
from storage.models.content import COURSE_STATUSES, EXERCISE_KINDS, SKILLS, Course
from storage.models.media import Media
from storage.tenancy import tenant_select

FORMAT = "course-package/1"
MAX_CHAPTERS = 200
MAX_LESSONS = 2000
# media path in the package -> the media id it became
MediaResolver = Callable[[str], str]


def _text(
    where: str, value: Any, problems: list[dict], *, required: bool = True, limit: int = 200
) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        problems.append(
            {"path": where, "code": "package_field", "message": f"text of 1 to {limit} characters"}
        )


def _choice(where: str, value: Any, allowed: tuple[str, ...], problems: list[dict]) -> None:
    if value is not None and value not in allowed:
        problems.append(
            {"path": where, "code": "package_field", "message": f"one of {', '.join(allowed)}"}
        )


def check_package(document: Any, media_names: set[str] | None = None) -> list[dict]:
    """Every problem of a package, each with its path, code and message."""
    problems: list[dict] = []
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return [
            {
                "path": "format",
                "code": "package_format",
                "message": f'the document must be an object with "format": "{FORMAT}"',
            }
        ]
    course = document.get("course")
    if not isinstance(course, dict):
        return [{"path": "course", "code": "package_field", "message": "an object"}]
    _text("course.title", course.get("title"), problems)
    _text("course.language", course.get("language"), problems, limit=16)
    _text("course.description", course.get("description"), problems, required=False, limit=20_000)
    for name in ("level_min", "level_max"):
        _choice(f"course.{name}", course.get(name), CEFR_LEVELS, problems)
    _choice("course.status", course.get("status"), COURSE_STATUSES, problems)
    chapters = document.get("chapters")
    if not isinstance(chapters, list) or not 1 <= len(chapters) <= MAX_CHAPTERS:
        problems.append(
            {
                "path": "chapters",
                "code": "package_field",
                "message": f"a list of 1 to {MAX_CHAPTERS} chapters",
            }
        )
        return problems
    lesson_count = 0
    for c, chapter in enumerate(chapters):
        where = f"chapters[{c}]"
        if not isinstance(chapter, dict):
            problems.append({"path": where, "code": "package_field", "message": "an object"})
            continue
        _text(f"{where}.title", chapter.get("title"), problems)
        lessons = chapter.get("lessons") or []
        if not isinstance(lessons, list):
            problems.append(
                {"path": f"{where}.lessons", "code": "package_field", "message": "a list"}
            )
            continue
        lesson_count += len(lessons)
        for n, lesson in enumerate(lessons):
            _check_lesson(f"{where}.lessons[{n}]", lesson, media_names, problems)
    if lesson_count > MAX_LESSONS:
        problems.append(
            {
                "path": "chapters",
                "code": "package_too_large",
                "message": f"at most {MAX_LESSONS} lessons",
            }
        )
    return problems


def _check_lesson(
    where: str, lesson: Any, media_names: set[str] | None, problems: list[dict]
) -> None:
    if not isinstance(lesson, dict):
        problems.append({"path": where, "code": "package_field", "message": "an object"})
        return
    _text(f"{where}.title", lesson.get("title"), problems)
    _choice(f"{where}.level", lesson.get("level"), CEFR_LEVELS, problems)
    _choice(f"{where}.skill", lesson.get("skill"), SKILLS, problems)
    _text(f"{where}.content", lesson.get("content"), problems, required=False, limit=200_000)
    for name in lesson.get("media") or []:
        if media_names is None or name not in media_names:
            problems.append(
                {
                    "path": f"{where}.media",
                    "code": "package_media_missing",
                    "message": f"{name!r} is not in the package",
                }
            )
    for e, exercise in enumerate(lesson.get("exercises") or []):
        at = f"{where}.exercises[{e}]"
        if not isinstance(exercise, dict) or not isinstance(exercise.get("items"), list):
            problems.append(
                {"path": at, "code": "package_field", "message": "an object with a list of items"}
            )
            continue
        _text(f"{at}.title", exercise.get("title"), problems)
        _choice(f"{at}.kind", exercise.get("kind"), EXERCISE_KINDS, problems)
        if not exercise["items"]:
            problems.append(
                {"path": f"{at}.items", "code": "package_field", "message": "at least one item"}
            )
        _, item_problems = check_items(exercise["items"])
        problems.extend(
            {"path": f"{at}.items[{p.item}]", "code": p.code, "message": p.message}
            for p in item_problems
        )


def load_package(
    session: Session,
    actor: courses.Actor,
    document: dict[str, Any],
    *,
    media: MediaResolver | None = None,
    media_names: set[str] | None = None,
) -> Course:
    """Check the whole package, then create the course with everything in it."""
    problems = check_package(document, media_names)
    if problems:
        raise Unprocessable(
            f"The package has {len(problems)} problem(s); the first: "
            f"{problems[0]['path']}: {problems[0]['message']}.",
            code="package_invalid",
            details={"problems": problems[:200]},
        )
    spec = document["course"]
    course = courses.create_course(
        session,
        actor,
        {
            k: spec[k]
            for k in ("title", "description", "language", "level_min", "level_max", "status")
            if spec.get(k) is not None
        },
    )
    for chapter_spec in document["chapters"]:
        chapter = courses.create_chapter(
            session,
            actor,
            course.id,
            {"title": chapter_spec["title"], "summary": chapter_spec.get("summary") or ""},
        )
        for lesson_spec in chapter_spec.get("lessons") or []:
            fields = {
                k: lesson_spec[k]
                for k in LESSON_FIELDS
                if lesson_spec.get(k) is not None and k != "media_ids"
            }
            fields["media_ids"] = _known_media(
                session, course.organisation_id, lesson_spec.get("media_ids") or []
            )
            if media is not None:
                fields["media_ids"] += [media(name) for name in lesson_spec.get("media") or []]
            lesson = create_lesson(session, actor, chapter.id, fields)
            for exercise_spec in lesson_spec.get("exercises") or []:
                exercises.create_exercise(
                    session,
                    actor,
                    lesson.id,
                    {
                        k: exercise_spec[k]
                        for k in (
                            "title",
                            "kind",
                            "instructions",
                            "items",
                            "max_attempts",
                            "pass_score",
                        )
                        if exercise_spec.get(k) is not None
                    },
                )
    return course


def _known_media(session: Session, organisation_id: str, media_ids: list[str]) -> list[str]:
    """Media ids of an exported package that are the organisation's (kept on re-import)."""
    if not media_ids:
        return []
    found = set(
        session.scalars(
            tenant_select(Media, organisation_id)
            .where(Media.id.in_(media_ids))
            .with_only_columns(Media.id)
        )
    )
    return [media_id for media_id in media_ids if media_id in found]


def export_package(session: Session, actor: courses.Actor, course_id: str) -> dict[str, Any]:
    """The course as a package document (lessons name their media by id)."""
    courses.require_author(actor)
    course = courses.get_course(session, actor, course_id)
    chapters = []
    for chapter in courses.chapters_of(session, course.id):
        lessons = []
        for lesson in lessons_of(session, chapter.id):
            lessons.append(
                {
                    "title": lesson.title,
                    "level": lesson.level,
                    "skill": lesson.skill,
                    "category": lesson.category,
                    "content": lesson.content,
                    "estimated_minutes": lesson.estimated_minutes,
                    "media_ids": lesson.media_ids,
                    "exercises": [
                        {
                            "title": e.title,
                            "kind": e.kind,
                            "instructions": e.instructions,
                            "items": e.items,
                            "max_attempts": e.max_attempts,
                            "pass_score": e.pass_score,
                        }
                        for e in exercises.exercises_of(session, lesson.id)
                    ],
                }
            )
        chapters.append({"title": chapter.title, "summary": chapter.summary, "lessons": lessons})
    return {
        "format": FORMAT,
        "course": {
            "title": course.title,
            "description": course.description,
            "language": course.language,
            "level_min": course.level_min,
            "level_max": course.level_max,
            "status": course.status,
        },
        "chapters": chapters,
    }


DEMO_PACKAGE = Path(__file__).resolve().parent / "demo" / "english_a1_a2.json"


def load_demo(session: Session, organisation_id: str, author_id: str | None) -> Course | None:
    """Install the demo course in the organisation, published; None when it is there."""
    document = json.loads(DEMO_PACKAGE.read_text(encoding="utf-8"))
    title = document["course"]["title"]
    if session.scalar(tenant_select(Course, organisation_id).where(Course.title == title)):
        return None
    from storage.content.imports import Author

    return load_package(session, Author(organisation_id, author_id), document)
