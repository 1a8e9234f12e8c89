from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.jobs.schemas import learner_field
from pipelines.grading import ITEM_TYPES
from storage.models.content import EXERCISE_KINDS

_TITLE = validate.Length(min=1, max=200)
ITEMS_DOC = (
    "Items, each `{id?, type, prompt, points?, ...}` with `type` one of "
    + ", ".join(ITEM_TYPES)
    + " (see the README's exercise items)."
)


class ExerciseCreateSchema(Schema):
    title = fields.String(required=True, validate=_TITLE)
    kind = fields.String(validate=validate.OneOf(EXERCISE_KINDS))
    instructions = fields.String(validate=validate.Length(max=20_000))
    items = fields.List(
        fields.Dict(),
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": ITEMS_DOC},
    )
    max_attempts = fields.Integer(
        validate=validate.Range(min=1, max=1000),
        allow_none=True,
        metadata={"description": "None: unlimited."},
    )
    pass_score = fields.Float(
        validate=validate.Range(min=0, max=1),
        metadata={"description": "Share of the points to pass (0.7)."},
    )
    position = fields.Integer(validate=validate.Range(min=1))


class ExerciseSchema(Schema):
    id = fields.String(metadata={"example": "exr_01j..."})
    lesson_id = fields.String()
    course_id = fields.String()
    title = fields.String()
    kind = fields.String(metadata={"enum": list(EXERCISE_KINDS)})
    instructions = fields.String()
    items = fields.List(
        fields.Dict(), metadata={"description": "Learners see the items without their answers."}
    )
    max_attempts = fields.Integer(allow_none=True)
    pass_score = fields.Float()
    position = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ExerciseListSchema(Schema):
    items = fields.List(fields.Nested(ExerciseSchema))


class CompletionSchema(Schema):
    time_spent_seconds = fields.Integer(
        load_default=0, validate=validate.Range(min=0, max=24 * 3600)
    )
    score = fields.Float(
        allow_none=True,
        validate=validate.Range(min=0, max=100),
        metadata={"description": "Percent, when the client scored it."},
    )
    learner = learner_field()


class LessonProgressSchema(Schema):
    lesson_id = fields.String()
    user_id = fields.String()
    chapter_id = fields.String()
    course_id = fields.String()
    completed = fields.Boolean()
    score = fields.Float(allow_none=True)
    time_spent_seconds = fields.Integer()
    completed_at = fields.DateTime(allow_none=True)
