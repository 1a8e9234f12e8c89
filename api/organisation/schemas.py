from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.pagination import PageArgs
from storage.models.identity import ROLES


class OrganisationSchema(Schema):
    id = fields.String(dump_only=True)
    name = fields.String(validate=validate.Length(min=1, max=200))
    created_at = fields.DateTime(dump_only=True)


class InviteCreateSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    email = fields.Email(allow_none=True)


class InviteSchema(Schema):
    id = fields.String()
    role = fields.String()
    email = fields.String(allow_none=True)
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    accepted_at = fields.DateTime(allow_none=True)
    revoked = fields.Boolean()


class IssuedInviteSchema(InviteSchema):
    code = fields.String(metadata={"description": "Shown once. The invitee registers with it."})
    emailed = fields.Boolean(
        metadata={
            "description": "Whether the code was mailed to `email` "
            "(it is, whenever an email is given)."
        }
    )


class MemberSchema(Schema):
    id = fields.String()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    timezone = fields.String()
    is_active = fields.Boolean()
    created_at = fields.DateTime()
    last_login_at = fields.DateTime(allow_none=True)


class MemberArgs(PageArgs):
    role = fields.String(validate=validate.OneOf(ROLES))


class MemberUpdateSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
