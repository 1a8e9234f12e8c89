from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.fields import CallbackUrl
from api.jobs.schemas import learner_field
from pipelines.synthesis import ENGINES, MAX_SPEED, MIN_SPEED


class VoiceArgs(Schema):
    language = fields.String(
        validate=validate.Length(min=2, max=16),
        metadata={"description": "Only voices that speak this language (`en`, `en-US`, `es`)."},
    )
    engine = fields.String(validate=validate.OneOf(ENGINES))


class VoiceSchema(Schema):
    id = fields.String(metadata={"example": "piper:en_US-joe-medium"})
    engine = fields.String(metadata={"enum": list(ENGINES)})
    name = fields.String()
    language = fields.String(metadata={"description": "`mul`: speaks the text's language."})
    sample_rate = fields.Integer()
    gender = fields.String(allow_none=True)
    offline = fields.Boolean(metadata={"description": "Synthesised on the platform's own CPU."})


class VoiceListSchema(Schema):
    items = fields.List(fields.Nested(VoiceSchema))


class SynthesisRequestSchema(Schema):
    # No length rule here: an over-long text is 422 `text_too_long` with the limit
    # (MAX_SYNTHESIS_CHARS); the request body limit bounds what is read.
    text = fields.String(required=True)
    voice = fields.String(
        validate=validate.Length(max=80),
        metadata={
            "description": "A voice id from GET /speech/voices; else the first configured engine's "
            "voice for `language`."
        },
    )
    language = fields.String(validate=validate.Length(min=2, max=16), metadata={"example": "en"})
    speed = fields.Float(
        load_default=1.0,
        validate=validate.Range(MIN_SPEED, MAX_SPEED),
        metadata={"description": "1.0 is the voice's normal pace; learners often want 0.8."},
    )


class SynthesisJobRequestSchema(SynthesisRequestSchema):
    callback_url = CallbackUrl()
    learner = learner_field()
