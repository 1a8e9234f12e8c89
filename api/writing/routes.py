"""Writing / sentence assessment: CEFR level, sub-scores and errors of a learner's text."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import settings
from api.idempotency import idempotent
from api.jobs import service
from api.jobs.schemas import JobSchema
from api.security import ANY_ROLE, auth_required
from api.text_checks import supported_language
from api.writing.schemas import WritingAssessmentSchema
from storage.errors import Unprocessable

blp = Blueprint(
    "writing",
    __name__,
    url_prefix="/api/v1/assessments/writing",
    description="Assess written text on the CEFR scale (a job on the text queue).",
)


@blp.route("")
class WritingAssessments(MethodView):
    @auth_required(ANY_ROLE, scope="jobs:write")
    @idempotent
    @blp.arguments(WritingAssessmentSchema)
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    @blp.response(202, JobSchema)
    @blp.alt_response(200, schema=JobSchema, description=service.WAITED_DESCRIPTION)
    def post(self, data: dict):
        """Assess a text: CEFR level, sub-scores, error spans and feedback, as a job."""
        limit = settings().max_text_chars
        if len(data["text"]) > limit:
            raise Unprocessable(f"The text has {len(data['text'])} characters; the limit is "
                                f"{limit}.", code="text_too_long",
                                extra={"limit": limit})  # fmt: skip
        data["language"] = supported_language(data["language"])
        callback_url = data.pop("callback_url", None)
        learner = data.pop("learner", None)
        return service.submit("writing_assessment", data, callback_url=callback_url,
                              learner=learner)
