from __future__ import annotations

from marshmallow import Schema, fields, validate

_URL = dict(schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=500))


class ProviderPutSchema(Schema):
    issuer = fields.Url(
        required=True,
        **_URL,
        metadata={"description": "The issuer, e.g. https://accounts.google.com."},
    )
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=500))
    client_secret = fields.String(
        validate=validate.Length(min=1, max=2000),
        metadata={
            "writeOnly": True,
            "description": "Stored encrypted, never shown again; left out, the stored one stays.",
        },
    )
    scopes = fields.String(
        load_default="openid email profile",
        validate=validate.Regexp(r"(^|.* )openid( .*|$)", error="The scopes must include openid."),
    )
    enabled = fields.Boolean(load_default=True)


class ProviderSchema(Schema):
    id = fields.String()
    name = fields.String()
    issuer = fields.String()
    client_id = fields.String()
    has_client_secret = fields.Function(lambda p: p.client_secret is not None)
    scopes = fields.String()
    enabled = fields.Boolean()
    sign_in_url = fields.Function(
        lambda p: f"/api/v1/auth/oidc/{p.organisation_id}/{p.name}/authorize",
        metadata={"description": "Where a browser starts signing in with this provider."},
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime(allow_none=True)


class CallbackArgs(Schema):
    state = fields.String(required=True, validate=validate.Length(min=1, max=500))
    code = fields.String(validate=validate.Length(min=1, max=4000))
    error = fields.String(validate=validate.Length(max=200))
    error_description = fields.String(validate=validate.Length(max=2000))
    iss = fields.String(validate=validate.Length(max=500))


API, CONSOLE = "api", "console"


class AuthorizeArgs(Schema):
    client = fields.String(
        load_default=API,
        validate=validate.OneOf((API, CONSOLE)),
        metadata={
            "description": "`console`: come back to the teacher console, signed in; `api` "
            "(default): the callback answers the tokens as JSON."
        },
    )


class SignInProviderSchema(Schema):
    name = fields.String()
    sign_in_url = fields.String()


class SignInProviderListSchema(Schema):
    items = fields.List(fields.Nested(SignInProviderSchema))
