"""Learning goals and learning plans (plans are built by jobs and stored)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.idempotency import idempotent
from api.jobs import service
from api.jobs.schemas import JobSchema
from api.pagination import PageArgs, page_schema, paginate
from api.plans.schemas import (
    LearningGoalListSchema,
    PlanDetailSchema,
    PlanListArgs,
    PlanRequestSchema,
    PlanSchema,
    PlanWeekSchema,
)
from api.security import ANY_ROLE, auth_required, current_principal
from api.text_checks import supported_language
from pipelines.plans import catalogue
from storage import learners
from storage import plans as plans_service
from storage import text as text_service
from storage.db import db

blp = Blueprint("plans", __name__, url_prefix="/api/v1",
                description="Learning goals, and study plans built from the level gap, goals, "
                            "time budget and weakest skills.")  # fmt: skip


@blp.route("/learning-goals")
class LearningGoals(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, LearningGoalListSchema)
    def get(self):
        """List the learning goals a plan can target, with their skill weights."""
        return {"items": catalogue()}


@blp.route("/plans")
class Plans(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.arguments(PlanListArgs, location="query")
    @blp.response(200, page_schema(PlanSchema))
    def get(self, args: dict):
        """List plans: your own, or (staff) the organisation's; newest first."""
        stmt = text_service.plans_query(current_principal(), user_id=args.get("user_id"),
                                        language=args.get("language"))  # fmt: skip
        return paginate(db.session, stmt, args["page"], args["per_page"])

    @auth_required(ANY_ROLE, scope="jobs:write")
    @idempotent
    @blp.arguments(PlanRequestSchema)
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    @blp.response(202, JobSchema)
    @blp.alt_response(200, schema=JobSchema, description=service.WAITED_DESCRIPTION)
    def post(self, data: dict):
        """Build a study plan as a job; its result links the stored plan."""
        callback_url = data.pop("callback_url", None)
        data["language"] = supported_language(data["language"])
        named = data.pop("learner", None) or data.pop("user_id", None)
        learner_id = learners.resolve(db.session, current_principal(), named)
        data["user_id"] = learner_id
        job_input = text_service.plan_request(db.session, current_principal(), data)
        return service.submit("learning_plan", job_input, callback_url=callback_url,
                              learner=learner_id)


@blp.route("/plans/<plan_id>")
class PlanView(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, PlanDetailSchema)
    def get(self, plan_id: str):
        """Read a plan with its milestones and first weeks; `/weeks` pages the schedule."""
        plan = text_service.get_plan(db.session, current_principal(), plan_id)
        return plans_service.plan_detail(plan)


@blp.route("/plans/<plan_id>/weeks")
class PlanWeeks(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(PlanWeekSchema))
    def get(self, args: dict, plan_id: str):
        """Page through every week of a plan's schedule, with what fills each week."""
        plan = text_service.get_plan(db.session, current_principal(), plan_id)
        return plans_service.plan_weeks(plan, args["page"], args["per_page"])
