"""Study sessions and reviews (the learning record store), progress and streaks."""

from __future__ import annotations

from flask.views import MethodView

from api.learning.blueprint import blp, now
from api.learning.schemas import (
    ReviewAnswerSchema,
    ReviewCreateSchema,
    SessionCreateSchema,
    StatsSchema,
    StreakSchema,
    StudySessionSchema,
    StudySessionsSchema,
)
from api.pagination import PageArgs, paginate
from api.security import ANY_ROLE, auth_required, current_principal, current_user
from storage.db import db
from storage.learning import access, progress, study
from storage.learning.progress import learner_zone


@blp.route("/study-sessions")
class StudySessions(MethodView):
    @auth_required(ANY_ROLE)
    @blp.arguments(SessionCreateSchema)
    @blp.response(201, StudySessionSchema)
    def post(self, data: dict):
        """Start a study session, with a word group or on whatever is due."""
        record = study.start_session(
            db.session,
            current_principal(),
            group_id=data.get("group_id"),
            activity=data["activity"],
            now=now(),
        )
        db.session.commit()
        return study.session_record(record, learner_zone(current_user()))


@blp.route("/study-sessions/<session_id>")
class StudySessionView(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, StudySessionSchema)
    def get(self, session_id: str):
        """Read a study session (the learner's own, or staff of the organisation)."""
        record = study.get_session(db.session, current_principal(), session_id)
        learner = access.user_in_organisation(db.session, record.user_id, record.organisation_id)
        return study.session_record(record, learner_zone(learner))


@blp.route("/study-sessions/<session_id>/reviews")
class Reviews(MethodView):
    @auth_required(ANY_ROLE)
    @blp.arguments(ReviewCreateSchema)
    @blp.response(201, ReviewAnswerSchema)
    def post(self, data: dict, session_id: str):
        """Record an answer; it updates the word's review schedule and the streak."""
        review = study.add_review(
            db.session,
            current_principal(),
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


@blp.route("/study-sessions/<session_id>/end")
class EndStudySession(MethodView):
    @auth_required(ANY_ROLE)
    @blp.response(200, StudySessionSchema)
    def post(self, session_id: str):
        """End a study session (ending it twice keeps the first end time)."""
        record = study.end_session(db.session, current_principal(), session_id, now())
        db.session.commit()
        learner = access.user_in_organisation(db.session, record.user_id, record.organisation_id)
        return study.session_record(record, learner_zone(learner))


@blp.route("/users/<user_id>/study-sessions")
class UserStudySessions(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, StudySessionsSchema)
    def get(self, args: dict, user_id: str):
        """A learner's study sessions, newest first, in the vocabulary-portal shape."""
        learner = access.readable_user(db.session, current_principal(), user_id)
        page = paginate(
            db.session,
            study.sessions_query(learner.organisation_id, learner.id),
            args["page"],
            args["per_page"],
        )
        zone = learner_zone(learner)
        return {
            "user_id": learner.id,
            "study_sessions": [study.session_record(s, zone) for s in page["items"]],
            "pagination": page["pagination"],
        }


@blp.route("/users/<user_id>/stats")
class UserStats(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, StatsSchema)
    def get(self, user_id: str):
        """A learner's progress: streaks, words studied and mastered, accuracy, time, levels."""
        learner = access.readable_user(db.session, current_principal(), user_id)
        return progress.user_stats(db.session, learner, now())


@blp.route("/users/<user_id>/streak")
class UserStreak(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, StreakSchema)
    def get(self, user_id: str):
        """A learner's current and longest streak, counted in their timezone."""
        learner = access.readable_user(db.session, current_principal(), user_id)
        return progress.streak_view(db.session, learner, now())


@blp.route("/users/<user_id>/streak/reset")
class ResetStreak(MethodView):
    @auth_required(ANY_ROLE)
    @blp.response(200, StreakSchema)
    def put(self, user_id: str):
        """Reset a streak to zero (the learner themself or an admin); the longest is kept."""
        moment = now()
        progress.reset_on_request(db.session, current_principal(), user_id, moment)
        db.session.commit()
        learner = access.user_in_organisation(
            db.session, user_id, current_principal().organisation_id
        )
        return progress.streak_view(db.session, learner, moment)
