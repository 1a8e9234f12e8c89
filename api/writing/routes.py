"""Writing / sentence assessment: CEFR level, sub-scores and errors of a learner's text."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import settings
from api.jobs import submission
from api.jobs.decorators import submits_job
from api.writing.schemas import WritingAssessmentSchema
from pipelines.cefr import check_language
from storage.errors import Unprocessable

blp = Blueprint(
    "writing",
    __name__,
    url_prefix="/api/v1/assessments/writing",
    description="Assess written text on the CEFR scale (a job on the text queue).",
)


@blp.route("")
class WritingAssessments(MethodView):
    @submits_job(blp, WritingAssessmentSchema)
    def post(self, data: dict, callback_url: str | None):
        """Assess a text: CEFR level, sub-scores, error spans and feedback, as a job."""
        limit = settings().max_text_chars
        if len(data["text"]) > limit:
            raise Unprocessable(
                f"The text has {len(data['text'])} characters; the limit is {limit}.",
                code="text_too_long",
                details={"limit": limit},
            )
        data["language"] = check_language(data["language"])
        learner = data.pop("learner", None)
        return submission.submit(
            "writing_assessment", data, callback_url=callback_url, learner=learner
        )
