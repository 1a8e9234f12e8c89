"""Badges: the rules that award them and the badges a learner holds."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.badges.schemas import BadgeAwardListSchema, BadgeRuleListSchema
from api.security import ANY_ROLE, auth_required, current_principal
from storage.content import badges
from storage.db import db
from storage.learning.access import readable_user

blp = Blueprint(
    "badges",
    __name__,
    url_prefix="/api/v1",
    description="Badges awarded by declarative rules on learning events.",
)


@blp.route("/badges")
class BadgeRules(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, BadgeRuleListSchema)
    def get(self):
        """The badges there are and the rule of each."""
        return {"items": list(badges.RULES)}


@blp.route("/users/<user_id>/badges")
class UserBadges(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, BadgeAwardListSchema)
    def get(self, user_id: str):
        """The badges a learner holds, oldest first."""
        principal = current_principal()
        user = readable_user(db.session, principal, user_id)
        rows = db.session.scalars(badges.awards_query(principal.organisation_id, user.id))
        return {"items": [badges.badge_view(row) for row in rows]}
