"""Conversation sessions and their messages: starting, taking turns, ending, and what the
reply job records. Services take the session and never commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from pipelines.conversation import LEVELS, Turn, scenarios
from storage.actor import Actor
from storage.db import utcnow
from storage.errors import Conflict, NotFound, Unprocessable
from storage.ids import new_id
from storage.models.conversations import ConversationMessage, ConversationSession
from storage.models.jobs import Job
from storage.tenancy import get_owned, tenant_select

# Job types that answer a turn (the opening has no learner message).
TURN_JOBS = ("conversation_turn", "conversation_audio_turn")
FEEDBACK_JOB = "conversation_feedback"
DEFAULT_SCENARIO = "introductions"


def check_partner_setup(
    partner: str, language: str, scenario: str | None, topic: str | None
) -> str | None:
    """The scenario the session follows; 422 with a code when the partner cannot hold it."""
    if scenario is not None:
        found = scenarios.scenario(scenario)
        if partner == "scenario" and found["language"] != language.split("-")[0]:
            raise Unprocessable(
                f"The scenario {scenario!r} is written in {found['language']}; the offline "
                f"partner cannot hold it in {language!r}.",
                code="scenario_language_unavailable",
            )
        return scenario
    if partner == "llm":
        return None
    if topic:
        raise Unprocessable(
            "A free topic needs the LLM partner (LLM_PROVIDER); the offline "
            "partner follows the scenarios of GET /conversations/scenarios.",
            code="topic_needs_llm",
        )
    if not scenarios.scenarios(language.split("-")[0]):
        raise Unprocessable(
            f"The offline partner has no scenario in {language!r}.",
            code="scenario_language_unavailable",
        )
    return DEFAULT_SCENARIO


def start(
    session: Session, actor: Actor, learner_user_id: str | None, data: dict[str, Any], partner: str
) -> ConversationSession:
    if learner_user_id is None:
        raise Unprocessable("Name the learner who practises (`learner`).", code="learner_required")
    if data["level"] not in LEVELS:
        raise Unprocessable(f"Unknown level {data['level']!r}.", code="validation_error")
    language = data["language"]
    scenario = check_partner_setup(partner, language, data.get("scenario"), data.get("topic"))
    persona = data.get("persona")
    if persona is None and scenario is not None:
        persona = scenarios.scenario(scenario)["persona"]
    conversation = ConversationSession(
        id=new_id("cnv"),
        organisation_id=actor.organisation_id,
        learner_user_id=learner_user_id,
        owner_user_id=actor.user_id,
        owner_api_key_id=actor.api_key_id,
        language=language,
        level=data["level"],
        scenario=scenario,
        topic=data.get("topic"),
        persona=persona,
        partner=partner,
        voice=data.get("voice"),
        speed=data.get("speed", 1.0),
        status="active",
        state={},
        turn_pending=True,
        turns=0,
    )
    session.add(conversation)
    session.flush()
    return conversation


def visible_query(actor: Actor) -> Select[tuple[ConversationSession]]:
    """Staff and API keys see the organisation's sessions; learners their own."""
    stmt = tenant_select(ConversationSession, actor.organisation_id)
    if not actor.is_staff():
        stmt = stmt.where(ConversationSession.learner_user_id == actor.user_id)
    return stmt


def get_visible(
    session: Session, actor: Actor, session_id: str, *, for_update: bool = False
) -> ConversationSession:
    stmt = visible_query(actor).where(ConversationSession.id == session_id)
    if for_update:
        stmt = stmt.with_for_update()
    found = session.scalars(stmt).first()
    if found is None:
        raise NotFound(f"No conversation session {session_id!r}.", code="session_not_found")
    return found


def list_query(
    actor: Actor, status: str | None, learner_id: str | None
) -> Select[tuple[ConversationSession]]:
    stmt = visible_query(actor)
    if status:
        stmt = stmt.where(ConversationSession.status == status)
    if learner_id:
        stmt = stmt.where(ConversationSession.learner_user_id == learner_id)
    return stmt.order_by(ConversationSession.created_at.desc(), ConversationSession.id)


def messages_query(conversation: ConversationSession) -> Select[tuple[ConversationMessage]]:
    return (
        tenant_select(ConversationMessage, conversation.organisation_id)
        .where(ConversationMessage.session_id == conversation.id)
        .order_by(ConversationMessage.position)
    )


def _check_open(conversation: ConversationSession) -> None:
    if conversation.status == "ended":
        raise Conflict(
            "The session has ended; start a new one to go on practising.", code="session_ended"
        )
    if conversation.turn_pending:
        raise Conflict(
            "The partner is still answering the last turn; wait for its job.",
            code="turn_in_progress",
            details={"job_id": conversation.last_job_id},
        )


def _next_position(session: Session, conversation: ConversationSession) -> int:
    last = session.scalar(
        select(func.max(ConversationMessage.position)).where(
            ConversationMessage.session_id == conversation.id
        )
    )
    return 0 if last is None else last + 1


def add_message(
    session: Session,
    conversation: ConversationSession,
    *,
    role: str,
    kind: str,
    status: str,
    text: str | None = None,
    media_id: str | None = None,
    job_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> ConversationMessage:
    message = ConversationMessage(
        id=new_id("cmsg"),
        organisation_id=conversation.organisation_id,
        session_id=conversation.id,
        position=_next_position(session, conversation),
        role=role,
        kind=kind,
        status=status,
        text=text,
        media_id=media_id,
        job_id=job_id,
        details=details or {},
    )
    session.add(message)
    session.flush()
    return message


def learner_turn(
    session: Session,
    conversation: ConversationSession,
    *,
    text: str | None = None,
    media_id: str | None = None,
) -> ConversationMessage:
    """Record the learner's turn (text ready; audio pending its transcript) and hold the
    session for the partner's answer. The session row must be locked (FOR UPDATE)."""
    _check_open(conversation)
    conversation.turn_pending = True
    if media_id is not None:
        return add_message(
            session, conversation, role="learner", kind="audio", status="pending", media_id=media_id
        )
    return add_message(
        session, conversation, role="learner", kind="text", status="ready", text=text
    )


def end(session: Session, conversation: ConversationSession) -> ConversationSession:
    if conversation.status == "ended":
        raise Conflict("The session has already ended.", code="session_ended")
    conversation.status = "ended"
    conversation.ended_at = utcnow()
    return conversation


def history(
    session: Session, conversation: ConversationSession, before: int | None = None
) -> tuple[Turn, ...]:
    """The turns said so far (ready messages with text), oldest first."""
    stmt = messages_query(conversation).where(
        ConversationMessage.status == "ready", ConversationMessage.text.is_not(None)
    )
    if before is not None:
        stmt = stmt.where(ConversationMessage.position < before)
    return tuple(Turn(m.role, m.text or "") for m in session.scalars(stmt))


def for_job(session: Session, job: Job, *, for_update: bool = False) -> ConversationSession:
    return get_owned(
        session,
        ConversationSession,
        job.input["session_id"],
        job.organisation_id,
        what="conversation session",
        for_update=for_update,
    )


def on_job_terminal(session: Session, job: Job) -> None:
    """Terminal hook: a turn whose job failed or was canceled frees the session, and the
    learner's message says why (silence, another language, a partner that did not answer);
    a failed feedback job says so on the session. A succeeded job has already done both."""
    if job.status == "succeeded" or job.type not in (*TURN_JOBS, FEEDBACK_JOB):
        return
    conversation = for_job(session, job, for_update=True)
    error = job.error or {"code": job.status, "message": f"The job was {job.status}."}
    if job.type == FEEDBACK_JOB:
        conversation.feedback = {"status": "failed", "error": error}
        return
    conversation.turn_pending = False
    message_id = job.input.get("message_id")
    if message_id:
        message = get_owned(
            session, ConversationMessage, message_id, job.organisation_id, what="message"
        )
        message.status = "failed"
        message.error_code, message.error_message = error.get("code"), error.get("message")


def message_data(message: ConversationMessage) -> dict[str, Any]:
    """A message as the API and the `conversation.message` webhook show it."""
    return {
        "id": message.id,
        "session_id": message.session_id,
        "position": message.position,
        "role": message.role,
        "kind": message.kind,
        "status": message.status,
        "text": message.text,
        "media_id": message.media_id,
        "job_id": message.job_id,
        "details": message.details,
        "error": (
            {"code": message.error_code, "message": message.error_message}
            if message.error_code
            else None
        ),
        "created_at": message.created_at.isoformat() if message.created_at else None,
    }
