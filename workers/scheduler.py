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
    """The scheduler's job list, in one place."""
    from workers import sweeper

    settings = app.extensions["settings"]
    jobs = [
        ScheduledJob("jobs.resend_unsent", sweeper.resend_unsent, "interval",
                     {"seconds": settings.sweep_interval_seconds}),
        ScheduledJob("jobs.requeue_stale", sweeper.requeue_stale, "interval",
                     {"seconds": settings.sweep_interval_seconds}),
        ScheduledJob("jobs.resend_after_broker_loss", sweeper.resend_after_broker_loss,
                     "interval", {"seconds": settings.sweep_interval_seconds}),
        ScheduledJob("jobs.purge_idempotency_keys", sweeper.purge_idempotency_keys,
                     "interval", {"minutes": 15}),
    ]
    for extra in _extra_jobs:
        jobs.append(extra(app))
    return jobs


# Other areas add their scheduled jobs here (a function of the app returning a ScheduledJob).
_extra_jobs: list[Callable[[Flask], ScheduledJob]] = []


def register_scheduled_job(factory: Callable[[Flask], ScheduledJob]) -> None:
    if factory not in _extra_jobs:
        _extra_jobs.append(factory)


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
        scheduler.add_job(_in_app_context(app, job), job.trigger, id=job.id, name=job.id,
                          replace_existing=True, max_instances=1, coalesce=True,
                          **job.trigger_args)
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
