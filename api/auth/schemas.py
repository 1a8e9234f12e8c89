from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates

from storage.identity import timezones

# Length only here; storage.passwords judges guessability (with the email and name).
PASSWORD = validate.And(
    validate.Length(min=8, error="Use at least 8 characters."),
    validate.Length(max=256, error="Use at most 256 characters."),
)
LANGUAGE = validate.Regexp(
    r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", error="Use a language code such as en, es or pt-BR."
)


def _check_timezone(value: str) -> None:
    if value not in timezones():
        raise ValidationError("Unknown IANA time zone name.")


class RegisterSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    password = fields.String(required=True, load_only=True, validate=PASSWORD)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    organisation_name = fields.String(validate=validate.Length(min=1, max=200))
    invite_code = fields.String(validate=validate.Length(min=8, max=100))
    timezone = fields.String(load_default="UTC", validate=_check_timezone)
    native_language = fields.String(validate=LANGUAGE)
    target_languages = fields.List(
        fields.String(validate=LANGUAGE), validate=validate.Length(max=10)
    )


class LoginSchema(Schema):
    """JSON `{email, password}`, or the OAuth2 password form (`username`, `password`)."""

    class Meta:
        unknown = EXCLUDE  # OAuth2 clients add grant_type, scope, client_id...

    email = fields.Email(required=True)
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))

    @pre_load
    def oauth2_username(self, data: dict, **_: object) -> dict:
        # Non-object bodies (5, "x", [..]) fall through to marshmallow's "Invalid input type".
        if isinstance(data, dict) and "email" not in data and "username" in data:
            data = dict(data)
            data["email"] = data.pop("username")
        return data


class RefreshSchema(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=10, max=4096))


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds."})


class MeSchema(Schema):
    id = fields.String(dump_only=True)
    email = fields.String(dump_only=True)
    name = fields.String()
    role = fields.String(dump_only=True)
    organisation_id = fields.String(dump_only=True)
    timezone = fields.String()
    native_language = fields.String(allow_none=True)
    target_languages = fields.List(fields.String())
    created_at = fields.DateTime(dump_only=True)
    last_login_at = fields.DateTime(dump_only=True, allow_none=True)


class MeUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    timezone = fields.String(validate=_check_timezone)
    native_language = fields.String(allow_none=True, validate=LANGUAGE)
    target_languages = fields.List(
        fields.String(validate=LANGUAGE), validate=validate.Length(max=10)
    )

    @validates("name")
    def not_blank(self, value: str, **_: object) -> None:
        if not value.strip():
            raise ValidationError("Must not be blank.")


class RegisteredSchema(TokenSchema):
    user = fields.Nested(MeSchema)


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, load_only=True)
    new_password = fields.String(required=True, load_only=True, validate=PASSWORD)


class PasswordResetRequestSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320))


class PasswordResetAcceptedSchema(Schema):
    detail = fields.String(required=True)


class PasswordResetConfirmSchema(Schema):
    token = fields.String(required=True, load_only=True, validate=validate.Length(min=20, max=200))
    new_password = fields.String(required=True, load_only=True, validate=PASSWORD)
