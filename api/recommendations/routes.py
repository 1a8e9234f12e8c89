"""Recommendations: the next lessons and exercises for a learner, each with its reason."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.learning.blueprint import now
from api.recommendations.schemas import RecommendationArgs, RecommendationListSchema
from api.security import ANY_ROLE, auth_required, current_principal
from storage.content import recommendations
from storage.db import db
from storage.learning.access import readable_user

blp = Blueprint(
    "recommendations",
    __name__,
    url_prefix="/api/v1/recommendations",
    description="What a learner should do next, and why.",
)


@blp.route("")
class Recommendations(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.arguments(RecommendationArgs, location="query")
    @blp.response(200, RecommendationListSchema)
    def get(self, args: dict):
        """Next lessons, exercises and reviews for a learner, each with its reason.

        From unfinished courses, weak sub-scores, the level gap and due vocabulary."""
        principal = current_principal()
        user = readable_user(db.session, principal, args.get("user_id") or principal.user_id or "")
        return {
            "items": recommendations.recommend(
                db.session,
                principal.organisation_id,
                user.id,
                now(),
                language=args.get("language"),
                target_level=args.get("target_level"),
                limit=args["limit"],
            )
        }
