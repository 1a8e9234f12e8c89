from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.fields import CallbackUrl
from api.jobs.schemas import learner_field
from api.pagination import PageArgs
from core.levels import CEFR_LEVELS
from pipelines.plans import GOALS_BY_ID, SKILLS

LEVELS = list(CEFR_LEVELS)


class LearningGoalSchema(Schema):
    id = fields.String()
    title = fields.String()
    description = fields.String()
    skill_weights = fields.Dict(keys=fields.String(), values=fields.Float())
    themes = fields.List(fields.String())


class LearningGoalListSchema(Schema):
    items = fields.List(fields.Nested(LearningGoalSchema))


class PlanRequestSchema(Schema):
    language = fields.String(required=True, validate=validate.Length(min=2, max=16))
    current_level = fields.String(
        validate=validate.OneOf([*LEVELS, "pre-A1"]),
        metadata={
            "description": "Omit to take it from the learner's latest assessment (or profile); "
            '"pre-A1" plans from zero.'
        },
    )
    target_level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    goals = fields.List(
        fields.String(validate=validate.OneOf(sorted(GOALS_BY_ID))),
        load_default=["conversation"],
        validate=validate.Length(min=1, max=5),
    )
    minutes_per_week = fields.Integer(required=True, validate=validate.Range(min=15, max=3000))
    weeks = fields.Integer(
        validate=validate.Range(min=1, max=520),
        metadata={
            "description": "Omit to plan as many weeks as the level gap needs at this "
            "pace (at most 520)."
        },
    )
    weak_skills = fields.List(
        fields.String(validate=validate.OneOf(SKILLS)),
        load_default=list,
        validate=validate.Length(max=3),
    )
    prompt_ids = fields.List(
        fields.String(validate=validate.Length(max=64)),
        load_default=list,
        validate=validate.Length(max=100),
        metadata={
            "description": "Speaking prompts to link to sessions; omit to link the "
            "catalogue's tasks for the language, from the current level "
            "to the target."
        },
    )
    user_id = fields.String(
        validate=validate.Length(max=40),
        metadata={
            "description": "Staff and API keys: the learner the plan is for (the same "
            "as `learner` given as a user id)."
        },
    )
    callback_url = CallbackUrl()
    learner = learner_field()


class PlanSchema(Schema):
    id = fields.String()
    user_id = fields.String(allow_none=True)
    job_id = fields.String(allow_none=True)
    language = fields.String()
    current_level = fields.String(allow_none=True)
    current_level_source = fields.String()
    target_level = fields.String()
    goals = fields.List(fields.String())
    minutes_per_week = fields.Integer()
    weeks = fields.Integer()
    feasible = fields.Boolean()
    verdict = fields.String()
    estimated_hours = fields.Float()
    summary = fields.String()
    provider = fields.String()
    model = fields.String(allow_none=True)
    prompt_version = fields.String(allow_none=True)
    created_at = fields.DateTime()


class PlanDetailSchema(PlanSchema):
    plan = fields.Dict(
        metadata={
            "description": "Milestones, hours, feasibility with suggestions, skill minutes, and "
            "the first 12 weeks of the schedule; `schedule_page` says how many weeks "
            "there are and where `/plans/{id}/weeks` pages them."
        }
    )


class PlanSessionSchema(Schema):
    skill = fields.String()
    activity = fields.String()
    minutes = fields.Integer()
    word_ids = fields.List(fields.String())
    prompt_ids = fields.List(fields.String())
    lesson_ids = fields.List(
        fields.String(),
        metadata={"description": "Lessons of the organisation's courses (GET /lessons/{id})."},
    )
    kind = fields.String(
        metadata={
            "description": "new_words, review_words, speaking_task, lesson, assessment, or "
            "activity (no platform content behind it)."
        }
    )


class PlanWeekSchema(Schema):
    week = fields.Integer()
    theme = fields.String()
    minutes = fields.Integer()
    sessions = fields.List(fields.Nested(PlanSessionSchema))
    content = fields.List(
        fields.String(),
        metadata={"description": "What fills the week: linked words, speaking tasks, assessments."},
    )


class PlanListArgs(PageArgs):
    user_id = fields.String(validate=validate.Length(max=40))
    language = fields.String(validate=validate.Length(max=16))
