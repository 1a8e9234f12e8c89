"""The learner export job: the learner's rows and media into a zip in the object store, and
an audit record holding counts only. An export that finds its learner erased (or being
erased) when it is done removes its zip: no copy of an erased learner's data is left."""

from __future__ import annotations

from pipelines.errors import PipelineError
from storage import audit, learner_export
from storage.db import utcnow
from storage.objectstore.keys import export_key
from workers import runtime
from workers.engine import JobContext, Outcome, job_actor


@job_actor(
    learner_export.JOB_TYPE,
    name="learner_export",
    queue="media",
    max_attempts=3,
    lease_seconds=300,
    time_limit_ms=60 * 60 * 1000,
)
def export_learner(ctx: JobContext) -> Outcome:
    session, job = ctx.session, ctx.job
    organisation_id, user_id = job.organisation_id, ctx.input["user_id"]
    store = runtime.object_store()
    ctx.report("collecting", 10)
    made = learner_export.build(session, store, organisation_id, user_id, job.id, utcnow())
    # Read after the zip is stored: an erasure asked for before this read is seen here, one
    # asked for after it runs later and removes the learner's export folder with the rest.
    session.commit()
    if learner_export.erasure_under_way(session, organisation_id, user_id):
        store.delete(export_key(organisation_id, user_id, job.id))
        raise PipelineError(
            "learner_erased", "The learner's data is being erased; the export was removed."
        )
    audit.record(
        session,
        audit.ActedBy(organisation_id, "system", id=job.id),
        "learner.exported",
        target_type="user",
        target_id=user_id,
        after={"size": made["size"], "media": made["media"]},
    )
    return Outcome(
        {"user_id": user_id, **made, "keep_days": ctx.settings.learner_export_days},
        provider="platform",
        model="learner-export",
    )
