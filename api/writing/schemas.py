from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.fields import CallbackUrl
from api.jobs.schemas import learner_field


class WritingAssessmentSchema(Schema):
    text = fields.String(
        required=True,
        validate=validate.Length(min=1),
        metadata={
            "description": "The learner's text (at most MAX_TEXT_CHARS characters, 10,000 by "
            "default; longer is 422 text_too_long)."
        },
    )
    language = fields.String(
        required=True, validate=validate.Length(min=2, max=16), metadata={"example": "en"}
    )
    task = fields.String(
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"description": "The task the learner answered; scores task achievement."},
    )
    callback_url = CallbackUrl()
    learner = learner_field()
