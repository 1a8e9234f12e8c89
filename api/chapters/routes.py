"""Chapters: read, change, move, the reference design's next/previous, and their lessons."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from api.chapters.schemas import LessonCreateSchema, LessonListSchema, LessonSchema
from api.courses.schemas import ChapterPatchSchema, ChapterSchema
from api.security import ANY_ROLE, STAFF, auth_required, current_principal
from storage.content import courses, lessons
from storage.db import db

blp = Blueprint(
    "chapters",
    __name__,
    url_prefix="/api/v1/chapters",
    description="Chapters of a course, in order, and their lessons.",
)


@blp.route("/<chapter_id>")
class ChapterView(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, ChapterSchema)
    def get(self, chapter_id: str):
        """Read a chapter with its previous and next chapter ids."""
        chapter = courses.get_chapter(db.session, current_principal(), chapter_id)
        return courses.chapter_view(db.session, chapter)

    @auth_required(STAFF, scope="learning:write")
    @blp.arguments(ChapterPatchSchema)
    @blp.response(200, ChapterSchema)
    def patch(self, data: dict, chapter_id: str):
        """Change a chapter, or move it to another `position` (1..n)."""
        chapter = courses.update_chapter(db.session, current_principal(), chapter_id, data)
        db.session.commit()
        return courses.chapter_view(db.session, chapter)

    @auth_required(STAFF, scope="learning:write")
    @blp.response(204)
    def delete(self, chapter_id: str):
        """Delete a chapter with its lessons; the chapters after it move up."""
        courses.delete_chapter(db.session, current_principal(), chapter_id)
        db.session.commit()


@blp.route("/<chapter_id>/next")
class NextChapter(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, ChapterSchema)
    def get(self, chapter_id: str):
        """The next chapter of the course (404 `no_next_chapter` after the last)."""
        found = courses.neighbour(db.session, current_principal(), chapter_id, 1)
        return courses.chapter_view(db.session, found)


@blp.route("/<chapter_id>/previous")
class PreviousChapter(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, ChapterSchema)
    def get(self, chapter_id: str):
        """The previous chapter (404 `no_previous_chapter` before the first)."""
        found = courses.neighbour(db.session, current_principal(), chapter_id, -1)
        return courses.chapter_view(db.session, found)


@blp.route("/<chapter_id>/lessons")
class Lessons(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, LessonListSchema)
    def get(self, chapter_id: str):
        """The chapter's lessons in order."""
        chapter = courses.get_chapter(db.session, current_principal(), chapter_id)
        return {"items": lessons.lessons_of(db.session, chapter.id)}

    @auth_required(STAFF, scope="learning:write")
    @blp.arguments(LessonCreateSchema)
    @blp.response(201, LessonSchema)
    def post(self, data: dict, chapter_id: str):
        """Add a lesson (Markdown content) to the chapter."""
        lesson = lessons.create_lesson(db.session, current_principal(), chapter_id, data)
        db.session.commit()
        return lesson, 201, {"Location": url_for("lessons.LessonView", lesson_id=lesson.id)}
