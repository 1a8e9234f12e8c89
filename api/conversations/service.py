"""Conversation sessions as the API runs them: the storage services, then the job that
answers, submitted after the turn is recorded (one commit holds both)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from api import quotas, ratelimit, settings
from api.jobs import submission
from api.security import current_principal
from pipelines.conversation import scenarios
from pipelines.conversation.realtime import (
    INSTRUCTIONS_VERSION,
    RealtimeConfig,
    mint_client_secret,
    tutor_instructions,
)
from pipelines.errors import PipelineError
from prompts import language_name
from storage import conversations, learners, usage
from storage.db import db
from storage.errors import AppError, Forbidden, ServiceUnavailable, Unprocessable
from storage.models.conversations import ConversationSession
from storage.models.jobs import Job
from storage.speech.submissions import recording
from storage.synthesis import choose_voice
from workers.actors.synthesis import synthesizer_for

MAX_TURN_CHARS = 2000


def partner_name() -> str:
    """The partner new sessions get (CONVERSATION_PARTNER, `auto` following LLM_PROVIDER)."""
    config = settings()
    chosen = config.conversation_partner
    if chosen == "auto":
        return "scenario" if config.llm_provider == "offline" else "llm"
    if chosen == "llm" and config.llm_provider == "offline":
        raise ServiceUnavailable(
            "CONVERSATION_PARTNER is llm but no LLM_PROVIDER is set.", code="partner_unavailable"
        )
    return chosen


def start(data: dict[str, Any]) -> ConversationSession:
    principal = current_principal()
    quotas.require_feature(principal.organisation_id, "conversation_turn")
    learner_id = learners.resolve(db.session, principal, data.get("learner"))
    if data.get("voice"):
        choose_voice(synthesizer_for(settings()), data["voice"], data["language"])
    conversation = conversations.start(
        db.session, current_principal(), learner_id, data, partner_name()
    )
    submission.submit(
        "conversation_turn",
        {"session_id": conversation.id, "message_id": None},
        learner=learner_id,
        on_created=lambda job: _answered_by(conversation, job),
    )
    return conversation


def _answered_by(conversation: ConversationSession, job: Job, message: Any = None) -> None:
    conversation.last_job_id = job.id
    if message is not None:
        message.job_id = job.id


def take_turn(
    session_id: str,
    *,
    text: str | None = None,
    media_id: str | None = None,
    callback_url: str | None = None,
) -> tuple[Job, int, dict[str, str]]:
    """Record the learner's turn and submit the job that answers it (202 with the job)."""
    caller = current_principal()
    conversation = conversations.get_visible(db.session, caller, session_id, for_update=True)
    if text is not None:
        text = text.strip()
        if not text:
            raise Unprocessable("The turn has no text.", code="text_empty")
        if len(text) > MAX_TURN_CHARS:
            raise Unprocessable(
                f"A turn may have at most {MAX_TURN_CHARS} characters.",
                code="text_too_long",
                details={"max_characters": MAX_TURN_CHARS},
            )
    if media_id is not None:
        media_id = recording(db.session, caller, media_id, settings().max_audio_seconds).id
    message = conversations.learner_turn(db.session, conversation, text=text, media_id=media_id)
    given = {"session_id": conversation.id, "message_id": message.id}
    if media_id is not None:
        given.update(media_id=media_id, language=conversation.language)
    job_type = "conversation_audio_turn" if media_id is not None else "conversation_turn"
    return submission.submit(
        job_type,
        given,
        callback_url=callback_url,
        learner=conversation.learner_user_id,
        on_created=lambda job: _answered_by(conversation, job, message),
    )


def end(session_id: str) -> ConversationSession:
    """End the session and submit its feedback job; the session shows the feedback when done."""
    conversation = conversations.get_visible(
        db.session, current_principal(), session_id, for_update=True
    )
    conversations.end(db.session, conversation)
    conversation.feedback = {"status": "pending"}
    submission.submit(
        "conversation_feedback",
        {"session_id": conversation.id},
        learner=conversation.learner_user_id,
        on_created=lambda job: setattr(conversation, "feedback_job_id", job.id),
    )
    return conversation


def realtime_token(data: dict[str, Any]) -> dict[str, Any]:
    """A short-lived client secret for a realtime voice session with the tutor's instructions
    at the learner's level; rate limited per learner and counted in their usage."""
    config = settings()
    if not config.openai_api_key:
        # Not a passing outage (503) but what this deployment offers: nothing to retry.
        raise Forbidden(
            "This deployment has no realtime voice sessions (they need OPENAI_API_KEY).",
            code="realtime_not_configured",
        )
    principal = current_principal()
    learner_id = learners.resolve(db.session, principal, data.get("learner"))
    if learner_id is None:
        raise Unprocessable("Name the learner who practises (`learner`).", code="learner_required")
    scenario = data.get("scenario")
    if scenario:
        conversations.check_partner_setup("llm", data["language"], scenario, None)
    setting = (
        "; ".join(
            part
            for part in (
                scenarios.scenario(scenario)["title"] if scenario else None,
                data.get("topic"),
            )
            if part
        )
        or "everyday life"
    )
    ratelimit.check("realtime", learner_id)
    instructions = tutor_instructions(
        data["language"],
        data["level"],
        setting,
        data.get("persona"),
        language_name(data["language"]),
    )
    try:
        secret = mint_client_secret(
            RealtimeConfig(
                api_key=config.openai_api_key,
                base_url=config.openai_base_url,
                model=config.openai_realtime_model,
                voice=config.openai_realtime_voice,
                ttl_seconds=config.realtime_token_ttl,
                timeout=config.llm_timeout_seconds,
            ),
            instructions,
        )
    except PipelineError as exc:
        if exc.retryable:
            raise ServiceUnavailable(exc.message, code=exc.code) from None
        raise AppError(exc.message, code=exc.code, status=502) from None
    usage.add(
        db.session,
        principal.organisation_id,
        learner_id,
        {"realtime_sessions": 1},
        source="realtime_session",
    )
    db.session.commit()
    return {
        "client_secret": secret.value,
        "model": secret.model,
        "voice": secret.voice,
        "expires_at": datetime.fromtimestamp(secret.expires_at, UTC),
        "instructions_version": INSTRUCTIONS_VERSION,
        "learner_id": learner_id,
    }
