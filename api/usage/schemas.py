from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validates_schema


class UsageArgs(Schema):
    since = fields.Date(metadata={"description": "First day (UTC); default: the month's first."})
    until = fields.Date(metadata={"description": "Last day (UTC), inclusive; default: today."})

    @validates_schema
    def _ordered(self, data: dict, **kwargs: object) -> None:
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ValidationError("`since` is after `until`.", "since")
        if data.get("since") and data.get("until") and (data["until"] - data["since"]).days > 366:
            raise ValidationError("At most 366 days at a time.", "until")


class UsageTotalsSchema(Schema):
    jobs = fields.Integer(metadata={"description": "Jobs finished (any outcome)."})
    assessments = fields.Integer(metadata={"description": "Assessments that succeeded."})
    audio_minutes = fields.Float(metadata={"description": "Audio transcribed (succeeded jobs)."})
    llm_input_tokens = fields.Integer()
    llm_output_tokens = fields.Integer()
    llm_cost_usd = fields.Float(
        metadata={"description": "Estimated from the configured prices per million tokens."}
    )


class UsageDaySchema(UsageTotalsSchema):
    day = fields.Date()


class UsageTypeSchema(UsageTotalsSchema):
    job_type = fields.String()


class QuotaSchema(Schema):
    metric = fields.String(metadata={"description": "assessments or audio_seconds"})
    period = fields.String(metadata={"description": "day or month (UTC)"})
    limit = fields.Integer()
    used = fields.Integer()
    remaining = fields.Integer()
    resets_at = fields.DateTime()


class UsageSchema(Schema):
    plan = fields.String()
    learner_id = fields.String(allow_none=True)
    since = fields.Date()
    until = fields.Date()
    totals = fields.Nested(UsageTotalsSchema)
    storage_bytes = fields.Integer(metadata={"description": "Media stored now."})
    by_day = fields.List(fields.Nested(UsageDaySchema))
    by_job_type = fields.List(fields.Nested(UsageTypeSchema))
    conversation = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        metadata={
            "description": "Conversation practice and speech synthesis in the period: "
            "speech_seconds_in, speech_minutes_in, characters_synthesised, "
            "llm_input_tokens, llm_output_tokens, partner_turns, "
            "realtime_sessions."
        },
    )
    quotas = fields.List(
        fields.Nested(QuotaSchema),
        metadata={
            "description": "The plan's limits for the organisation (or the learner) and what is "
            "used of each now."
        },
    )
