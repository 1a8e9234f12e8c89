from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.fields import CallbackUrl
from api.jobs.schemas import learner_field


class HintRequestSchema(Schema):
    word = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"example": "こんにちは"}
    )
    word_id = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={
            "description": "A vocabulary word of the organisation (its entry feeds the hint)."
        },
    )
    language = fields.String(
        validate=validate.Length(min=2, max=16),
        metadata={
            "description": "Required with `word`; defaults to the word's language with `word_id`."
        },
    )
    context = fields.String(
        allow_none=True, validate=validate.Length(max=200), metadata={"example": "Basic Greetings"}
    )
    callback_url = CallbackUrl()
    learner = learner_field()

    @validates_schema
    def _word_or_id(self, data: dict, **_: object) -> None:
        if not data.get("word") and not data.get("word_id"):
            raise ValidationError("Give `word` or `word_id`.", "word")
