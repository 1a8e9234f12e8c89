"""Exercises and quizzes: read (learners without the answers), change, and attempts."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from api.exercises import service
from api.exercises.schemas import (
    ExercisePatchSchema,
    QuizAttemptCreateSchema,
    QuizAttemptListArgs,
    QuizAttemptSchema,
    QuizAttemptSummarySchema,
)
from api.idempotency import idempotent
from api.lessons.schemas import ExerciseSchema
from api.security import ANY_ROLE, STAFF, auth_required, current_principal
from storage.content import attempts, exercises
from storage.db import db
from storage.learning.access import readable_user

blp = Blueprint(
    "exercises",
    __name__,
    url_prefix="/api/v1",
    description="Exercises and quizzes, and learners' attempts at them.",
)


@blp.route("/exercises/<exercise_id>")
class ExerciseView(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, ExerciseSchema)
    def get(self, exercise_id: str):
        """Read an exercise (learners see the items without their answers)."""
        principal = current_principal()
        exercise = exercises.get_exercise(db.session, principal, exercise_id)
        return exercises.exercise_view(exercise, with_answers=principal.is_staff())

    @auth_required(STAFF, scope="learning:write")
    @blp.arguments(ExercisePatchSchema)
    @blp.response(200, ExerciseSchema)
    def patch(self, data: dict, exercise_id: str):
        """Change an exercise; new items are checked like new exercises."""
        exercise = exercises.update_exercise(db.session, current_principal(), exercise_id, data)
        db.session.commit()
        return exercises.exercise_view(exercise, with_answers=True)

    @auth_required(STAFF, scope="learning:write")
    @blp.response(204)
    def delete(self, exercise_id: str):
        """Delete an exercise with its attempts."""
        exercises.delete_exercise(db.session, current_principal(), exercise_id)
        db.session.commit()


def _attempt_view(attempt: Any) -> dict[str, Any]:
    view = {
        c: getattr(attempt, c)
        for c in QuizAttemptSchema._declared_fields
        if c not in ("learner_id", "job_ids")
    }
    view["learner_user_id"] = attempt.learner_user_id
    view["job_ids"] = [r["job_id"] for r in attempt.results if r.get("job_id")]
    return view


@blp.route("/exercises/<exercise_id>/attempts")
class Attempts(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.arguments(QuizAttemptListArgs, location="query")
    @blp.response(200, QuizAttemptSummarySchema)
    def get(self, args: dict, exercise_id: str):
        """A learner's attempts, newest first, with the best and latest score."""
        principal = current_principal()
        exercise = exercises.get_exercise(db.session, principal, exercise_id)
        learner = readable_user(
            db.session, principal, args.get("learner_id") or principal.user_id or ""
        )
        return attempts.summary(db.session, exercise, learner.id)

    @auth_required(ANY_ROLE, scope="jobs:write")
    @idempotent
    @blp.arguments(QuizAttemptCreateSchema)
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    @blp.response(201, QuizAttemptSchema)
    def post(self, data: dict, exercise_id: str):
        """Submit answers: objective items are graded at once, assessed ones by jobs.

        Each written or spoken answer starts an assessment job; the attempt is graded when
        the last of them ends."""
        attempt = service.submit_attempt(current_principal(), exercise_id, data)
        return (
            _attempt_view(attempt),
            201,
            {"Location": url_for("exercises.AttemptView", attempt_id=attempt.id)},
        )


@blp.route("/attempts/<attempt_id>")
class AttemptView(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, QuizAttemptSchema)
    def get(self, attempt_id: str):
        """Read an attempt: `grading` until its assessed items' jobs end, then `graded`."""
        return _attempt_view(attempts.get_attempt(db.session, current_principal(), attempt_id))
