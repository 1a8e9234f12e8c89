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
from workers.actors.synthesis import speak_to_media
from workers.actors.text import llm_for
from workers.engine import Continue, JobContext, Outcome, job_actor

# Whisper's language guess on a short turn is trusted above this probability; below it, a
# turn heard in another language is decoded again as the session's language.
TRUSTED_LANGUAGE = 0.6


@job_actor("conversation_audio_turn", name="conversation_transcribe", queue="transcription",
           max_attempts=3, lease_seconds=120, time_limit_ms=10 * 60 * 1000)  # fmt: skip
def conversation_transcribe(ctx: JobContext) -> Continue:
    given = ctx.input
    ctx.report("transcribing", 5)
    transcriber = transcriber_for(transcription_config(ctx.settings))
    language = given["language"].split("-")[0]
    with fetched_recording(ctx.session, runtime.object_store(), ctx.job.organisation_id,
                           given["media_id"]) as path:  # fmt: skip
        transcript = transcriber.transcribe(path, None)
        heard = (transcript.language or language).split("-")[0]
        if heard != language and (transcript.language_probability or 0) < TRUSTED_LANGUAGE:
            transcript = transcriber.transcribe(path, language)
    return Continue(actor="conversation_reply", stage="answering", progress=50,
                    checkpoint={"transcript": transcript.to_dict()})


@job_actor("conversation_turn", name="conversation_reply", queue="conversation",
           max_attempts=4, lease_seconds=120, time_limit_ms=5 * 60 * 1000)  # fmt: skip
def conversation_reply(ctx: JobContext) -> Outcome:
    session, job = ctx.session, ctx.job
    conversation = conversations.for_job(session, job, for_update=True)
    learner = _learner_message(ctx, conversation)
    ctx.report("answering", 60)
    text = learner.text if learner is not None else None
    foreign = learner.details.get("other_language") if learner is not None else None
    context = ConversationContext(
        language=conversation.language, level=conversation.level,
        scenario=conversation.scenario, topic=conversation.topic,
        persona=conversation.persona, state=dict(conversation.state or {}),
        history=conversations.history(session, conversation,
                                      before=learner.position if learner else None))
    reply = _partner(ctx, conversation).reply(context, text, other_language=foreign)
    ctx.report("speaking", 80)
    audio = _spoken(ctx, conversation, reply)
    message = conversations.add_message(
        session, conversation, role="partner",
        kind="audio" if audio and audio.get("media_id") else "text",
        status="ready", text=reply.text, media_id=audio["media_id"] if audio else None,
        job_id=job.id, details=_reply_details(reply, audio))
    conversation.state = reply.state
    conversation.turn_pending = False
    conversation.turns += 1 if learner is not None else 0
    conversation.last_job_id = job.id
    data = conversations.message_data(message)
    events.record_event(session, job.organisation_id, "conversation.message", data,
                        user_id=conversation.learner_user_id, job_id=job.id)
    usage.count_turn(session, conversation, learner, reply, audio)
    result = {"session_id": conversation.id,
              "learner_message": conversations.message_data(learner) if learner else None,
              "reply": data}
    return Outcome(result, provider=reply.provider, model=reply.model,
                   prompt_version=reply.prompt_version)


def _learner_message(ctx: JobContext, conversation: ConversationSession
                     ) -> ConversationMessage | None:
    """The learner's turn, its transcript filled in from the first stage for audio."""
    message_id = ctx.input.get("message_id")
    if not message_id:
        return None
    message = get_owned(ctx.session, ConversationMessage, message_id, ctx.job.organisation_id,
                        what="message")
    message.job_id = ctx.job.id
    details = dict(message.details or {})
    language = conversation.language.split("-")[0]
    if "transcript" in ctx.checkpoint:
        transcript = Transcript.from_dict(ctx.checkpoint["transcript"])
        message.text = transcript.text.strip()
        heard = (transcript.language or language).split("-")[0]
        # Kept whole (a turn is seconds long): the feedback scores the speaking from it.
        details["transcript"] = transcript.to_dict()
        if heard != language:
            details["other_language"] = heard
    elif message.text:
        found = other_language(message.text, language)
        if found:
            details["other_language"] = found
    message.details = details
    message.status = "ready"
    return message


def _partner(ctx: JobContext, conversation: ConversationSession) -> Any:
    if conversation.partner == "llm":
        llm = llm_for(ctx.settings)
        if llm is None:
            raise PipelineError("partner_unavailable", "The session's LLM partner is no longer "
                                "configured (LLM_PROVIDER is offline).")
        title = (scenario_scripts.scenario(conversation.scenario)["title"]
                 if conversation.scenario else None)
        return build_partner("llm", llm=llm, scenario_title=title)
    return build_partner("scenario")


def _spoken(ctx: JobContext, conversation: ConversationSession, reply: PartnerReply
            ) -> dict[str, Any] | None:
    """The reply spoken in the session's voice, or None (not wanted, or no voice speaks the
    language: the text still answers)."""
    if not ctx.settings.conversation_speak_replies:
        return None
    try:
        return speak_to_media(ctx, reply.text, conversation.voice, conversation.language,
                              conversation.speed, f"reply-{ctx.job.id}")  # fmt: skip
    except PipelineError as exc:
        if exc.retryable:
            raise
        return {"error": {"code": exc.code, "message": exc.message}, "media_id": None}


def _reply_details(reply: PartnerReply, audio: dict[str, Any] | None) -> dict[str, Any]:
    details = {key: value for key, value in reply.to_dict().items()
               if key not in ("text", "state", "usage") and value is not None}
    if audio is not None:
        details["audio"] = audio
    return details


@job_actor("conversation_feedback", name="conversation_feedback", queue="text", max_attempts=3,
           lease_seconds=120, time_limit_ms=5 * 60 * 1000)  # fmt: skip
def conversation_feedback(ctx: JobContext) -> Outcome:
    session = ctx.session
    conversation = conversations.for_job(session, ctx.job, for_update=True)
    ctx.report("reviewing", 10)
    turns = [TurnRecord(m.id, m.position, m.role, m.kind, m.text or "",
                        transcript=(m.details or {}).get("transcript"), details=m.details or {})
             for m in session.scalars(conversations.messages_query(conversation))
             if m.status == "ready"]  # fmt: skip
    language = conversation.language.split("-")[0]
    known = {term.lower() for term in session.scalars(select(Word.term).where(
        Word.organisation_id == conversation.organisation_id, Word.language == language))}
    feedback = session_feedback(turns, language=conversation.language,
                                level=conversation.level, known_terms=known)  # fmt: skip
    conversation.feedback = feedback
    return Outcome({"session_id": conversation.id, "feedback": feedback},
                   provider="offline", model=FEEDBACK_METHOD)
