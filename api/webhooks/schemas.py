from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.fields import UtcDateTime
from api.pagination import PageArgs
from core.outbound import check_url
from storage.models.webhooks import DELIVERY_STATES, EVENT_TYPES, FORMATS


def _webhook_url(value: str) -> None:
    problem = check_url(value)
    if problem:
        raise ValidationError(problem)


def _url(**options: object) -> fields.String:
    return fields.String(
        validate=[validate.Length(min=1, max=2000), _webhook_url],
        metadata={
            "description": "http or https URL the platform posts to; no credentials or fragment."
        },
        **options,
    )


def _events(**options: object) -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(EVENT_TYPES)),
        validate=validate.Length(max=len(EVENT_TYPES)),
        metadata={"description": "Event types to receive; empty for every type."},
        **options,
    )


def _format(**options: object) -> fields.String:
    return fields.String(
        validate=validate.OneOf(FORMATS),
        metadata={
            "description": "standard: {type, timestamp, data}; xapi: an xAPI statement; "
            "lti_ags: an LTI AGS score (both for assessment results only)."
        },
        **options,
    )


def _lms_base_url() -> fields.Url:
    return fields.Url(
        schemes={"http", "https"},
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={
            "description": "The LMS home page, the xAPI account homePage "
            "(default: the URL's origin)."
        },
    )


class LrsAuthSchema(Schema):
    """How the platform authenticates at an LRS (xAPI endpoints); stored encrypted, never
    shown again."""

    scheme = fields.String(
        required=True,
        validate=validate.OneOf(("basic", "bearer", "oauth")),
        metadata={
            "description": "basic (username, password), bearer "
            "(token) or oauth (token_url, client_id, "
            "client_secret, scope: client credentials)"
        },
    )
    username = fields.String(validate=validate.Length(min=1, max=500))
    password = fields.String(
        validate=validate.Length(min=1, max=2000), metadata={"writeOnly": True}
    )
    token = fields.String(validate=validate.Length(min=1, max=4000), metadata={"writeOnly": True})
    token_url = fields.Url(
        schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=2000)
    )
    client_id = fields.String(validate=validate.Length(min=1, max=500))
    client_secret = fields.String(
        validate=validate.Length(min=1, max=2000), metadata={"writeOnly": True}
    )
    scope = fields.String(validate=validate.Length(max=500))

    @validates_schema
    def _complete(self, data: dict, **kwargs: object) -> None:
        if data["scheme"] == "basic" and not (data.get("username") and data.get("password")):
            raise ValidationError("Basic authentication needs a username and a password.")
        if data["scheme"] == "bearer" and not data.get("token"):
            raise ValidationError("Bearer authentication needs a token.")
        if data["scheme"] == "oauth" and not all(
            data.get(k) for k in ("token_url", "client_id", "client_secret")
        ):
            raise ValidationError("OAuth needs token_url, client_id and client_secret.")


def _actor_lms() -> fields.String:
    return fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=64),
        metadata={
            "description": "xAPI: the LMS whose learner ids name the actors (an LTI platform id, "
            "or the `lms` name learners were provisioned under); default: the "
            "learner's own `external_id`, else the platform's user id."
        },
    )


def _lrs_auth() -> fields.Nested:
    return fields.Nested(
        LrsAuthSchema,
        allow_none=True,
        metadata={
            "description": "xAPI: the LRS's credentials (Basic, or a Bearer token); null "
            "removes them."
        },
    )


class EndpointCreateSchema(Schema):
    url = _url(required=True)
    events = _events(load_default=list)
    format = _format(load_default="standard")
    description = fields.String(load_default="", validate=validate.Length(max=500))
    lms_base_url = _lms_base_url()
    actor_lms = _actor_lms()
    lrs_auth = _lrs_auth()


class EndpointUpdateSchema(Schema):
    url = _url()
    events = _events()
    format = _format()
    description = fields.String(validate=validate.Length(max=500))
    lms_base_url = _lms_base_url()
    actor_lms = _actor_lms()
    lrs_auth = _lrs_auth()
    enabled = fields.Boolean(
        metadata={"description": "false disables the endpoint; true re-enables a disabled one."}
    )


class EndpointSchema(Schema):
    id = fields.String(metadata={"example": "whk_01jd3k..."})
    url = fields.String()
    description = fields.String()
    events = fields.List(fields.String(), attribute="event_types")
    format = fields.String()
    lms_base_url = fields.String(allow_none=True)
    actor_lms = fields.String(allow_none=True)
    lrs_auth_scheme = fields.String(
        allow_none=True,
        metadata={"description": "basic or bearer when LRS credentials are stored (never shown)."},
    )
    enabled = fields.Boolean()
    disabled_reason = fields.String(allow_none=True)
    disabled_at = fields.DateTime(allow_none=True)
    failing_since = fields.DateTime(allow_none=True)
    previous_secret_expires_at = fields.DateTime(
        allow_none=True,
        metadata={"description": "Until then the previous secret signs too (rotation overlap)."},
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime(allow_none=True)


class CreatedEndpointSchema(EndpointSchema):
    secret = fields.String(metadata={"description": "Shown once. Verify signatures with it."})


class RotateSecretSchema(Schema):
    overlap_seconds = fields.Integer(
        validate=validate.Range(min=0, max=7 * 24 * 3600),
        metadata={
            "description": "How long the old secret keeps signing (default from configuration)."
        },
    )


class RotatedSecretSchema(Schema):
    secret = fields.String(metadata={"description": "The new secret. Shown once."})
    previous_secret_expires_at = fields.DateTime(allow_none=True)


class AttemptSchema(Schema):
    number = fields.Integer()
    url = fields.String()
    started_at = fields.DateTime()
    response_status = fields.Integer(allow_none=True)
    response_body = fields.String(allow_none=True, metadata={"description": "First 1 KB."})
    duration_ms = fields.Integer()
    error = fields.String(allow_none=True)
    error_detail = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    outcome = fields.String()
    next_attempt_at = fields.DateTime(allow_none=True)


class DeliverySchema(Schema):
    id = fields.String(metadata={"example": "whd_01jd3k..."})
    event_id = fields.String(metadata={"description": "Also the webhook-id header."})
    event_type = fields.Function(lambda delivery: delivery.event.type)
    endpoint_id = fields.String(
        allow_none=True, metadata={"description": "None for a job's callback URL."}
    )
    url = fields.String()
    format = fields.String()
    state = fields.String(metadata={"enum": list(DELIVERY_STATES)})
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_attempt_at = fields.DateTime(allow_none=True)
    response_status = fields.Integer(allow_none=True)
    response_body = fields.String(allow_none=True)
    duration_ms = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    error_detail = fields.String(allow_none=True)
    redelivery_of = fields.String(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    attempt_log = fields.List(fields.Nested(AttemptSchema))


class DeliveryArgs(PageArgs):
    state = fields.String(validate=validate.OneOf(DELIVERY_STATES))


class DeliveryListArgs(DeliveryArgs):
    endpoint_id = fields.String(validate=validate.Length(max=40))
    event_id = fields.String(validate=validate.Length(max=40))
    callbacks = fields.Boolean(metadata={"description": "Only deliveries to callback URLs."})


class EventSchema(Schema):
    id = fields.String(metadata={"example": "msg_01jd3k..."})
    type = fields.String(metadata={"enum": list(EVENT_TYPES)})
    timestamp = fields.DateTime(attribute="created_at")
    data = fields.Dict()
    job_id = fields.String(allow_none=True)


class EventArgs(PageArgs):
    type = fields.String(validate=validate.OneOf(EVENT_TYPES))
    since = UtcDateTime(metadata={"description": "Events at or after this time."})
    until = UtcDateTime(metadata={"description": "Events before this time."})
    job_id = fields.String(validate=validate.Length(max=40))


class CallbackSecretSchema(Schema):
    secret = fields.String(
        allow_none=True, metadata={"description": "Present only the one time the secret is shown."}
    )
    created_at = fields.DateTime(allow_none=True)
    rotated_at = fields.DateTime(allow_none=True)
    previous_secret_expires_at = fields.DateTime(allow_none=True)


class LmsIdentitySchema(Schema):
    user_id = fields.String(dump_only=True)
    external_id = fields.String(
        required=True,
        allow_none=True,
        validate=validate.Length(min=1, max=255),
        metadata={"description": "The learner's id in the LMS; null clears."},
    )
