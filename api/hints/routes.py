"""Vocabulary hints (the vocabulary portal's AI hint), as jobs with an optional wait."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.hints.schemas import HintRequestSchema
from api.idempotency import idempotent
from api.jobs import service
from api.jobs.routes import requested_wait
from api.jobs.schemas import JobSchema
from api.security import ANY_ROLE, auth_required, current_principal
from api.text_checks import supported_language
from storage.db import db
from storage.errors import Unprocessable
from storage.models.learning import Word
from storage.tenancy import get_owned

blp = Blueprint("hints", __name__, url_prefix="/api/v1/hints",
                description="Study hints for vocabulary words; identical requests are "
                            "answered from a cache.")  # fmt: skip


@blp.route("")
class Hints(MethodView):
    @auth_required(ANY_ROLE, scope="jobs:write")
    @idempotent
    @blp.arguments(HintRequestSchema)
    @blp.response(202, JobSchema)
    @blp.alt_response(
        200, schema=JobSchema, description="With `Prefer: wait=N`: the job finished in time."
    )
    def post(self, data: dict):
        """Ask for a hint for a word; `Prefer: wait=N` returns the finished hint (200)."""
        callback_url = data.pop("callback_url", None)
        if data.get("word_id"):
            word = get_owned(db.session, Word, data["word_id"],
                             current_principal().organisation_id, what="word")  # fmt: skip
            language = supported_language(data.get("language") or word.language)
            if language != supported_language(word.language):
                raise Unprocessable(f"Word {word.id} is {word.language}, not {language}.",
                                    code="language_mismatch")  # fmt: skip
            data.update(word=word.term, language=language)
        else:
            data["language"] = supported_language(data["language"])
        job, status, headers = service.submit("hint", data, callback_url=callback_url)
        wait = requested_wait(None)
        if wait:
            job = service.wait_for(job.id, wait)
            headers["Preference-Applied"] = f"wait={wait}"
            if job.terminal:
                headers.pop("Retry-After", None)
                return job, 200, headers
        return job, status, headers
