"""Jobs: poll (with ETag and long polling), list, cancel, retry; and the diagnostic ping."""

from __future__ import annotations

from flask import Response, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from api.jobs import submission
from api.jobs.decorators import submits_job
from api.jobs.schemas import JobGetArgs, JobListArgs, JobSchema, PingSchema
from api.pagination import page_schema, paginate
from api.security import ANY_ROLE, auth_required, current_principal
from storage import jobs as job_service
from storage.actor import ADMIN, LEARNER
from storage.db import db

blp = Blueprint(
    "jobs",
    __name__,
    url_prefix="/api/v1/jobs",
    description="Every piece of AI work is a job: poll it, wait for it, cancel it.",
)


@blp.route("")
class Jobs(MethodView):
    @auth_required(ANY_ROLE, scope="jobs:read")
    @blp.arguments(JobListArgs, location="query")
    @blp.response(200, page_schema(JobSchema))
    def get(self, args: dict):
        """List the organisation's jobs (learners see their own), newest first."""
        principal = current_principal()
        stmt = job_service.list_query(
            principal.organisation_id,
            status=args.get("status"),
            job_type=args.get("type"),
            created_after=args.get("created_after"),
            created_before=args.get("created_before"),
            owner_user_id=principal.user_id if principal.role == LEARNER else None,
            learner_user_id=args.get("learner_id"),
        )
        return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.route("/<job_id>")
class JobView(MethodView):
    @auth_required(ANY_ROLE, scope="jobs:read")
    @blp.arguments(JobGetArgs, location="query")
    @blp.response(200, JobSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @blp.alt_response(304, description="Not modified since the ETag given in If-None-Match.")
    def get(self, args: dict, job_id: str):
        """Read a job; `?wait=N` or `Prefer: wait=N` holds until it finishes (30 s max)."""
        wait = submission.requested_wait(args.get("wait"))
        job = submission.wait_for(job_id, wait)
        etag = submission.etag(job)
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if not job.terminal:
            headers["Retry-After"] = str(submission.RETRY_AFTER_SECONDS)
        if wait and "Prefer" in request.headers and not g.get("wait_refused"):
            headers["Preference-Applied"] = f"wait={wait}"
        if request.if_none_match.contains_weak(etag.strip('"')):
            return Response(status=304, headers=headers)
        return job, 200, headers


@blp.route("/<job_id>/cancel")
class CancelJob(MethodView):
    @auth_required(ANY_ROLE, scope="jobs:write")
    @blp.response(200, JobSchema)
    def post(self, job_id: str):
        """Cancel a job: at once when queued, at its next stage when running."""
        return submission.cancel(job_id)


@blp.route("/<job_id>/retry")
class RetryJob(MethodView):
    @auth_required(ANY_ROLE, scope="jobs:write")
    @blp.response(202, JobSchema)
    def post(self, job_id: str):
        """Run a failed or canceled job again."""
        return submission.retry(job_id)


@blp.route("/ping")
class PingJobs(MethodView):
    @submits_job(blp, PingSchema, roles=(ADMIN,), scope=None)
    def post(self, data: dict, callback_url: str | None):
        """Submit a diagnostic job that sleeps and fails as asked (admins)."""
        return submission.submit(
            "ping", data, callback_url=callback_url, learner=data.pop("learner", None)
        )
