"""The retention sweeper (scheduled as `retention.sweep`): for each organisation with a
retention period, remove recordings and finished jobs older than it, a batch per
transaction, and leave one system record in the audit log per organisation swept; and remove
learners' data exports older than LEARNER_EXPORT_DAYS."""

from __future__ import annotations

import logging
from datetime import datetime

from storage import audit, learner_export, retention
from storage.db import db, utcnow
from workers import runtime
from workers.locks import exclusive

log = logging.getLogger(__name__)


def _drain(batch) -> int:
    """Run `batch()` and commit until it removes fewer rows than a full batch."""
    size = runtime.get().settings.retention_batch_size
    total = 0
    while True:
        try:
            removed = batch(size)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        total += removed
        if removed < size:
            return total


def sweep(now: datetime | None = None) -> dict[str, dict[str, int]] | None:
    """Apply every organisation's retention; None when another scheduler holds the lock.
    Rows are taken with SKIP LOCKED all the same, so overlapping runs never collide."""
    with exclusive("retention.sweep", ttl_seconds=3600) as held:
        if not held:
            return None
        now = now or utcnow()
        store = runtime.object_store()
        # Learners' data exports are kept a fixed number of days, whatever the policy.
        keep = runtime.get().settings.learner_export_days
        exports = _drain(
            lambda n: learner_export.expire_batch(db.session, store, retention.cutoff(now, keep), n)
        )
        if exports:
            log.info("retention: %d learner data exports past %d days removed", exports, keep)
        swept: dict[str, dict[str, int]] = {}
        for organisation in retention.organisations_with_policy(db.session):
            org_id, policy = organisation.id, retention.policy_of(organisation)
            counts = {"media": 0, "jobs": 0, "learning_plans": 0, "conversations": 0}
            if policy.media_days is not None:
                before = retention.cutoff(now, policy.media_days)
                counts["media"] = _drain(
                    lambda n, b=before, o=org_id: retention.sweep_media_batch(
                        db.session, store, o, b, n
                    )
                )
            if policy.results_days is not None:
                before = retention.cutoff(now, policy.results_days)
                counts["jobs"] = _drain(
                    lambda n, b=before, o=org_id: retention.sweep_results_batch(db.session, o, b, n)
                )
                counts["learning_plans"] = _drain(
                    lambda n, b=before, o=org_id: retention.sweep_plans_batch(db.session, o, b, n)
                )
                counts["conversations"] = _drain(
                    lambda n, b=before, o=org_id: retention.sweep_conversations_batch(
                        db.session, o, b, n
                    )
                )
            if any(counts.values()):
                audit.record(
                    db.session,
                    audit.ActedBy(org_id, "system", id="retention.sweep"),
                    "retention.swept",
                    target_type="organisation",
                    target_id=org_id,
                    after=counts,
                )
                db.session.commit()
                log.info(
                    "retention: organisation %s: %d recordings, %d jobs, %d learning "
                    "plans and %d conversations removed",
                    org_id,
                    counts["media"],
                    counts["jobs"],
                    counts["learning_plans"],
                    counts["conversations"],
                )
            swept[org_id] = counts
        return swept
