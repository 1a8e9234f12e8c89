from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.levels import CEFR_LEVELS
from storage.models.content import SKILLS

_TITLE = validate.Length(min=1, max=200)


class LessonCreateSchema(Schema):
    title = fields.String(required=True, validate=_TITLE)
    level = fields.String(validate=validate.OneOf(CEFR_LEVELS), allow_none=True)
    skill = fields.String(validate=validate.OneOf(SKILLS), allow_none=True)
    category = fields.String(
        validate=validate.Length(max=64), allow_none=True, metadata={"example": "greetings"}
    )
    content = fields.String(
        validate=validate.Length(max=200_000), metadata={"description": "Markdown."}
    )
    media_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=50)
    )
    estimated_minutes = fields.Integer(validate=validate.Range(min=1, max=600), allow_none=True)
    position = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "1..n+1 within the chapter; default last."},
    )


class LessonPatchSchema(LessonCreateSchema):
    title = fields.String(validate=_TITLE)


class LessonSchema(Schema):
    id = fields.String(metadata={"example": "lsn_01j..."})
    chapter_id = fields.String()
    course_id = fields.String()
    title = fields.String()
    level = fields.String(allow_none=True)
    skill = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    content = fields.String(metadata={"description": "Markdown."})
    media_ids = fields.List(fields.String())
    estimated_minutes = fields.Integer(allow_none=True)
    position = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class LessonListSchema(Schema):
    items = fields.List(fields.Nested(LessonSchema))
