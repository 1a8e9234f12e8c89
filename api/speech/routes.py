"""Speech: transcriptions, speaking assessments (jobs) and the speaking-task catalogue."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import settings
from api.idempotency import idempotent
from api.jobs import service
from api.jobs.schemas import JobSchema
from api.pagination import page_schema, paginate
from api.security import ANY_ROLE, auth_required, current_principal
from api.speech.schemas import (
    SpeakingAssessmentRequestSchema,
    SpeakingPromptArgs,
    SpeakingPromptSchema,
    TranscriptionRequestSchema,
)
from api.text_checks import supported_language
from pipelines.errors import PipelineError
from pipelines.transcription.languages import whisper_language
from storage.db import db
from storage.errors import Unprocessable
from storage.media.policy import Actor
from storage.speech import catalogue, submissions

blp = Blueprint(
    "speech",
    __name__,
    url_prefix="/api/v1",
    description="Transcribe recordings and assess speaking on the CEFR scale (jobs on the "
    "transcription and scoring queues), and the catalogue of speaking tasks.",
)


def _actor() -> Actor:
    principal = current_principal()
    return Actor(principal.organisation_id, principal.user_id, principal.api_key_id,
                 staff=principal.is_staff())  # fmt: skip


def _speech_language(language: str | None, *, scored: bool) -> str | None:
    """Normalise the language; a scored one must also be one the CEFR profile knows."""
    try:
        code = whisper_language(language)
    except PipelineError as exc:
        raise Unprocessable(exc.message, code=exc.code) from None
    return supported_language(code) if scored and code else code


@blp.route("/transcriptions")
class Transcriptions(MethodView):
    @auth_required(ANY_ROLE, scope="jobs:write")
    @idempotent
    @blp.arguments(TranscriptionRequestSchema)
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    @blp.response(202, JobSchema)
    @blp.alt_response(200, schema=JobSchema, description=service.WAITED_DESCRIPTION)
    def post(self, data: dict):
        """Transcribe a recording: text, language, segments and timed words, as a job."""
        data["language"] = _speech_language(data.get("language"), scored=False)
        callback_url = data.pop("callback_url", None)
        given = submissions.transcription_input(db.session, _actor(), data,
                                                settings().max_audio_seconds)  # fmt: skip
        return service.submit("transcription", given, callback_url=callback_url,
                              learner=data.get("learner"))


@blp.route("/assessments/speaking")
class SpeakingAssessments(MethodView):
    @auth_required(ANY_ROLE, scope="jobs:write")
    @idempotent
    @blp.arguments(SpeakingAssessmentRequestSchema)
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    @blp.response(202, JobSchema)
    @blp.alt_response(200, schema=JobSchema, description=service.WAITED_DESCRIPTION)
    def post(self, data: dict):
        """Assess a spoken answer: transcript, fluency, CEFR level, sub-scores and feedback.

        The job result's `pronunciation` (schema `SpeakingPronunciation`) scores accuracy,
        fluency, completeness (readings) and prosody 0-100, per word with an error type and
        per phoneme with the phone expected and the one heard; `method` names how. Its
        `cefr` (schema `SpeakingCefr`) says which method placed the level, and with a task its
        `relevance` (schema `SpeakingRelevance`) how far the answer addressed it."""
        data["language"] = _speech_language(data.get("language"), scored=True)
        callback_url = data.pop("callback_url", None)
        given = submissions.speaking_input(db.session, _actor(), data,
                                           settings().max_audio_seconds)  # fmt: skip
        return service.submit("speaking_assessment", given, callback_url=callback_url,
                              learner=data.get("learner"))


@blp.route("/speaking-prompts")
class SpeakingPrompts(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.arguments(SpeakingPromptArgs, location="query")
    @blp.response(200, page_schema(SpeakingPromptSchema))
    def get(self, args: dict):
        """List speaking tasks by language, level and kind (free speech or reading)."""
        stmt = catalogue.prompts_query(args.get("language"), args.get("level"), args.get("kind"))
        return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.route("/speaking-prompts/<prompt_id>")
class SpeakingPromptView(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, SpeakingPromptSchema)
    def get(self, prompt_id: str):
        """Read one speaking task."""
        return catalogue.get_prompt(db.session, prompt_id)
