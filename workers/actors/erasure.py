"""The learner erasure job: media in batches (each committed), then every other row and
the account with the job's result, and an audit record holding only counts."""

from __future__ import annotations

from storage import audit, erasure
from workers import runtime
from workers.engine import JobContext, Outcome, job_actor


@job_actor("learner_erasure", name="learner_erasure", queue="media", max_attempts=5,
           lease_seconds=300, time_limit_ms=60 * 60 * 1000)
def learner_erasure(ctx: JobContext) -> Outcome:
    session, job_id = ctx.session, ctx.job.id
    organisation_id, user_id = ctx.job.organisation_id, ctx.input["user_id"]
    store, size = runtime.object_store(), ctx.settings.retention_batch_size
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
    counts = {"media": media, "exports": exports,
              **erasure.erase_rows(session, organisation_id, user_id)}
    audit.record(session, audit.Actor(organisation_id, "system", id=job_id), "learner.erased",
                 target_type="user", target_id=user_id, after=counts)
    return Outcome({"user_id": user_id, "erased": counts}, provider="platform",
                   model="learner-erasure")
