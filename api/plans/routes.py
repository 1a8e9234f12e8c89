"""Learning goals and learning plans (plans are built by jobs and stored)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.jobs import submission
from api.jobs.decorators import submits_job
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
from pipelines.cefr import check_language
from pipelines.plans import catalogue
from storage import learners
from storage import plans as plans_service
from storage.db import db

blp = Blueprint(
    "plans",
    __name__,
    url_prefix="/api/v1",
    description="Learning goals, and study plans built from the level gap, goals, "
    "time budget and weakest skills.",
)


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
        stmt = plans_service.plans_query(
            current_principal(), user_id=args.get("user_id"), language=args.get("language")
        )
        return paginate(db.session, stmt, args["page"], args["per_page"])

    @submits_job(blp, PlanRequestSchema)
    def post(self, data: dict, callback_url: str | None):
        """Build a study plan as a job; its result links the stored plan."""
        data["language"] = check_language(data["language"])
        named = data.pop("learner", None) or data.pop("user_id", None)
        learner_id = learners.resolve(db.session, current_principal(), named)
        data["user_id"] = learner_id
        job_input = plans_service.plan_request(db.session, current_principal(), data)
        return submission.submit(
            "learning_plan", job_input, callback_url=callback_url, learner=learner_id
        )


@blp.route("/plans/<plan_id>")
class PlanView(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, PlanDetailSchema)
    def get(self, plan_id: str):
        """Read a plan with its milestones and first weeks; `/weeks` pages the schedule."""
        plan = plans_service.get_plan(db.session, current_principal(), plan_id)
        return plans_service.plan_detail(plan)


@blp.route("/plans/<plan_id>/weeks")
class PlanWeeks(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(PlanWeekSchema))
    def get(self, args: dict, plan_id: str):
        """Page through every week of a plan's schedule, with what fills each week."""
        plan = plans_service.get_plan(db.session, current_principal(), plan_id)
        return plans_service.plan_weeks(plan, args["page"], args["per_page"])
