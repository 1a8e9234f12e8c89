"""Erasing a learner's data on request (organisation admins)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import audit
from api.jobs import submission
from api.jobs.decorators import submits_job
from api.security import current_principal
from storage import erasure
from storage.actor import ADMIN
from storage.db import db

blp = Blueprint(
    "erasure",
    __name__,
    url_prefix="/api/v1/learners",
    description="Erase one learner's data (subject requests under GDPR, FERPA, COPPA).",
)


@blp.route("/<user_id>/erasure")
class Erasure(MethodView):
    @submits_job(blp, roles=(ADMIN,), scope=None)
    def post(self, user_id: str):
        """Deactivate the learner now and erase their data, media and account as a job."""
        user = erasure.begin(db.session, current_principal().organisation_id, user_id)
        audit.record(
            "learner.erasure_requested",
            target_type="user",
            target_id=user.id,
            after={"is_active": False},
        )
        return submission.submit("learner_erasure", {"user_id": user.id})
