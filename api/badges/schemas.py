from __future__ import annotations

from marshmallow import Schema, fields


class BadgeRuleSchema(Schema):
    code = fields.String(metadata={"example": "first_lesson"})
    name = fields.String()
    description = fields.String()
    on = fields.List(fields.String(), metadata={"description": "Events that evaluate it."})
    measure = fields.String()
    at_least = fields.Float()


class BadgeRuleListSchema(Schema):
    items = fields.List(fields.Nested(BadgeRuleSchema))


class BadgeAwardSchema(Schema):
    id = fields.String()
    badge = fields.String()
    name = fields.String()
    description = fields.String()
    reason = fields.Dict()
    awarded_at = fields.DateTime()


class BadgeAwardListSchema(Schema):
    items = fields.List(fields.Nested(BadgeAwardSchema))
