"""The scheduler process: `python -m workers.scheduler`.

One list of scheduled jobs with stable ids. Each only enqueues or runs short SQL, and is safe
with two replicas running: sweepers take rows with SKIP LOCKED, other jobs hold a lock.
In embedded mode the same list runs in a background scheduler inside the API process.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduledJob:
    id: str
    func: Callable[[], Any]
    trigger: str
    trigger_args: dict[str, Any]


def scheduled_jobs(app: Flask) -> list[ScheduledJob]:
    """Every scheduled job, listed here and nowhere else.

    Imported here rather than registered by the modules that define them: a registry filled
    by imports is empty in a process that never imported them (as `python -m
    workers.scheduler` is, since its module runs as `__main__`).
    """
    from workers import learning, mail, retention, sweeper
    from workers.actors import media
    from workers.webhooks import delivery

    sweep = {"seconds": app.extensions["settings"].sweep_interval_seconds}
    return [
        ScheduledJob("jobs.resend_unsent", sweeper.resend_unsent, "interval", sweep),
        ScheduledJob("jobs.requeue_stale", sweeper.requeue_stale, "interval", sweep),
        ScheduledJob(
            "jobs.resend_after_broker_loss", sweeper.resend_after_broker_loss, "interval", sweep
        ),
        ScheduledJob(
            "jobs.purge_idempotency_keys",
            sweeper.purge_idempotency_keys,
            "interval",
            {"minutes": 15},
        ),
        ScheduledJob(
            learning.STREAK_RESET_JOB_ID, learning.reset_streaks, "interval", {"hours": 1}
        ),
        ScheduledJob(
            "media.expire_uploads", media.expire_abandoned_uploads, "interval", {"hours": 1}
        ),
        ScheduledJob("webhooks.resend_lost", delivery.resend_lost, "interval", sweep),
        ScheduledJob("mail.resend_unsent", mail.resend_unsent, "interval", sweep),
        ScheduledJob(
            "webhooks.purge_old_events", delivery.purge_old_events, "interval", {"hours": 6}
        ),
        ScheduledJob("retention.sweep", retention.sweep, "interval", {"hours": 1}),
    ]


def _in_app_context(app: Flask, job: ScheduledJob) -> Callable[[], None]:
    def run() -> None:
        with app.app_context():
            try:
                job.func()
            except Exception:
                log.exception("scheduled job %s failed", job.id)

    return run


def configure(scheduler: BaseScheduler, app: Flask) -> BaseScheduler:
    for job in scheduled_jobs(app):
        scheduler.add_job(
            _in_app_context(app, job),
            job.trigger,
            id=job.id,
            name=job.id,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            **job.trigger_args,
        )
    return scheduler


def start_background_scheduler(app: Flask) -> BackgroundScheduler:
    scheduler = configure(BackgroundScheduler(daemon=True), app)
    scheduler.start()
    return scheduler


def main() -> None:
    from api import create_app

    app = create_app(start_services=False)
    scheduler = configure(BlockingScheduler(), app)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    log.info("scheduler started with jobs: %s", ", ".join(j.id for j in scheduler.get_jobs()))
    scheduler.start()


if __name__ == "__main__":
    main()
