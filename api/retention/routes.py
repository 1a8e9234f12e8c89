"""The organisation's retention periods (organisation admins)."""

from __future__ import annotations

from dataclasses import asdict

from flask.views import MethodView
from flask_smorest import Blueprint

from api import audit
from api.retention.schemas import RetentionSchema
from api.security import auth_required, current_principal
from storage import retention
from storage.actor import ADMIN
from storage.db import db
from storage.models.identity import Organisation

blp = Blueprint(
    "retention",
    __name__,
    url_prefix="/api/v1/organisation/retention",
    description="How long recordings and results are kept before the sweeper removes them.",
)


def _organisation() -> Organisation:
    return db.session.get(Organisation, current_principal().organisation_id)


@blp.route("")
class RetentionView(MethodView):
    @auth_required((ADMIN,))
    @blp.response(200, RetentionSchema)
    def get(self):
        """The organisation's retention periods (null: kept until deleted)."""
        return asdict(retention.policy_of(_organisation()))

    @auth_required((ADMIN,))
    @blp.arguments(RetentionSchema)
    @blp.response(200, RetentionSchema)
    def put(self, data: dict):
        """Set the retention periods; the hourly sweep applies them."""
        organisation = _organisation()
        before = asdict(retention.policy_of(organisation))
        retention.set_policy(
            organisation, retention.Policy(data["media_days"], data["results_days"])
        )
        after = asdict(retention.policy_of(organisation))
        was, now = audit.changed(before, after)
        if now:
            audit.record(
                "retention.changed",
                target_type="organisation",
                target_id=organisation.id,
                before=was,
                after=now,
            )
        db.session.commit()
        return after
