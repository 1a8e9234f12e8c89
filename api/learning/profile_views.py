"""Learning profiles: one per learner and language, with the CEFR level and its history."""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy.orm import selectinload

from api.learning.blueprint import blp, now
from api.learning.schemas import (
    ProfileCreateSchema,
    ProfileListArgs,
    ProfilePatchSchema,
    ProfileSchema,
)
from api.pagination import page_schema, paginate
from api.security import ANY_ROLE, auth_required, current_principal
from storage.db import db
from storage.learning import profiles
from storage.models.learning import LearningProfile


@blp.route("/profiles")
class Profiles(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.arguments(ProfileListArgs, location="query")
    @blp.response(200, page_schema(ProfileSchema))
    def get(self, args: dict):
        """List learning profiles: your own, or (staff) the organisation's."""
        stmt = profiles.profiles_query(
            current_principal(), user_id=args.get("user_id"), language=args.get("language")
        )
        return paginate(
            db.session,
            stmt.options(selectinload(LearningProfile.history)),
            args["page"],
            args["per_page"],
        )

    @auth_required(ANY_ROLE, scope="learning:write")
    @blp.arguments(ProfileCreateSchema)
    @blp.response(201, ProfileSchema)
    def post(self, data: dict):
        """Create a learning profile for a language (staff may name another learner)."""
        profile = profiles.create_profile(db.session, current_principal(), data, now())
        db.session.commit()
        return profile


@blp.route("/profiles/<profile_id>")
class ProfileView(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, ProfileSchema)
    def get(self, profile_id: str):
        """Read a learning profile with its level history."""
        return profiles.get_profile(db.session, current_principal(), profile_id)

    @auth_required(ANY_ROLE, scope="learning:write")
    @blp.arguments(ProfilePatchSchema)
    @blp.response(200, ProfileSchema)
    def patch(self, data: dict, profile_id: str):
        """Change the CEFR level (recorded in the history with its source) or the goals."""
        principal = current_principal()
        profile = profiles.get_profile(db.session, principal, profile_id)
        profiles.update_profile(db.session, principal, profile, data, now())
        db.session.commit()
        return profile

    @auth_required(ANY_ROLE, scope="learning:write")
    @blp.response(204)
    def delete(self, profile_id: str):
        """Delete a learning profile and its level history."""
        profile = profiles.get_profile(db.session, current_principal(), profile_id)
        profiles.delete_profile(db.session, profile)
        db.session.commit()
