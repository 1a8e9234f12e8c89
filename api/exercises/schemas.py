from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.jobs.schemas import learner_field
from api.lessons.schemas import ExerciseCreateSchema
from storage.models.content import ATTEMPT_STATUSES

_TITLE = validate.Length(min=1, max=200)


class ExercisePatchSchema(ExerciseCreateSchema):
    title = fields.String(validate=_TITLE)
    items = fields.List(fields.Dict(), validate=validate.Length(min=1, max=100))


class QuizAttemptCreateSchema(Schema):
    answers = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=64)),
        required=True,
        metadata={
            "description": "Item id -> answer (its shape depends on the "
            "item type); a missing item scores 0."
        },
    )
    time_spent_seconds = fields.Integer(
        validate=validate.Range(min=0, max=24 * 3600), allow_none=True
    )
    learner = learner_field()


class QuizAttemptSchema(Schema):
    id = fields.String(metadata={"example": "att_01j..."})
    exercise_id = fields.String()
    learner_id = fields.String(attribute="learner_user_id")
    number = fields.Integer()
    status = fields.String(metadata={"enum": list(ATTEMPT_STATUSES)})
    score = fields.Float(allow_none=True)
    max_score = fields.Float()
    percent = fields.Float(allow_none=True)
    passed = fields.Boolean(allow_none=True)
    pending_items = fields.Integer(metadata={"description": "Assessed items still grading."})
    results = fields.List(
        fields.Dict(),
        metadata={
            "description": "Per item: score, max_score, correct, parts; assessed items name "
            "their job_id and status (pending, graded, failed)."
        },
    )
    time_spent_seconds = fields.Integer(allow_none=True)
    submitted_at = fields.DateTime()
    graded_at = fields.DateTime(allow_none=True)
    job_ids = fields.List(
        fields.String(), metadata={"description": "The assessment jobs started by this submission."}
    )


class QuizAttemptListArgs(Schema):
    learner_id = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={"description": "Staff: whose attempts (default: yours)."},
    )


class QuizAttemptSummarySchema(Schema):
    exercise_id = fields.String()
    learner_id = fields.String()
    attempts_used = fields.Integer()
    attempts_left = fields.Integer(allow_none=True)
    best_percent = fields.Float(allow_none=True)
    best_attempt_id = fields.String(allow_none=True)
    latest_percent = fields.Float(allow_none=True)
    latest_attempt_id = fields.String(allow_none=True)
    items = fields.List(fields.Nested(QuizAttemptSchema))
