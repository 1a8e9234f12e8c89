"""The standalone scheduler, started as production starts it (`python -m workers.scheduler`)."""

from __future__ import annotations

import re

from tests.resilience.resilience_support import wait_until
from workers.scheduler import scheduled_jobs

EVERY_JOB = {
    "jobs.resend_unsent",
    "jobs.requeue_stale",
    "jobs.resend_after_broker_loss",
    "jobs.purge_idempotency_keys",
    "learning.reset_streaks",
    "media.expire_uploads",
    "webhooks.resend_lost",
    "webhooks.purge_old_events",
    "mail.resend_unsent",
    "retention.sweep",
}


def test_the_standalone_scheduler_runs_every_scheduled_job(stack):
    # Given the scheduler process, started as README and compose start it
    scheduler = stack.fleet.scheduler()

    # When it has started
    wait_until(
        lambda: "scheduler started with jobs:" in scheduler.log(), 60, "the scheduler to start"
    )

    # Then it lists every job of the one list, streak resets and webhook sweeps included,
    # the same list the embedded scheduler runs
    started = re.search(r"scheduler started with jobs: (.*)", scheduler.log())
    assert started is not None
    listed = {name.strip() for name in started.group(1).split(",")}
    assert listed == EVERY_JOB
    assert {job.id for job in scheduled_jobs(stack.app)} == EVERY_JOB
    assert scheduler.alive()
