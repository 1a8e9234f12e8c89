"""Speech: transcriptions, speaking assessments (jobs) and the speaking-task catalogue."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import settings
from api.jobs import submission
from api.jobs.decorators import submits_job
from api.pagination import page_schema, paginate
from api.security import ANY_ROLE, auth_required, current_principal
from api.speech.schemas import (
    SpeakingAssessmentRequestSchema,
    SpeakingPromptArgs,
    SpeakingPromptSchema,
    TranscriptionRequestSchema,
)
from pipelines.cefr import check_language
from pipelines.transcription.languages import whisper_language
from storage.db import db
from storage.speech import catalogue, submissions

blp = Blueprint(
    "speech",
    __name__,
    url_prefix="/api/v1",
    description="Transcribe recordings and assess speaking on the CEFR scale (jobs on the "
    "transcription and scoring queues), and the catalogue of speaking tasks.",
)


def _speech_language(language: str | None, *, scored: bool) -> str | None:
    """Normalise the language; a scored one must also be one the CEFR profile knows."""
    code = whisper_language(language)
    return check_language(code) if scored and code else code


@blp.route("/transcriptions")
class Transcriptions(MethodView):
    @submits_job(blp, TranscriptionRequestSchema)
    def post(self, data: dict, callback_url: str | None):
        """Transcribe a recording: text, language, segments and timed words, as a job."""
        data["language"] = _speech_language(data.get("language"), scored=False)
        given = submissions.transcription_input(
            db.session, current_principal(), data, settings().max_audio_seconds
        )
        return submission.submit(
            "transcription", given, callback_url=callback_url, learner=data.get("learner")
        )


@blp.route("/assessments/speaking")
class SpeakingAssessments(MethodView):
    @submits_job(blp, SpeakingAssessmentRequestSchema)
    def post(self, data: dict, callback_url: str | None):
        """Assess a spoken answer: transcript, fluency, CEFR level, sub-scores and feedback.

        The job result's `pronunciation` (schema `SpeakingPronunciation`) scores accuracy,
        fluency, completeness (readings) and prosody 0-100, per word with an error type and
        per phoneme with the phone expected and the one heard; `method` names how. Its
        `cefr` (schema `SpeakingCefr`) says which method placed the level, and with a task its
        `relevance` (schema `SpeakingRelevance`) how far the answer addressed it."""
        data["language"] = _speech_language(data.get("language"), scored=True)
        given = submissions.speaking_input(
            db.session, current_principal(), data, settings().max_audio_seconds
        )
        return submission.submit(
            "speaking_assessment", given, callback_url=callback_url, learner=data.get("learner")
        )


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
