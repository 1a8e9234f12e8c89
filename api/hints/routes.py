"""Vocabulary hints (the vocabulary portal's AI hint), as jobs with an optional wait."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.hints.schemas import HintRequestSchema
from api.jobs import submission
from api.jobs.decorators import submits_job
from api.security import current_principal
from storage import hints
from storage.db import db

blp = Blueprint(
    "hints",
    __name__,
    url_prefix="/api/v1/hints",
    description="Study hints for vocabulary words; identical requests are answered from a cache.",
)


@blp.route("")
class Hints(MethodView):
    @submits_job(blp, HintRequestSchema)
    def post(self, data: dict, callback_url: str | None):
        """Ask for a hint for a word; `Prefer: wait=N` returns the finished hint (200)."""
        learner = data.pop("learner", None)
        data = hints.hint_request(db.session, current_principal().organisation_id, data)
        return submission.submit("hint", data, callback_url=callback_url, learner=learner)
