from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.fields import CallbackUrl
from api.jobs.schemas import learner_field
from api.pagination import PageArgs
from pipelines.conversation import LEVELS
from pipelines.synthesis import MAX_SPEED, MIN_SPEED
from storage.models.conversations import (
    MESSAGE_KINDS,
    MESSAGE_STATUSES,
    PARTNERS,
    ROLES,
    SESSION_STATUSES,
)


class ScenarioSchema(Schema):
    id = fields.String(metadata={"example": "ordering-food"})
    language = fields.String()
    title = fields.String()
    persona = fields.String()
    bands = fields.Dict(
        metadata={"description": "Level band (A: A1-A2, B: B1 and up) -> number of steps."}
    )


class ScenarioListSchema(Schema):
    version = fields.String()
    items = fields.List(fields.Nested(ScenarioSchema))


class SessionStartSchema(Schema):
    language = fields.String(
        required=True, validate=validate.Length(min=2, max=16), metadata={"example": "en"}
    )
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    scenario = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={
            "description": "A scenario of GET /conversations/scenarios (the offline partner "
            "follows its script; the LLM partner takes it as the setting)."
        },
    )
    topic = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "A free topic (LLM partner)."},
    )
    persona = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Who the partner plays; the scenario's persona by default."},
    )
    voice = fields.String(
        validate=validate.Length(max=80),
        metadata={"description": "The voice replies are spoken in (GET /speech/voices)."},
    )
    speed = fields.Float(load_default=1.0, validate=validate.Range(MIN_SPEED, MAX_SPEED))
    learner = learner_field()


class SessionSchema(Schema):
    id = fields.String(metadata={"example": "cnv_01jd3k..."})
    learner_id = fields.String(attribute="learner_user_id")
    language = fields.String()
    level = fields.String(metadata={"enum": list(LEVELS)})
    scenario = fields.String(allow_none=True)
    topic = fields.String(allow_none=True)
    persona = fields.String(allow_none=True)
    partner = fields.String(
        metadata={
            "enum": list(PARTNERS),
            "description": "Who answers: the offline scenarios or the LLM.",
        }
    )
    voice = fields.String(allow_none=True)
    speed = fields.Float()
    status = fields.String(metadata={"enum": list(SESSION_STATUSES)})
    turns = fields.Integer(metadata={"description": "Learner turns answered."})
    turn_pending = fields.Boolean(metadata={"description": "The partner is answering."})
    last_job_id = fields.String(allow_none=True)
    state = fields.Dict(
        metadata={
            "description": "The scenario's step and whether its script is complete (`ended`)."
        }
    )
    feedback_job_id = fields.String(allow_none=True)
    feedback = fields.Dict(
        allow_none=True,
        metadata={"description": "After the end: corrections per turn, levels, new words."},
    )
    created_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)


class SessionListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(SESSION_STATUSES))
    learner_id = fields.String(validate=validate.Length(max=40))


class MessageSchema(Schema):
    id = fields.String()
    session_id = fields.String()
    position = fields.Integer()
    role = fields.String(metadata={"enum": list(ROLES)})
    kind = fields.String(metadata={"enum": list(MESSAGE_KINDS)})
    status = fields.String(metadata={"enum": list(MESSAGE_STATUSES)})
    text = fields.String(allow_none=True)
    media_id = fields.String(
        allow_none=True,
        metadata={"description": "The learner's recording, or the partner's spoken reply."},
    )
    job_id = fields.String(allow_none=True)
    details = fields.Dict(
        metadata={
            "description": "Learner: transcript facts, "
            "`other_language`. Partner: `partner`, `provider`, `model`, "
            "`intent`, `correction`, `level_check`, `audio`."
        }
    )
    error = fields.Method("_error", allow_none=True)
    created_at = fields.DateTime()

    def _error(self, message: object) -> dict | None:
        code = getattr(message, "error_code", None)
        return {"code": code, "message": message.error_message} if code else None  # type: ignore[attr-defined]


class TextTurnSchema(Schema):
    # No length rule here: an over-long turn is 422 `text_too_long` with the limit.
    text = fields.String(required=True)
    callback_url = CallbackUrl()


class AudioTurnSchema(Schema):
    media_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "The learner's recording (POST /media), status ready."},
    )
    callback_url = CallbackUrl()


class RealtimeRequestSchema(Schema):
    language = fields.String(required=True, validate=validate.Length(min=2, max=16))
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    scenario = fields.String(validate=validate.Length(min=1, max=64))
    topic = fields.String(validate=validate.Length(min=1, max=200))
    persona = fields.String(validate=validate.Length(min=1, max=200))
    learner = learner_field()


class RealtimeTokenSchema(Schema):
    client_secret = fields.String(
        metadata={
            "description": "Give it to the learner's app to open the realtime session; it expires "
            "at `expires_at`. Shown once, never stored."
        }
    )
    expires_at = fields.DateTime()
    model = fields.String()
    voice = fields.String()
    instructions_version = fields.String()
    learner_id = fields.String()
