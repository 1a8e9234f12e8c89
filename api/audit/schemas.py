from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.fields import UtcDateTime
from api.pagination import PageArgs


class AuditArgs(PageArgs):
    action = fields.String(
        validate=validate.Length(max=64),
        metadata={
            "description": "An action (`member.role_changed`), or a family ending in `.*` "
            "(`api_key.*`)."
        },
    )
    actor_id = fields.String(validate=validate.Length(max=40))
    target_type = fields.String(validate=validate.Length(max=32))
    target_id = fields.String(validate=validate.Length(max=64))
    since = UtcDateTime(metadata={"description": "Records at or after this time."})
    until = UtcDateTime(metadata={"description": "Records before this time."})


class AuditActorSchema(Schema):
    type = fields.String(
        attribute="actor_type", metadata={"description": "user, api_key or system"}
    )
    id = fields.String(attribute="actor_id", allow_none=True)
    role = fields.String(attribute="actor_role", allow_none=True)


class AuditRecordSchema(Schema):
    id = fields.String(metadata={"example": "aud_01jd3k..."})
    created_at = fields.DateTime()
    actor = fields.Function(lambda row: AuditActorSchema().dump(row))
    action = fields.String(metadata={"example": "member.role_changed"})
    target_type = fields.String()
    target_id = fields.String(allow_none=True)
    before = fields.Dict(
        allow_none=True,
        metadata={"description": "The changed values before the action (never a secret)."},
    )
    after = fields.Dict(
        allow_none=True,
        metadata={"description": "The changed values after the action (never a secret)."},
    )
    request_id = fields.String(allow_none=True)
    ip = fields.String(allow_none=True)
