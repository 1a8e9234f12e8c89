"""Lessons: Markdown content with media, their exercises, and completing them."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from api.chapters.schemas import LessonPatchSchema, LessonSchema
from api.learning.blueprint import now
from api.lessons.schemas import (
    CompletionSchema,
    ExerciseCreateSchema,
    ExerciseListSchema,
    ExerciseSchema,
    LessonProgressSchema,
)
from api.security import ANY_ROLE, STAFF, auth_required, current_principal
from storage import learners
from storage.content import exercises, lessons, progress
from storage.db import db

blp = Blueprint(
    "lessons",
    __name__,
    url_prefix="/api/v1/lessons",
    description="Lessons, their exercises and quizzes, and lesson completion.",
)


@blp.route("/<lesson_id>")
class LessonView(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, LessonSchema)
    def get(self, lesson_id: str):
        """Read a lesson (Markdown content, media ids, level, skill)."""
        return lessons.get_lesson(db.session, current_principal(), lesson_id)

    @auth_required(STAFF, scope="learning:write")
    @blp.arguments(LessonPatchSchema)
    @blp.response(200, LessonSchema)
    def patch(self, data: dict, lesson_id: str):
        """Change a lesson or move it within its chapter."""
        lesson = lessons.update_lesson(db.session, current_principal(), lesson_id, data)
        db.session.commit()
        return lesson

    @auth_required(STAFF, scope="learning:write")
    @blp.response(204)
    def delete(self, lesson_id: str):
        """Delete a lesson with its exercises."""
        lessons.delete_lesson(db.session, current_principal(), lesson_id)
        db.session.commit()


@blp.route("/<lesson_id>/exercises")
class Exercises(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, ExerciseListSchema)
    def get(self, lesson_id: str):
        """The lesson's exercises and quizzes (learners: without the answers)."""
        principal = current_principal()
        lesson = lessons.get_lesson(db.session, principal, lesson_id)
        return {
            "items": [
                exercises.exercise_view(e, with_answers=principal.is_staff())
                for e in exercises.exercises_of(db.session, lesson.id)
            ]
        }

    @auth_required(STAFF, scope="learning:write")
    @blp.arguments(ExerciseCreateSchema)
    @blp.response(201, ExerciseSchema)
    def post(self, data: dict, lesson_id: str):
        """Add an exercise or quiz; every item is checked (422 with a problem per item)."""
        exercise = exercises.create_exercise(db.session, current_principal(), lesson_id, data)
        db.session.commit()
        return (
            exercises.exercise_view(exercise, with_answers=True),
            201,
            {"Location": url_for("exercises.ExerciseView", exercise_id=exercise.id)},
        )


@blp.route("/<lesson_id>/complete")
class Completion(MethodView):
    @auth_required(ANY_ROLE, scope="learning:write")
    @blp.arguments(CompletionSchema)
    @blp.response(200, LessonProgressSchema)
    def post(self, data: dict, lesson_id: str):
        """Mark the lesson completed with the time spent (a streak day, counted in stats).

        The first time records `lesson.completed` (and `course.completed` at the last)."""
        principal = current_principal()
        learner_id = learners.resolve(db.session, principal, data.get("learner"))
        row = progress.complete_lesson(
            db.session,
            principal,
            lesson_id,
            learner_id,
            score=data.get("score"),
            time_spent_seconds=data["time_spent_seconds"],
            now=now(),
        )
        db.session.commit()
        return row
