from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.fields import UtcDateTime
from storage.models.classes import ASSIGNMENT_KINDS, LEVELS
from storage.models.jobs import JOB_STATUSES

_LEVEL = fields.String(allow_none=True, validate=validate.OneOf(LEVELS))


class AssignmentCreateSchema(Schema):
    class_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(ASSIGNMENT_KINDS))
    language = fields.String(
        allow_none=True,
        validate=validate.Length(min=2, max=16),
        metadata={"description": "Set by prompt_id when left out."},
    )
    level = _LEVEL
    prompt_id = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "A speaking task of the catalogue."},
    )
    prompt_text = fields.String(allow_none=True, validate=validate.Length(min=1, max=2000))
    reference_text = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=5000),
        metadata={"description": "A text to read aloud."},
    )
    due_at = UtcDateTime(allow_none=True)
    lti_resource_link_id = fields.String(allow_none=True, validate=validate.Length(max=255))


class AssignmentUpdateSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    level = _LEVEL
    prompt_text = fields.String(allow_none=True, validate=validate.Length(min=1, max=2000))
    reference_text = fields.String(allow_none=True, validate=validate.Length(min=1, max=5000))
    due_at = UtcDateTime(allow_none=True)
    lti_resource_link_id = fields.String(allow_none=True, validate=validate.Length(max=255))


class AssignmentSchema(Schema):
    id = fields.String()
    class_id = fields.String()
    title = fields.String()
    kind = fields.String(metadata={"enum": list(ASSIGNMENT_KINDS)})
    language = fields.String()
    level = fields.String(allow_none=True)
    prompt_id = fields.String(allow_none=True)
    prompt_text = fields.String(allow_none=True)
    reference_text = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    lti_resource_link_id = fields.String(allow_none=True)
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()


class AssignmentListArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    class_id = fields.String(validate=validate.Length(max=40))


class ResultFilters(Schema):
    status = fields.String(validate=validate.OneOf(("error", *JOB_STATUSES)))
    learner_id = fields.String(validate=validate.Length(max=40))


class ResultArgs(ResultFilters):
    after = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0),
        metadata={"description": "The `next` of the previous page."},
    )
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=1000))


class ExportArgs(ResultFilters):
    format = fields.String(
        load_default="csv",
        validate=validate.OneOf(("csv", "xlsx")),
        metadata={"description": "csv (streamed) or xlsx."},
    )


class ResultSchema(Schema):
    item_id = fields.Integer()
    learner_id = fields.String(allow_none=True)
    learner_email = fields.String(allow_none=True)
    learner_name = fields.String(allow_none=True)
    learner_external_id = fields.String(allow_none=True)
    item = fields.String()
    batch_id = fields.String()
    job_id = fields.String(allow_none=True)
    status = fields.String()
    error_code = fields.String(allow_none=True)
    ai_level = fields.String(allow_none=True)
    ai_scores = fields.Dict(keys=fields.String(), values=fields.Float())
    reviewed_level = fields.String(allow_none=True)
    reviewed_scores = fields.Dict(keys=fields.String(), values=fields.Float(), allow_none=True)
    final_level = fields.String(allow_none=True)
    review_comment = fields.String(allow_none=True)
    reviewed_by = fields.String(allow_none=True)
    reviewed_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)


class ResultListSchema(Schema):
    items = fields.List(fields.Nested(ResultSchema))
    next = fields.Integer(
        allow_none=True,
        metadata={"description": "Pass as `after` for the next page; null at the end."},
    )


class ReviewRequestSchema(Schema):
    level = _LEVEL
    scores = fields.Dict(
        keys=fields.String(validate=validate.Length(max=64)),
        values=fields.Integer(validate=validate.Range(min=0, max=100)),
        metadata={"description": "Sub-scores to change (0-100)."},
    )
    comment = fields.String(required=True, validate=validate.Length(min=1, max=2000))

    @validates_schema
    def something(self, data: dict, **_: object) -> None:
        if not data.get("level") and not data.get("scores"):
            raise ValidationError("Give a level or sub-scores.", "level")


class ReviewSchema(Schema):
    id = fields.String()
    job_id = fields.String()
    assignment_id = fields.String()
    reviewer_id = fields.String(allow_none=True)
    level = fields.String(allow_none=True)
    scores = fields.Dict(keys=fields.String(), values=fields.Float())
    comment = fields.String()
    ai_level = fields.String(allow_none=True)
    ai_scores = fields.Dict(keys=fields.String(), values=fields.Float())
    created_at = fields.DateTime()


class ReviewListSchema(Schema):
    items = fields.List(fields.Nested(ReviewSchema))
