from __future__ import annotations

from marshmallow import Schema, fields, validate

from storage.retention import MAX_RETENTION_DAYS

_DAYS = dict(allow_none=True, validate=validate.Range(min=1, max=MAX_RETENTION_DAYS))


class RetentionSchema(Schema):
    media_days = fields.Integer(
        required=True,
        **_DAYS,
        metadata={
            "description": "Days learners' recordings (private media) are kept; null keeps them."
        },
    )
    results_days = fields.Integer(
        required=True,
        **_DAYS,
        metadata={
            "description": "Days finished jobs (transcripts, results) are kept; null keeps them."
        },
    )
