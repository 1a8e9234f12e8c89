"""A learner's progress through courses, chapters and lessons (the reference design's
/progress/{user_id}/courses shapes)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.progress.schemas import CourseProgressSchema, CourseSummaryListSchema
from api.security import ANY_ROLE, auth_required, current_principal
from storage.content import progress
from storage.db import db
from storage.learning.access import readable_user

blp = Blueprint(
    "progress",
    __name__,
    url_prefix="/api/v1/progress",
    description="Learners' progress through courses, chapters and lessons.",
)


@blp.route("/<user_id>/courses")
class CoursesProgress(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, CourseSummaryListSchema)
    def get(self, user_id: str):
        """Every course the learner started, with lessons done out of all."""
        principal = current_principal()
        user = readable_user(db.session, principal, user_id)
        return {"items": progress.courses_progress(db.session, principal.organisation_id, user.id)}


@blp.route("/<user_id>/courses/<course_id>")
class CourseProgressView(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, CourseProgressSchema)
    def get(self, user_id: str, course_id: str):
        """The learner's progress in one course, per chapter and lesson."""
        principal = current_principal()
        user = readable_user(db.session, principal, user_id)
        return progress.course_progress(db.session, principal, course_id, user.id)
