"""What an organisation and its learners used, and what is left of their plan's quotas."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api import quotas as plan_quotas
from api import settings
from api.security import ANY_ROLE, auth_required, current_principal
from api.usage.schemas import UsageArgs, UsageSchema
from storage import quotas, usage
from storage.actor import ADMIN, TEACHER
from storage.db import db, utcnow
from storage.errors import NotFound
from storage.models.identity import User
from storage.tenancy import get_owned

blp = Blueprint(
    "usage",
    __name__,
    url_prefix="/api/v1/usage",
    description="Usage metering (assessments, audio minutes, LLM tokens and cost, "
    "storage) and plan quotas.",
)


def _report(learner_id: str | None, args: dict) -> dict[str, Any]:
    organisation_id = current_principal().organisation_id
    now = utcnow()
    until = args.get("until") or now.date()
    since = args.get("since") or date(until.year, until.month, 1)
    report = usage.summary(
        db.session, organisation_id, learner_id=learner_id, since=since, until=until
    )
    for row in (report["totals"], *report["by_day"], *report["by_job_type"]):
        row["llm_cost_usd"] = _cost(row)
    plan = plan_quotas.plan_of(organisation_id)
    scope = quotas.LEARNER if learner_id else quotas.ORGANISATION
    report["quotas"] = usage.quota_view(
        db.session,
        organisation_id,
        learner_id or quotas.ORGANISATION,
        scope,
        quotas.plan_limits(plan),
        now,
    )
    return {**report, "plan": plan, "learner_id": learner_id}


def _cost(row: dict[str, Any]) -> float:
    config = settings()
    return round(
        row["llm_input_tokens"] * config.llm_price_input_per_mtok / 1e6
        + row["llm_output_tokens"] * config.llm_price_output_per_mtok / 1e6,
        6,
    )


@blp.route("")
class OrganisationUsage(MethodView):
    @auth_required((ADMIN,))
    @blp.arguments(UsageArgs, location="query")
    @blp.response(200, UsageSchema)
    def get(self, args: dict):
        """The organisation's usage by day and job type, and its plan's quotas."""
        return _report(None, args)


@blp.route("/learners/<user_id>")
class LearnerUsage(MethodView):
    @auth_required(ANY_ROLE)
    @blp.arguments(UsageArgs, location="query")
    @blp.response(200, UsageSchema)
    def get(self, args: dict, user_id: str):
        """A learner's usage and quotas (staff, or the learner themself)."""
        principal = current_principal()
        if principal.role not in (TEACHER, ADMIN) and principal.user_id != user_id:
            raise NotFound("No such user.", code="user_not_found")
        get_owned(db.session, User, user_id, principal.organisation_id, what="user")
        return _report(user_id, args)
