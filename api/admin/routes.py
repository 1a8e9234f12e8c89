"""Operators: queue depth and bulk re-queueing (organisation admins, scoped to their jobs)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.admin import service
from api.jobs.schemas import QueuesSchema, RequeuedSchema, RequeueSchema
from api.security import auth_required, current_principal
from storage.actor import ADMIN
from storage.db import db

blp = Blueprint(
    "admin",
    __name__,
    url_prefix="/api/v1/admin",
    description="Queue depth and re-queueing for operators.",
)


@blp.route("/queues")
class Queues(MethodView):
    @auth_required((ADMIN,))
    @blp.response(200, QueuesSchema)
    def get(self):
        """Per queue: broker depth (all tenants) and this organisation's queued and running jobs."""
        return {"queues": service.queue_stats(db.session, current_principal().organisation_id)}


@blp.route("/jobs/requeue")
class Requeue(MethodView):
    @auth_required((ADMIN,))
    @blp.arguments(RequeueSchema)
    @blp.response(200, RequeuedSchema)
    def post(self, data: dict):
        """Put the organisation's failed or canceled jobs matching a filter back in the queue."""
        ids = service.requeue(
            db.session,
            current_principal().organisation_id,
            statuses=data["status"],
            job_type=data.get("type"),
            created_before=data.get("created_before"),
            limit=data["limit"],
        )
        db.session.commit()
        return {"requeued": len(ids), "job_ids": ids}
