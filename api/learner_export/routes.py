"""Exporting a learner's data for a subject access request (an admin, or the learner)."""

from __future__ import annotations

from flask import Response, redirect, request
from flask.views import MethodView
from flask_smorest import Blueprint

from api import audit
from api.jobs import submission
from api.jobs.decorators import submits_job
from api.security import auth_required, current_principal
from storage import learner_export
from storage.actor import ADMIN, LEARNER
from storage.db import db, utcnow
from storage.media.library import DOWNLOAD_URL_SECONDS
from storage.objectstore import serve_object
from workers import runtime

blp = Blueprint(
    "learner_export",
    __name__,
    url_prefix="/api/v1/learners",
    description="Export one learner's data (subject access requests under GDPR, FERPA).",
)


def _requester() -> learner_export.Requester:
    principal = current_principal()
    return learner_export.Requester(principal.organisation_id, principal.user_id, principal.role)


@blp.route("/<user_id>/exports")
class LearnerExports(MethodView):
    @submits_job(blp, roles=(LEARNER, ADMIN), scope=None)
    def post(self, user_id: str):
        """Build a zip of the learner's rows and media as a job (an admin, or the learner)."""
        user = learner_export.check_may_export(db.session, _requester(), user_id)
        audit.record("learner.export_requested", target_type="user", target_id=user.id)
        # The job is about the learner even when deactivated (a learner who left the school
        # may still ask for their data): it goes with their rows if they are erased.
        return submission.submit(
            learner_export.JOB_TYPE,
            {"user_id": user.id},
            on_created=lambda job: setattr(job, "learner_user_id", user.id),
        )


@blp.route("/<user_id>/exports/<job_id>/download")
class LearnerExportDownload(MethodView):
    @auth_required((LEARNER, ADMIN))
    @blp.response(200, description="The zip (local storage).")
    @blp.alt_response(302, description="A link to the object store, valid for 5 minutes (S3).")
    def get(self, user_id: str, job_id: str):
        """Download a finished export while it is kept (410 `export_expired` after)."""
        keep_days = runtime.get().settings.learner_export_days
        job, key = learner_export.finished_export(
            db.session, _requester(), user_id, job_id, keep_days, utcnow()
        )
        audit.record(
            "learner.export_downloaded",
            target_type="user",
            target_id=user_id,
            after={"job_id": job.id},
        )
        db.session.commit()
        store, name = runtime.object_store(), f"learner-{user_id}-{job.id}.zip"
        if store.redirect_downloads:
            return redirect(
                store.presign_get(
                    key,
                    DOWNLOAD_URL_SECONDS,
                    download_name=name,
                    content_type=learner_export.CONTENT_TYPE,
                ),
                302,
            )
        answer = serve_object(
            store,
            key,
            request.method,
            request.headers.get("Range"),
            name,
            learner_export.CONTENT_TYPE,
        )
        return Response(
            answer.body, status=answer.status, headers=answer.headers, direct_passthrough=True
        )
