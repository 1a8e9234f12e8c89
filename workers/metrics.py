"""Prometheus metrics: process counters plus job and queue gauges read at scrape time."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)
JOB_STATUSES = ("queued", "running", "succeeded", "failed", "canceled")

REGISTRY = CollectorRegistry(auto_describe=True)
JOBS_SUBMITTED = Counter(
    "jobs_submitted_total", "Jobs submitted by this process.", ["type"], registry=REGISTRY
)
JOBS_FINISHED = Counter(
    "jobs_finished_total", "Jobs finished by this process.", ["type", "status"], registry=REGISTRY
)
JOB_DURATION = Histogram(
    "job_run_seconds",
    "Time a worker spent running a job's stage.",
    ["type"],
    registry=REGISTRY,
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900),
)


def job_submitted(job_type: str) -> None:
    JOBS_SUBMITTED.labels(job_type).inc()


def job_finished(job_type: str, status: str, seconds: float) -> None:
    JOBS_FINISHED.labels(job_type, status).inc()
    JOB_DURATION.labels(job_type).observe(seconds)


class JobTableCollector(Collector):
    """Counts from the job table and the broker, so every API replica reports the same."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from sqlalchemy import func, select

        from storage import jobs as job_service
        from storage.db import db
        from storage.models.jobs import Job
        from workers import engine

        by_status = GaugeMetricFamily("jobs", "Jobs by type and status.", labels=["type", "status"])
        depth = GaugeMetricFamily("queue_depth", "Queued jobs per queue.", labels=["queue"])
        running = GaugeMetricFamily("queue_running", "Running jobs per queue.", labels=["queue"])
        oldest = GaugeMetricFamily(
            "queue_oldest_queued_seconds", "Age of the oldest queued job.", labels=["queue"]
        )
        try:
            # Every job type, status and queue is exported, at 0 when it has no jobs: a series
            # that vanishes when a queue drains breaks alerts and autoscalers reading it.
            statuses = dict.fromkeys(
                ((job_type, status) for job_type in engine.job_types() for status in JOB_STATUSES),
                0,
            )
            rows = db.session.execute(
                select(Job.type, Job.status, func.count()).group_by(Job.type, Job.status)
            )
            statuses.update({(job_type, status): count for job_type, status, count in rows})
            for (job_type, status), count in sorted(statuses.items()):
                by_status.add_metric([job_type, status], count)
            counts = {c.queue: c for c in job_service.queue_counts(db.session)}
            for queue in sorted({actor.queue_name for actor in engine.all_actors()} | set(counts)):
                c = counts.get(queue)
                depth.add_metric([queue], c.queued if c else 0)
                running.add_metric([queue], c.running if c else 0)
                oldest.add_metric([queue], (c.oldest_queued_seconds or 0) if c else 0)
        except Exception:
            log.warning("metrics: job table unavailable", exc_info=True)
            db.session.rollback()
        yield from (by_status, depth, running, oldest)


_table_registry = CollectorRegistry(auto_describe=False)
_table_registry.register(JobTableCollector())


def render_latest() -> tuple[bytes, str]:
    return generate_latest(REGISTRY) + generate_latest(_table_registry), CONTENT_TYPE_LATEST
