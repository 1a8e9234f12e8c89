from __future__ import annotations

from marshmallow import Schema, fields, validate

_URL = dict(schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=2000))


class PlatformCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    issuer = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={
            "description": "The platform's `iss`, e.g. the Moodle site URL or "
            "https://canvas.instructure.com."
        },
    )
    client_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=255),
        metadata={"description": "The client id the LMS gave the tool."},
    )
    deployment_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=255)),
        load_default=list,
        validate=validate.Length(max=100),
    )
    auth_login_url = fields.Url(
        required=True,
        **_URL,
        metadata={"description": "The LMS's OIDC authentication request URL."},
    )
    token_url = fields.Url(
        required=True, **_URL, metadata={"description": "The LMS's OAuth2 access token URL."}
    )
    jwks_url = fields.Url(
        required=True, **_URL, metadata={"description": "The LMS's public keyset URL."}
    )
    token_audience = fields.String(
        validate=validate.Length(max=2000),
        allow_none=True,
        metadata={"description": "`aud` of the client assertion when not the token URL."},
    )


class PlatformUpdateSchema(PlatformCreateSchema):
    # marshmallow has no `partial` Meta option: a PATCH names only the fields it changes.
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class PlatformSchema(Schema):
    id = fields.String()
    name = fields.String()
    issuer = fields.String()
    client_id = fields.String()
    deployment_ids = fields.List(fields.String())
    auth_login_url = fields.String()
    token_url = fields.String()
    jwks_url = fields.String()
    token_audience = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime(allow_none=True)


class RosterSyncSchema(Schema):
    resource_link_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=255),
        metadata={"description": "A resource link launched from the course to synchronise."},
    )


class ToolConfigSchema(Schema):
    """What an LMS admin types into the LMS when registering the tool."""

    jwks_url = fields.String(metadata={"description": "Public keyset URL."})
    login_url = fields.String(metadata={"description": "Initiate login URL."})
    launch_url = fields.String(metadata={"description": "Redirection URI / target link."})
    scopes = fields.List(fields.String())


class JwksSchema(Schema):
    keys = fields.List(fields.Dict())
