"""Sweepers of the job engine, run by the scheduler: no job is lost because the broker was
down at submission or a worker died mid-run."""

from __future__ import annotations

import logging

import redis

from storage import jobs as job_service
from storage.db import db, utcnow
from workers import runtime
from workers.locks import exclusive
from workers.runtime import broker_send, notify_job, send_job

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


def broker_marker_key() -> str:
    return f"{runtime.get().settings.queue_prefix}broker:marker"


def resend_after_broker_loss() -> int | None:
    """Send again every queued job that was sent, when Redis lost what it held.

    Redis run without persistence forgets its queues (and the delayed retries) when it
    restarts. A marker key, written once everything is sent, tells whether this Redis still
    holds what was sent to it; when the marker is gone, the queued jobs are sent again.
    A second message for a job is harmless: only one run can claim it. Returns the number
    sent, or None when there is nothing to check (embedded mode, Redis down, another
    scheduler at it).
    """
    client = runtime.get().redis
    if client is None:
        return None
    key = broker_marker_key()
    try:
        if client.exists(key):
            return 0
    except redis.RedisError:
        return None  # Redis is down: check at the next run
    with exclusive("jobs.resend_after_broker_loss", ttl_seconds=600) as held:
        if not held:
            return None
        session = db.session
        sent, after, complete = 0, None, True
        while complete:
            try:
                batch = job_service.take_sent_queued(session, after=after)
                if not batch:
                    break
                after = (batch[-1].created_at, batch[-1].id)
                for job in batch:
                    if not broker_send(job.id, job.actor, job.queue):
                        complete = False
                        break
                    job.enqueued_at = utcnow()
                    sent += 1
                session.commit()
            finally:
                session.rollback()
        if not complete:
            return sent  # the broker went away again: the marker stays unset, retry later
        try:
            client.set(key, utcnow().isoformat())
        except redis.RedisError:
            return sent
    if sent:
        log.warning("sweeper: the broker had lost its messages; re-sent %d queued job(s)", sent)
    return sent


def requeue_stale() -> int:
    """Re-queue running jobs whose lease expired (their worker was killed)."""
    session = db.session
    try:
        jobs = [(job.id, job.actor, job.queue) for job in job_service.requeue_stale(session)]
        session.commit()
    finally:
        session.rollback()
    # Sent once the jobs are queued in the database (enqueue after commit): a message read
    # before the commit would find its job still running and be skipped. One that cannot
    # be sent leaves `enqueued_at` empty, and resend_unsent sends it.
    sent = sum(send_job(job_id, actor, queue) is not None for job_id, actor, queue in jobs)
    ids = [job_id for job_id, _, _ in jobs]
    for job_id in ids:
        notify_job(job_id)
    if ids:
        log.info("sweeper: re-queued %d stale job(s), sent %d", len(ids), sent)
    return len(ids)


def purge_idempotency_keys() -> int:
    purged = job_service.purge_idempotency_records(db.session)
    db.session.commit()
    return purged
