"""The bulk media import job (unpack, check, store, attach to vocabulary words), and the
hourly removal of uploads that were started and never completed."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from storage.db import db, utcnow
from storage.media.imports import ImportLimits, run_import
from storage.media.library import expire_pending
from workers import runtime
from workers.engine import JobContext, Outcome, job_actor
from workers.locks import exclusive

log = logging.getLogger(__name__)
ABANDONED_AFTER = timedelta(hours=24)


@job_actor(
    "media_import",
    name="media_import",
    queue="media",
    max_attempts=3,
    lease_seconds=120,
    time_limit_ms=60 * 60 * 1000,
)
def media_import(ctx: JobContext) -> Outcome:
    limits = ImportLimits.from_settings(ctx.settings)
    result = run_import(ctx.session, runtime.object_store(), ctx.job, limits, ctx.report)
    return Outcome(result, provider="platform", model="media-import")


def expire_abandoned_uploads(now: datetime | None = None) -> int | None:
    """Remove pending uploads older than a day; None when another scheduler is at it."""
    with exclusive("media.expire_uploads", ttl_seconds=900) as held:
        if not held:
            return None
        before = (now or utcnow()) - ABANDONED_AFTER
        total = 0
        while True:
            try:
                removed = expire_pending(db.session, runtime.object_store(), before)
                db.session.commit()
            except Exception:
                db.session.rollback()
                raise
            total += removed
            if removed == 0:
                break
        if total:
            log.info("media: %d abandoned uploads removed", total)
        return total
