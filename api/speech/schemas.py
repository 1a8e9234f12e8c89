from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.jobs.schemas import learner_field
from api.pagination import PageArgs
from storage.models.speech import PROMPT_KINDS

LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")

_MEDIA_ID = fields.String(
    required=True,
    validate=validate.Length(min=1, max=40),
    metadata={"description": "An audio (or video) media item of the caller, status ready."},
)
_LANGUAGE = fields.String(
    allow_none=True,
    validate=validate.Length(min=2, max=16),
    metadata={"example": "en", "description": "ISO 639-1 code; detected when left out."},
)
_CALLBACK = fields.Url(schemes={"http", "https"}, validate=validate.Length(max=2000))


class TranscriptionRequestSchema(Schema):
    media_id = _MEDIA_ID
    language = _LANGUAGE
    callback_url = _CALLBACK
    learner = learner_field()


class SpeakingAssessmentRequestSchema(Schema):
    media_id = _MEDIA_ID
    language = _LANGUAGE
    prompt_id = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "A task from GET /speaking-prompts (sets the language, and "
                                 "the reference text of a reading task)."},
    )  # fmt: skip
    prompt_text = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "The task the learner answered, when not from the catalogue."},
    )
    reference_text = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=5000),
        metadata={"description": "For a scripted reading: the text read aloud; the result "
                                 "then gives completeness and accuracy against it."},
    )  # fmt: skip
    callback_url = _CALLBACK
    learner = learner_field()

    @validates_schema
    def one_task(self, data: dict, **_: object) -> None:
        if data.get("prompt_id") and data.get("prompt_text"):
            raise ValidationError("Give prompt_id or prompt_text, not both.", "prompt_text")


class SpeakingPromptSchema(Schema):
    id = fields.String(metadata={"example": "spp_en_b1_1"})
    language = fields.String()
    level = fields.String(metadata={"enum": list(LEVELS)})
    kind = fields.String(metadata={"enum": list(PROMPT_KINDS)})
    topic = fields.String()
    title = fields.String()
    instructions = fields.String()
    reference_text = fields.String(allow_none=True)
    suggested_seconds = fields.Integer()


class SpeakingPromptArgs(PageArgs):
    language = fields.String(validate=validate.Length(min=2, max=16))
    level = fields.String(validate=validate.OneOf(LEVELS))
    kind = fields.String(validate=validate.OneOf(PROMPT_KINDS))
