"""Vocabulary hints (the vocabulary portal's AI hint), as jobs with an optional wait."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.hints.schemas import HintRequestSchema
from api.idempotency import idempotent
from api.jobs import service
from api.jobs.schemas import JobSchema
from api.security import ANY_ROLE, auth_required, current_principal
from storage import text as text_service
from storage.db import db

blp = Blueprint("hints", __name__, url_prefix="/api/v1/hints",
                description="Study hints for vocabulary words; identical requests are "
                            "answered from a cache.")  # fmt: skip


@blp.route("")
class Hints(MethodView):
    @auth_required(ANY_ROLE, scope="jobs:write")
    @idempotent
    @blp.arguments(HintRequestSchema)
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    @blp.response(202, JobSchema)
    @blp.alt_response(200, schema=JobSchema, description=service.WAITED_DESCRIPTION)
    def post(self, data: dict):
        """Ask for a hint for a word; `Prefer: wait=N` returns the finished hint (200)."""
        callback_url = data.pop("callback_url", None)
        learner = data.pop("learner", None)
        data = text_service.hint_request(db.session, current_principal().organisation_id, data)
        return service.submit("hint", data, callback_url=callback_url, learner=learner)
