"""Conversation turns (queues `transcription` then `conversation`) and end-of-session
feedback (queue `text`).

A text turn is one job, `conversation_turn`: the partner answers and the answer is spoken.
An audio turn, `conversation_audio_turn`, is first transcribed on the transcription queue
(with the CPU-heavy Whisper work) and hands its transcript to the same answering actor. The
opening of a session is a `conversation_turn` without a learner message.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from pipelines.conversation import ConversationContext, PartnerReply, build_partner, other_language
from pipelines.conversation import scenarios as scenario_scripts
from pipelines.conversation.feedback import METHOD as FEEDBACK_METHOD
from pipelines.conversation.feedback import TurnRecord, session_feedback
from pipelines.errors import PipelineError
from pipelines.transcription import Transcript
from storage import conversations, usage
from storage.models.conversations import ConversationMessage, ConversationSession
from storage.models.learning import Word
from storage.speech.recordings import fetched_recording
from storage.tenancy import get_owned
from storage.webhooks import events
from workers import runtime
from workers.actors.speech import transcriber_for, transcription_config
from workers.actors.synthesis import Speech, keep_speech, synthesise
from workers.actors.text import llm_for
from workers.engine import Continue, JobContext, Outcome, job_actor

# Whisper's language guess on a short turn is trusted above this probability; below it, a
# turn heard in another language is decoded again as the session's language.
TRUSTED_LANGUAGE = 0.6


@job_actor(
    "conversation_audio_turn",
    name="conversation_transcribe",
    queue="transcription",
    max_attempts=3,
    lease_seconds=120,
    time_limit_ms=10 * 60 * 1000,
)
def conversation_transcribe(ctx: JobContext) -> Continue:
    given = ctx.input
    ctx.report("transcribing", 5)
    transcriber = transcriber_for(transcription_config(ctx.settings))
    language = given["language"].split("-")[0]
    with fetched_recording(
        ctx.session, runtime.object_store(), ctx.job.organisation_id, given["media_id"]
    ) as path:
        transcript = transcriber.transcribe(path, None)
        heard = (transcript.language or language).split("-")[0]
        if heard != language and (transcript.language_probability or 0) < TRUSTED_LANGUAGE:
            transcript = transcriber.transcribe(path, language)
    return Continue(
        actor="conversation_reply",
        stage="answering",
        progress=50,
        checkpoint={"transcript": transcript.to_dict()},
    )


@job_actor(
    "conversation_turn",
    name="conversation_reply",
    queue="conversation",
    max_attempts=4,
    lease_seconds=120,
    time_limit_ms=5 * 60 * 1000,
)
def conversation_reply(ctx: JobContext) -> Outcome:
    """Answer the turn. The slow work (the partner, the speech) comes first and every row is
    written at the end, so the session is locked, and on SQLite the database, only briefly."""
    session, job = ctx.session, ctx.job
    conversation = conversations.for_job(session, job)
    learner = _learner_message(ctx)
    heard = _heard(ctx, conversation, learner) if learner is not None else {}
    ctx.report("answering", 60)
    context = ConversationContext(
        language=conversation.language,
        level=conversation.level,
        scenario=conversation.scenario,
        topic=conversation.topic,
        persona=conversation.persona,
        state=dict(conversation.state or {}),
        history=conversations.history(
            session, conversation, before=learner.position if learner else None
        ),
    )
    reply = _partner(ctx, conversation).reply(
        context, heard.get("text"), other_language=heard.get("other_language")
    )
    ctx.report("speaking", 80)
    speech, unspoken = _spoken(ctx, conversation, reply)

    conversation = conversations.for_job(session, job, for_update=True)
    if learner is not None:
        learner.text, learner.status, learner.job_id = heard["text"], "ready", job.id
        learner.details = heard["details"]
    audio = keep_speech(ctx, speech, f"reply-{job.id}") if speech else unspoken
    message = conversations.add_message(
        session,
        conversation,
        role="partner",
        kind="audio" if speech else "text",
        status="ready",
        text=reply.text,
        media_id=audio["media_id"] if speech else None,
        job_id=job.id,
        details=_reply_details(reply, audio),
    )
    conversation.state = reply.state
    conversation.turn_pending = False
    conversation.turns += 1 if learner is not None else 0
    conversation.last_job_id = job.id
    data = conversations.message_data(message)
    events.record_event(
        session,
        job.organisation_id,
        "conversation.message",
        data,
        user_id=conversation.learner_user_id,
        job_id=job.id,
    )
    usage.count_turn(session, conversation, learner, reply, audio)
    result = {
        "session_id": conversation.id,
        "learner_message": conversations.message_data(learner) if learner else None,
        "reply": data,
    }
    return Outcome(
        result, provider=reply.provider, model=reply.model, prompt_version=reply.prompt_version
    )


def _learner_message(ctx: JobContext) -> ConversationMessage | None:
    message_id = ctx.input.get("message_id")
    if not message_id:
        return None
    return get_owned(
        ctx.session, ConversationMessage, message_id, ctx.job.organisation_id, what="message"
    )


def _heard(
    ctx: JobContext, conversation: ConversationSession, message: ConversationMessage
) -> dict[str, Any]:
    """What the learner said: the transcript of the first stage for audio, with its facts,
    and the language it was in when not the session's."""
    details = dict(message.details or {})
    language = conversation.language.split("-")[0]
    text = message.text or ""
    if "transcript" in ctx.checkpoint:
        transcript = Transcript.from_dict(ctx.checkpoint["transcript"])
        text = transcript.text.strip()
        heard = (transcript.language or language).split("-")[0]
        # Kept whole (a turn is seconds long): the feedback scores the speaking from it.
        details["transcript"] = transcript.to_dict()
        if heard != language:
            details["other_language"] = heard
    elif text:
        found = other_language(text, language)
        if found:
            details["other_language"] = found
    return {"text": text, "details": details, "other_language": details.get("other_language")}


def _partner(ctx: JobContext, conversation: ConversationSession) -> Any:
    if conversation.partner == "llm":
        llm = llm_for(ctx.settings)
        if llm is None:
            raise PipelineError(
                "partner_unavailable",
                "The session's LLM partner is no longer configured (LLM_PROVIDER is offline).",
            )
        title = (
            scenario_scripts.scenario(conversation.scenario)["title"]
            if conversation.scenario
            else None
        )
        return build_partner("llm", llm=llm, scenario_title=title)
    return build_partner("scenario")


def _spoken(
    ctx: JobContext, conversation: ConversationSession, reply: PartnerReply
) -> tuple[Speech | None, dict[str, Any] | None]:
    """The reply spoken in the session's voice; or None, and why when it was wanted (no
    voice speaks the language: the text still answers)."""
    if not ctx.settings.conversation_speak_replies:
        return None, None
    try:
        return synthesise(
            ctx.settings, reply.text, conversation.voice, conversation.language, conversation.speed
        ), None
    except PipelineError as exc:
        if exc.retryable:
            raise
        return None, {"error": {"code": exc.code, "message": exc.message}, "media_id": None}


def _reply_details(reply: PartnerReply, audio: dict[str, Any] | None) -> dict[str, Any]:
    details = {
        key: value
        for key, value in reply.to_dict().items()
        if key not in ("text", "state", "usage") and value is not None
    }
    if audio is not None:
        details["audio"] = audio
    return details


@job_actor(
    "conversation_feedback",
    name="conversation_feedback",
    queue="text",
    max_attempts=3,
    lease_seconds=120,
    time_limit_ms=5 * 60 * 1000,
)
def conversation_feedback(ctx: JobContext) -> Outcome:
    session = ctx.session
    conversation = conversations.for_job(session, ctx.job, for_update=True)
    ctx.report("reviewing", 10)
    turns = [
        TurnRecord(
            m.id,
            m.position,
            m.role,
            m.kind,
            m.text or "",
            transcript=(m.details or {}).get("transcript"),
            details=m.details or {},
        )
        for m in session.scalars(conversations.messages_query(conversation))
        if m.status == "ready"
    ]
    language = conversation.language.split("-")[0]
    known = {
        term.lower()
        for term in session.scalars(
            select(Word.term).where(
                Word.organisation_id == conversation.organisation_id, Word.language == language
            )
        )
    }
    feedback = session_feedback(
        turns, language=conversation.language, level=conversation.level, known_terms=known
    )
    conversation.feedback = feedback
    return Outcome(
        {"session_id": conversation.id, "feedback": feedback},
        provider="offline",
        model=FEEDBACK_METHOD,
    )
