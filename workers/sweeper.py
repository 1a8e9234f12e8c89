"""Sweepers of the job engine, run by the scheduler: no job is lost because the broker was
down at submission or a worker died mid-run."""

from __future__ import annotations

import logging

from storage import jobs as job_service
from storage.db import db, utcnow
from workers.runtime import broker_send, notify_job

log = logging.getLogger(__name__)


def resend_unsent(grace_seconds: int = 10) -> int:
    """Send the messages of queued jobs that were never sent. Rows are locked (SKIP LOCKED)
    until `enqueued_at` is recorded, so two schedulers never both send one job."""
    session = db.session
    sent = 0
    try:
        for job in job_service.take_unsent(session, grace_seconds=grace_seconds):
            if not broker_send(job.id, job.actor, job.queue):
                break  # broker still down: try again at the next run
            job.enqueued_at = utcnow()
            sent += 1
        session.commit()
    finally:
        session.rollback()
    if sent:
        log.info("sweeper: re-sent %d job(s)", sent)
    return sent


def requeue_stale() -> int:
    """Re-queue running jobs whose lease expired (their worker was killed)."""
    session = db.session
    sent = 0
    try:
        jobs = job_service.requeue_stale(session)
        for job in jobs:
            if broker_send(job.id, job.actor, job.queue):
                job.enqueued_at = utcnow()
                sent += 1
        ids = [job.id for job in jobs]
        session.commit()
    finally:
        session.rollback()
    for job_id in ids:
        notify_job(job_id)
    if ids:
        log.info("sweeper: re-queued %d stale job(s), sent %d", len(ids), sent)
    return len(ids)


def purge_idempotency_keys() -> int:
    purged = job_service.purge_idempotency_records(db.session)
    db.session.commit()
    return purged
