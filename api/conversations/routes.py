"""Conversation practice: sessions with a partner (offline scenarios or an LLM), text and
audio turns answered by jobs, and feedback when a session ends."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.conversations import service
from api.conversations.schemas import (
    AudioTurnSchema,
    MessageSchema,
    RealtimeRequestSchema,
    RealtimeTokenSchema,
    ScenarioListSchema,
    SessionListArgs,
    SessionSchema,
    SessionStartSchema,
    TextTurnSchema,
)
from api.jobs.decorators import submits_job
from api.pagination import PageArgs, page_schema, paginate
from api.security import ANY_ROLE, auth_required, current_principal
from pipelines.conversation import scenarios
from storage import conversations
from storage.db import db

blp = Blueprint(
    "conversations",
    __name__,
    url_prefix="/api/v1",
    description="Practise conversation with a partner at the learner's level: start a session, "
    "send text or recorded turns (each answered by a job; `conversation.message` webhooks), "
    "end it for feedback.",
)


@blp.route("/conversations/scenarios")
class Scenarios(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, ScenarioListSchema)
    def get(self):
        """List the scenarios of the offline partner, with their level bands."""
        items = [
            {
                **{k: s[k] for k in ("id", "language", "title", "persona")},
                "bands": {b: len(v["steps"]) for b, v in s["bands"].items()},
            }
            for s in scenarios.scenarios()
        ]
        return {"version": scenarios.version(), "items": items}


@blp.route("/conversations/sessions")
class Sessions(MethodView):
    @auth_required(ANY_ROLE, scope="jobs:write")
    @blp.arguments(SessionStartSchema)
    @blp.response(201, SessionSchema)
    def post(self, data: dict):
        """Start a session; the partner's opening line comes from the job in `last_job_id`."""
        return service.start(data)

    @auth_required(ANY_ROLE, scope="jobs:read")
    @blp.arguments(SessionListArgs, location="query")
    @blp.response(200, page_schema(SessionSchema))
    def get(self, args: dict):
        """List sessions, newest first (learners see their own)."""
        stmt = conversations.list_query(
            current_principal(), args.get("status"), args.get("learner_id")
        )
        return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.route("/conversations/sessions/<session_id>")
class SessionView(MethodView):
    @auth_required(ANY_ROLE, scope="jobs:read")
    @blp.response(200, SessionSchema)
    def get(self, session_id: str):
        """Read a session, with its feedback once it has ended."""
        return conversations.get_visible(db.session, current_principal(), session_id)


@blp.route("/conversations/sessions/<session_id>/end")
class SessionEnd(MethodView):
    @auth_required(ANY_ROLE, scope="jobs:write")
    @blp.response(200, SessionSchema)
    def post(self, session_id: str):
        """End a session; its feedback is made by the job in `feedback_job_id`."""
        return service.end(session_id)


@blp.route("/conversations/sessions/<session_id>/messages")
class Messages(MethodView):
    @auth_required(ANY_ROLE, scope="jobs:read")
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(MessageSchema))
    def get(self, args: dict, session_id: str):
        """The session's messages in order: the learner's turns and the partner's replies."""
        conversation = conversations.get_visible(db.session, current_principal(), session_id)
        return paginate(
            db.session, conversations.messages_query(conversation), args["page"], args["per_page"]
        )


@blp.route("/conversations/sessions/<session_id>/text")
class TextTurn(MethodView):
    @submits_job(blp, TextTurnSchema, refusals=[(409, "CONFLICT")])
    def post(self, data: dict, session_id: str, callback_url: str | None):
        """Send a written turn; the job's result holds the partner's reply."""
        return service.take_turn(session_id, text=data["text"], callback_url=callback_url)


@blp.route("/conversations/sessions/<session_id>/audio")
class AudioTurn(MethodView):
    @submits_job(blp, AudioTurnSchema, refusals=[(409, "CONFLICT")])
    def post(self, data: dict, session_id: str, callback_url: str | None):
        """Send a recorded turn: transcribed, then answered; the job's result holds both."""
        return service.take_turn(session_id, media_id=data["media_id"], callback_url=callback_url)


@blp.route("/conversations/realtime")
class RealtimeToken(MethodView):
    @auth_required(ANY_ROLE, scope="jobs:write")
    @blp.arguments(RealtimeRequestSchema)
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    @blp.response(201, RealtimeTokenSchema)
    def post(self, data: dict):
        """Mint a short-lived client secret for a realtime voice session (OpenAI deployments)."""
        return service.realtime_token(data)
