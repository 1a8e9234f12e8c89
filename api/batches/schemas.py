from __future__ import annotations

from marshmallow import Schema, fields, validate

from storage.models.batches import BATCH_STATUSES, ITEM_STATUSES

_ID = fields.String(allow_none=True, validate=validate.Length(min=1, max=40))


class BatchCreateSchema(Schema):
    archive_media_id = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "A zip of recordings (media kind archive, status ready)."},
    )
    media_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)),
        metadata={"description": "Recordings already uploaded (<= 1000)."},
    )
    texts_media_id = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "Writing: a CSV with columns learner and text."},
    )
    manifest_media_id = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=40),
        metadata={
            "description": "A CSV with columns filename and learner (email or external "
            "id); else manifest.csv in the zip, or filename_pattern."
        },
    )
    filename_pattern = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=200),
        metadata={
            "example": "{learner}_*.wav",
            "description": "{learner} (email or external id) in the file's base name.",
        },
    )


class CountsSchema(Schema):
    total = fields.Integer()
    error = fields.Integer()
    queued = fields.Integer()
    running = fields.Integer()
    succeeded = fields.Integer()
    failed = fields.Integer()
    canceled = fields.Integer()


class BatchSchema(Schema):
    id = fields.String()
    assignment_id = fields.String()
    status = fields.String(metadata={"enum": list(BATCH_STATUSES)})
    error = fields.Dict(allow_none=True)
    counts = fields.Nested(CountsSchema)
    created_at = fields.String()
    completed_at = fields.String(allow_none=True)
    version = fields.String(
        metadata={
            "description": "A tag of status and counts: give it as `since` to the next long "
            "poll, so progress made between two polls is never waited for."
        }
    )


class BatchWaitArgs(Schema):
    wait = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=30),
        metadata={
            "description": "Hold until the batch completes or its counts change (at most 30 s)."
        },
    )
    since = fields.String(
        validate=validate.Length(max=64),
        metadata={
            "description": "The `version` last seen: with `wait`, a batch that has moved on "
            "since answers at once."
        },
    )


class BatchItemArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    status = fields.String(validate=validate.OneOf(ITEM_STATUSES))


class BatchItemSchema(Schema):
    name = fields.String()
    line = fields.Integer(allow_none=True)
    learner_id = fields.String(allow_none=True)
    learner_email = fields.String(allow_none=True)
    media_id = fields.String(allow_none=True)
    job_id = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(ITEM_STATUSES)})
    error = fields.Dict(allow_none=True)
    level = fields.String(allow_none=True)
