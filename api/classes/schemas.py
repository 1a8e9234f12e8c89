from __future__ import annotations

from marshmallow import Schema, fields, validate

from storage.models.classes import MEMBER_ROLES


class ClassCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    language = fields.String(
        allow_none=True, validate=validate.Length(min=2, max=16), metadata={"example": "en"}
    )


class ClassSchema(Schema):
    id = fields.String(metadata={"example": "cls_01j..."})
    name = fields.String()
    language = fields.String(allow_none=True)
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()


class MembersAddSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(MEMBER_ROLES))
    user_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)), load_default=list
    )
    emails = fields.List(
        fields.Email(validate=validate.Length(max=320)),
        load_default=list,
        metadata={"description": "At most 500 user ids and emails together."},
    )


class ClassMemberSchema(Schema):
    user_id = fields.String()
    role = fields.String(metadata={"enum": list(MEMBER_ROLES)})
    email = fields.String()
    name = fields.String()
    external_id = fields.String(allow_none=True)


class ClassMemberListSchema(Schema):
    items = fields.List(fields.Nested(ClassMemberSchema))
