"""Learners: a partner LMS provisions them by its own ids and records their study activity
(API keys with `learners:write`; teachers and admins too)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.learners import service
from api.learners.schemas import LearnerListArgs, LearnerSchema, LearnerUpsertSchema
from api.learning.blueprint import now
from api.learning.schemas import (
    ReviewAnswerSchema,
    ReviewCreateSchema,
    SessionCreateSchema,
    StudySessionSchema,
)
from api.pagination import page_schema, paginate
from api.security import auth_required, current_principal
from storage import learners
from storage.actor import ADMIN, TEACHER
from storage.db import db
from storage.learning import study
from storage.learning.progress import learner_zone

STAFF = (TEACHER, ADMIN)

blp = Blueprint(
    "learners",
    __name__,
    url_prefix="/api/v1/learners",
    description="Learners as a partner LMS knows them: upsert and list them by "
    "their LMS id, and record study sessions and reviews for them.",
)


@blp.route("")
class Learners(MethodView):
    @auth_required(STAFF, scope=learners.READ_LEARNERS)
    @blp.arguments(LearnerListArgs, location="query")
    @blp.response(200, page_schema(LearnerSchema))
    def get(self, args: dict):
        """List the organisation's learners, by LMS and external id if asked, oldest first."""
        stmt = learners.list_query(
            current_principal().organisation_id,
            lms=args.get("lms"),
            external_id=args.get("external_id"),
        )
        page = paginate(db.session, stmt, args["page"], args["per_page"])
        page["items"] = service.learner_views(page["items"])
        return page


@blp.route("/lms/<lms>/<external_id>")
class LearnerByLmsId(MethodView):
    @auth_required(STAFF, scope=learners.ACT_FOR_LEARNERS)
    @blp.arguments(LearnerUpsertSchema)
    @blp.response(200, LearnerSchema)
    @blp.alt_response(201, schema=LearnerSchema, description="The learner was created.")
    def put(self, data: dict, lms: str, external_id: str):
        """Create or update the learner the LMS `lms` knows as `external_id`."""
        return service.upsert(lms, external_id, data)

    @auth_required(STAFF, scope=learners.READ_LEARNERS)
    @blp.response(200, LearnerSchema)
    def get(self, lms: str, external_id: str):
        """Read the learner the LMS `lms` knows as `external_id`."""
        return service.by_lms_id(lms, external_id)


@blp.route("/<user_id>/study-sessions")
class LearnerStudySessions(MethodView):
    @auth_required(STAFF, scope=learners.ACT_FOR_LEARNERS)
    @blp.arguments(SessionCreateSchema)
    @blp.response(201, StudySessionSchema)
    def post(self, data: dict, user_id: str):
        """Start a study session on the learner's behalf."""
        learner, acting = service.acting_for(user_id)
        record = study.start_session(
            db.session, acting, group_id=data.get("group_id"), activity=data["activity"], now=now()
        )
        db.session.commit()
        return study.session_record(record, learner_zone(learner))


@blp.route("/<user_id>/study-sessions/<session_id>/reviews")
class LearnerReviews(MethodView):
    @auth_required(STAFF, scope=learners.ACT_FOR_LEARNERS)
    @blp.arguments(ReviewCreateSchema)
    @blp.response(201, ReviewAnswerSchema)
    def post(self, data: dict, user_id: str, session_id: str):
        """Record the learner's answer in their study session (schedule and streak follow)."""
        _, acting = service.acting_for(user_id)
        review = study.add_review(
            db.session,
            acting,
            session_id,
            word_id=data["word_id"],
            correct=data["correct"],
            now=now(),
        )
        db.session.commit()
        return {
            "success": True,
            "session_id": review.session_id,
            "word_id": review.word_id,
            "correct": review.correct,
        }


@blp.route("/<user_id>/study-sessions/<session_id>/end")
class LearnerEndStudySession(MethodView):
    @auth_required(STAFF, scope=learners.ACT_FOR_LEARNERS)
    @blp.response(200, StudySessionSchema)
    def post(self, user_id: str, session_id: str):
        """End the learner's study session (ending it twice keeps the first end time)."""
        learner, acting = service.acting_for(user_id)
        record = study.end_session(db.session, acting, session_id, now())
        db.session.commit()
        return study.session_record(record, learner_zone(learner))
