"""The learner erasure job: media in batches (each committed), then every other row and
the account with the job's result, and an audit record holding only counts."""

from __future__ import annotations

import time

from flask import current_app

from pipelines.errors import TransientError
from storage import audit, erasure
from storage.db import utcnow
from workers import runtime
from workers.engine import JobContext, Outcome, job_actor

WAIT_SECONDS, WAIT_POLL_SECONDS = 120, 0.2


@job_actor(
    "learner_erasure",
    name="learner_erasure",
    queue="media",
    max_attempts=5,
    lease_seconds=300,
    time_limit_ms=60 * 60 * 1000,
)
def learner_erasure(ctx: JobContext) -> Outcome:
    session, job_id = ctx.session, ctx.job.id
    organisation_id, user_id = ctx.job.organisation_id, ctx.input["user_id"]
    store, size = runtime.object_store(), ctx.settings.retention_batch_size
    _wait_for_running_jobs(ctx, organisation_id, user_id)
    media = 0
    while True:
        ctx.report("media", 10)
        removed = erasure.erase_media_batch(session, store, organisation_id, user_id, size)
        # Each batch is committed: a retry resumes after the media already gone.
        session.commit()
        media += removed
        if removed < size:
            break
    ctx.report("records", 80)
    exports = erasure.erase_exports(store, organisation_id, user_id)
    box = current_app.extensions["secret_box"]
    counts = {
        "media": media,
        "exports": exports,
        **erasure.erase_rows(session, organisation_id, user_id, box),
    }
    audit.record(
        session,
        audit.ActedBy(organisation_id, "system", id=job_id),
        "learner.erased",
        target_type="user",
        target_id=user_id,
        after=counts,
    )
    return Outcome(
        {"user_id": user_id, "erased": counts}, provider="platform", model="learner-erasure"
    )


def _wait_for_running_jobs(ctx: JobContext, organisation_id: str, user_id: str) -> None:
    """The learner's running jobs were asked to stop when the erasure was asked for; wait
    until they have (each commits its end before this sees it), else try again later."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        ctx.session.commit()  # a fresh snapshot: see the jobs' own commits
        running = erasure.running_jobs(ctx.session, organisation_id, user_id, utcnow())
        if not running:
            return
        if time.monotonic() > deadline:
            raise TransientError(
                "learner_jobs_running",
                f"{len(running)} of the learner's "
                "jobs are still running; the erasure will try again.",
            )
        ctx.report("waiting for running jobs", 5)
        time.sleep(WAIT_POLL_SECONDS)
