from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.levels import CEFR_LEVELS


class RecommendationArgs(Schema):
    user_id = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={"description": "Staff: for whom (default: you)."},
    )
    language = fields.String(validate=validate.Length(min=2, max=16))
    target_level = fields.String(
        validate=validate.OneOf(CEFR_LEVELS),
        metadata={"description": "The level aimed at (default: one above the profile's)."},
    )
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))


class RecommendationSchema(Schema):
    type = fields.String(metadata={"enum": ["lesson", "exercise", "vocabulary_review"]})
    id = fields.String(allow_none=True)
    title = fields.String()
    course_id = fields.String(allow_none=True)
    level = fields.String(allow_none=True)
    skill = fields.String(allow_none=True)
    reason_code = fields.String(
        metadata={
            "enum": [
                "unfinished_course",
                "weak_skill",
                "level_gap",
                "due_vocabulary",
                "quiz_to_retry",
            ]
        }
    )
    reason = fields.String()


class RecommendationListSchema(Schema):
    items = fields.List(fields.Nested(RecommendationSchema))
