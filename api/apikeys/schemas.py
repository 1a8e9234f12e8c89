from __future__ import annotations

from marshmallow import Schema, fields, validate

from storage.identity import API_KEY_SCOPES


class ApiKeyCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    scopes = fields.List(
        fields.String(validate=validate.OneOf(API_KEY_SCOPES)),
        required=True,
        validate=validate.Length(min=1),
    )


class ApiKeySchema(Schema):
    id = fields.String()
    name = fields.String()
    prefix = fields.String()
    scopes = fields.List(fields.String())
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    revoked = fields.Boolean()


class IssuedApiKeySchema(ApiKeySchema):
    key = fields.String(
        metadata={
            "description": "The secret, shown once. Send it as "
            "`Authorization: Bearer <key>` or `X-API-Key`."
        }
    )
