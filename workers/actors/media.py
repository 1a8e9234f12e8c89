"""The bulk media import job: unpack, check, store, and attach to vocabulary words."""

from __future__ import annotations

from storage.media.imports import ImportLimits, run_import
from workers import runtime
from workers.engine import JobContext, Outcome, job_actor


@job_actor("media_import", name="media_import", queue="media", max_attempts=3,
           lease_seconds=120, time_limit_ms=60 * 60 * 1000)
def media_import(ctx: JobContext) -> Outcome:
    settings = ctx.settings
    limits = ImportLimits(
        max_entries=settings.import_max_entries,
        max_entry_bytes=settings.import_max_entry_bytes,
        max_total_bytes=settings.import_max_total_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    result = run_import(ctx.session, runtime.object_store(), ctx.job, limits, ctx.report)
    return Outcome(result, provider="platform", model="media-import")
