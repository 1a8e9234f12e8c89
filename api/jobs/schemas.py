from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.fields import UtcDateTime
from api.pagination import PageArgs
from storage.models.jobs import JOB_STATUSES


class JobErrorSchema(Schema):
    code = fields.String()
    message = fields.String()
    retryable = fields.Boolean()
    details = fields.Dict()


class JobSchema(Schema):
    id = fields.String(metadata={"example": "job_01jd3k..."})
    type = fields.String()
    status = fields.String(metadata={"enum": list(JOB_STATUSES)})
    stage = fields.String(allow_none=True)
    progress = fields.Integer()
    input = fields.Dict()
    result = fields.Dict(allow_none=True)
    error = fields.Nested(JobErrorSchema, allow_none=True)
    attempts = fields.Integer()
    max_attempts = fields.Integer()
    cancel_requested = fields.Boolean()
    callback_url = fields.String(allow_none=True)
    created_at = fields.DateTime()
    enqueued_at = fields.DateTime(allow_none=True)
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    provider = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    prompt_version = fields.String(allow_none=True)


class JobListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(JOB_STATUSES))
    type = fields.String(validate=validate.Length(max=64))
    created_after = UtcDateTime()
    created_before = UtcDateTime()


class JobGetArgs(Schema):
    wait = fields.Integer(validate=validate.Range(min=0, max=30), metadata={
        "description": "Hold the request up to this many seconds until the job finishes."})


class PingSchema(Schema):
    sleep_ms = fields.Integer(load_default=0, validate=validate.Range(min=0, max=60_000))
    fail_times = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10), metadata={
        "description": "Fail with a transient error on the first N attempts."})
    reject = fields.Boolean(load_default=False, metadata={
        "description": "Fail at once with a permanent error (code ping_rejected)."})
    callback_url = fields.Url(schemes={"http", "https"}, validate=validate.Length(max=2000))


class RequeueSchema(Schema):
    status = fields.List(fields.String(validate=validate.OneOf(("failed", "canceled", "queued"))),
                         load_default=["failed"], validate=validate.Length(min=1))
    type = fields.String(validate=validate.Length(max=64))
    created_before = UtcDateTime()
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=10_000))


class RequeuedSchema(Schema):
    requeued = fields.Integer()
    job_ids = fields.List(fields.String())


class QueueStatsSchema(Schema):
    queue = fields.String()
    ready = fields.Integer(allow_none=True, metadata={"description": "Messages waiting."})
    delayed = fields.Integer(allow_none=True, metadata={"description": "Retries waiting."})
    dead_lettered = fields.Integer(allow_none=True)
    queued_jobs = fields.Integer()
    running_jobs = fields.Integer()
    unsent_jobs = fields.Integer()
    oldest_queued_seconds = fields.Float(allow_none=True)


class QueuesSchema(Schema):
    queues = fields.List(fields.Nested(QueueStatsSchema))
