"""Batches: progress of a batch assessment, per item, by polling or long polling."""

from __future__ import annotations

import time
from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from api import quotas
from api.batches.schemas import (
    BatchCreateSchema,
    BatchItemArgs,
    BatchItemSchema,
    BatchSchema,
    BatchWaitArgs,
)
from api.classes.routes import staff
from api.jobs.submission import RETRY_AFTER_SECONDS
from api.pagination import page_schema, paginate
from api.security import STAFF, auth_required, current_principal
from storage import batches, reviews
from storage import jobs as job_service
from storage.db import db
from storage.models.batches import BatchItem
from workers import engine, runtime

__all__ = ["BatchCreateSchema", "BatchSchema", "submit_batch"]

blp = Blueprint(
    "batches",
    __name__,
    url_prefix="/api/v1/batches",
    description="Batch assessment progress: counts by status and every item.",
)


def submit_batch(assignment_id: str, data: dict) -> tuple[dict, int, dict[str, str]]:
    """Write the batch and its expand job, commit, then send the job."""
    current = staff()
    batch = batches.prepare_batch(db.session, current, assignment_id, data)
    if batch.source["archive_media_id"]:
        # The archive's recordings become media: refused while there is no room for them.
        quotas.require_room(current.organisation_id)
    job = job_service.create_job(
        db.session,
        engine.job_spec(batches.EXPAND_JOB),
        organisation_id=current.organisation_id,
        input={"batch_id": batch.id},
        owner_user_id=current_principal().user_id,
    )
    batch.expand_job_id = job.id
    runtime.enqueue_after_commit(db.session, job)
    db.session.commit()
    headers = {
        "Location": url_for("batches.BatchView", batch_id=batch.id),
        "Retry-After": str(RETRY_AFTER_SECONDS),
    }
    return batches.batch_data(db.session, batch), 202, headers


@blp.route("/<batch_id>")
class BatchView(MethodView):
    @auth_required(STAFF, scope="classes:read")
    @blp.arguments(BatchWaitArgs, location="query")
    @blp.response(200, BatchSchema)
    def get(self, args: dict, batch_id: str):
        """Read a batch's status and counts; `?wait=N` holds until they change or it ends."""
        current = staff()
        if not args["wait"]:
            return batches.batch_data(db.session, batches.get_batch(db.session, current, batch_id))
        # Subscribed before the first read, so no change between the two is missed; woken
        # when one of the batch's jobs ends, re-read at least every 2 s for the others.
        subscription = runtime.get().notifier.subscribe(batches.channel(batch_id))
        try:
            data = batches.batch_data(db.session, batches.get_batch(db.session, current, batch_id))
            if args.get("since") and args["since"] != data["version"]:
                return data  # it moved on while the client was away
            deadline = time.monotonic() + args["wait"]
            while data["status"] in ("expanding", "running"):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                db.session.commit()  # no transaction is held while waiting; a fresh snapshot
                subscription.wait(min(left, 2.0))
                fresh = batches.batch_data(
                    db.session, batches.get_batch(db.session, current, batch_id)
                )
                if (fresh["status"], fresh["counts"]) != (data["status"], data["counts"]):
                    return fresh
            return data
        finally:
            subscription.close()


@blp.route("/<batch_id>/items")
class BatchItems(MethodView):
    @auth_required(STAFF, scope="classes:read")
    @blp.arguments(BatchItemArgs, location="query")
    @blp.response(200, page_schema(BatchItemSchema))
    def get(self, args: dict, batch_id: str):
        """Every item of a batch in upload order, with its learner, job, status or error."""
        batch = batches.get_batch(db.session, staff(), batch_id)
        stmt = batches.items_query(batch.id, args.get("status"))
        page = paginate(
            db.session, stmt.with_only_columns(BatchItem.id), args["page"], args["per_page"]
        )
        rows = db.session.execute(stmt.where(BatchItem.id.in_(page["items"]))).all()
        page["items"] = [_item(*row) for row in rows]
        return page


def _item(item: Any, job: Any, user: Any) -> dict[str, Any]:
    error = (
        {"code": item.error_code, "message": item.error_message}
        if item.error_code
        else (job.error if job is not None and job.status == "failed" else None)
    )
    level = reviews.ai_result(job)[0] if job is not None else None
    return {
        "name": item.name,
        "line": item.line,
        "learner_id": item.learner_id,
        "learner_email": user.email if user is not None else None,
        "media_id": item.media_id,
        "job_id": item.job_id,
        "status": job.status if job is not None else "error",
        "error": error,
        "level": level,
    }
