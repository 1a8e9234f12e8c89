"""The content import job: a course package (zip or JSON) becomes a course (queue media)."""

from __future__ import annotations

from storage.content.imports import run_import
from storage.media.imports import ImportLimits
from workers import runtime
from workers.engine import JobContext, Outcome, job_actor


@job_actor(
    "content_import",
    name="content_import",
    queue="media",
    max_attempts=3,
    lease_seconds=120,
    time_limit_ms=30 * 60 * 1000,
)
def content_import(ctx: JobContext) -> Outcome:
    limits = ImportLimits.from_settings(ctx.settings)
    result = run_import(ctx.session, runtime.object_store(), ctx.job, limits, ctx.report)
    return Outcome(result, provider="platform", model="content-import")
