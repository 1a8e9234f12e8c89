from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from api.fields import CallbackUrl, UtcDateTime
from api.pagination import PageArgs
from storage.models.jobs import JOB_STATUSES


class LmsLearnerSchema(Schema):
    external_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=255),
        metadata={"description": "The learner's id in the LMS."},
    )
    lms = fields.String(
        validate=validate.Length(min=1, max=255),
        metadata={
            "description": "The LMS: an LTI platform registration id, or the label the "
            "learner was provisioned under; omit for the member's own external id."
        },
    )


class LearnerField(fields.Field):
    """A user id of the organisation, or `{"external_id", "lms"}`."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            if not 1 <= len(value) <= 40:
                raise ValidationError("A user id has 1 to 40 characters.")
            return value
        if isinstance(value, dict):
            return LmsLearnerSchema().load(value)
        raise ValidationError("Give a user id or an object with `external_id` (and `lms`).")


LEARNER_DOC = {
    "description": "The learner the work is for: a user id of the organisation, or "
    '`{"external_id", "lms"}`. Defaults to the caller. Learners may only name '
    "themselves; teachers, admins and API keys with `learners:write` may name "
    "any learner of the organisation.",
    "oneOf": [
        {"type": "string", "example": "usr_01jd3k..."},
        {
            "type": "object",
            "required": ["external_id"],
            "properties": {"external_id": {"type": "string"}, "lms": {"type": "string"}},
        },
    ],
}


def learner_field() -> LearnerField:
    return LearnerField(metadata=LEARNER_DOC)


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
    learner_id = fields.String(
        attribute="learner_user_id",
        allow_none=True,
        metadata={"description": "The learner the job is about."},
    )
    attempts = fields.Integer(
        metadata={"description": "Runs of the current stage, at most max_attempts."}
    )
    runs = fields.Integer(
        metadata={
            "description": "Runs of all stages together: more than the job's stages means a "
            "retry or a worker that died."
        }
    )
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
    learner_id = fields.String(
        validate=validate.Length(max=40),
        metadata={"description": "Only jobs about this learner (staff and API keys)."},
    )


class JobGetArgs(Schema):
    wait = fields.Integer(
        validate=validate.Range(min=0, max=30),
        metadata={
            "description": "Hold the request up to this many seconds until the job finishes."
        },
    )


class PingSchema(Schema):
    sleep_ms = fields.Integer(load_default=0, validate=validate.Range(min=0, max=60_000))
    fail_times = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=10),
        metadata={"description": "Fail with a transient error on the first N attempts."},
    )
    reject = fields.Boolean(
        load_default=False,
        metadata={"description": "Fail at once with a permanent error (code ping_rejected)."},
    )
    callback_url = CallbackUrl()
    learner = learner_field()


class RequeueSchema(Schema):
    status = fields.List(
        fields.String(validate=validate.OneOf(("failed", "canceled", "queued"))),
        load_default=["failed"],
        validate=validate.Length(min=1),
    )
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
