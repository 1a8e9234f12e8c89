from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.pagination import PageArgs


class LearnerLmsIdSchema(Schema):
    lms = fields.String()
    external_id = fields.String()


class LearnerSchema(Schema):
    id = fields.String(metadata={"example": "usr_01jd3k..."})
    name = fields.String()
    email = fields.String(
        allow_none=True,
        metadata={"description": "Null for a learner provisioned without an email."},
    )
    timezone = fields.String()
    native_language = fields.String(allow_none=True)
    target_languages = fields.List(fields.String())
    is_active = fields.Boolean()
    external_id = fields.String(
        allow_none=True,
        metadata={"description": "The member's own LMS id (xAPI actor, AGS userId)."},
    )
    identities = fields.List(
        fields.Nested(LearnerLmsIdSchema),
        metadata={"description": "The learner's ids in the organisation's LMSs."},
    )
    created = fields.Boolean(
        metadata={"description": "Set by an upsert: whether it created the learner."}
    )
    created_at = fields.DateTime()


class LearnerUpsertSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    email = fields.Email(validate=validate.Length(max=320))
    timezone = fields.String(validate=validate.Length(max=64))
    native_language = fields.String(validate=validate.Length(max=16))
    target_languages = fields.List(
        fields.String(validate=validate.Length(max=16)), validate=validate.Length(max=20)
    )


class LearnerListArgs(PageArgs):
    lms = fields.String(validate=validate.Length(max=255))
    external_id = fields.String(validate=validate.Length(max=255))
