"""Operator views of the queues: broker depth (ready, delayed, dead-lettered) beside the
job table's counts."""

from __future__ import annotations

from typing import Any

from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from sqlalchemy.orm import Session

from storage import jobs as job_service
from workers import engine, runtime


def broker_depth(queue: str) -> dict[str, int | None]:
    broker = runtime.get().broker
    if isinstance(broker, RedisBroker):
        client, ns = broker.client, broker.namespace
        return {
            "ready": client.llen(f"{ns}:{queue}"),
            "delayed": client.llen(f"{ns}:{queue}.DQ"),
            "dead_lettered": client.zcard(f"{ns}:{queue}.XQ"),
        }
    if isinstance(broker, StubBroker):
        return {
            "ready": broker.queues[queue].qsize() if queue in broker.queues else 0,
            "delayed": broker.queues[f"{queue}.DQ"].qsize()
            if f"{queue}.DQ" in broker.queues
            else 0,
            "dead_lettered": len(broker.dead_letters_by_queue.get(queue, [])),
        }
    return {"ready": None, "delayed": None, "dead_lettered": None}


def queue_stats(session: Session, organisation_id: str | None) -> list[dict[str, Any]]:
    queues = {actor.queue_name for actor in engine.all_actors()}
    counts = {c.queue: c for c in job_service.queue_counts(session, organisation_id)}
    stats = []
    for queue in sorted(queues | set(counts)):
        c = counts.get(queue)
        stats.append(
            {
                "queue": queue,
                **broker_depth(queue),
                "queued_jobs": c.queued if c else 0,
                "running_jobs": c.running if c else 0,
                "unsent_jobs": c.unsent if c else 0,
                "oldest_queued_seconds": c.oldest_queued_seconds if c else None,
            }
        )
    return stats


def requeue(session: Session, organisation_id: str | None, **filters: Any) -> list[str]:
    jobs = job_service.requeue_matching(session, organisation_id=organisation_id, **filters)
    ids = [job.id for job in jobs]
    for job in jobs:
        runtime.enqueue_after_commit(session, job)
    return ids
