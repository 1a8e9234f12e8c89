"""Redis down at submission: the API still accepts jobs and the sweeper sends them later."""

from __future__ import annotations

import redis

from tests.jobs.helpers import wait_job
from tests.resilience.resilience_support import wait_until

OUTAGE_JOBS = 50


def test_jobs_submitted_while_redis_is_down_complete_once_it_is_back(stack):
    # Given a worker, the scheduler and a job that ran through Redis
    worker = stack.fleet.worker()
    stack.fleet.scheduler()
    admin = stack.accounts.admin()
    stack.fleet.wait_ready(worker)
    first = stack.client.post("/api/v1/jobs/ping", headers=admin.headers, json={})
    assert wait_job(stack.client, first.get_json()["id"], admin.headers)["status"] == "succeeded"

    # When Redis stops and jobs are submitted
    stack.redis.stop()
    accepted = []
    for n in range(OUTAGE_JOBS):
        response = stack.client.post(
            "/api/v1/jobs/ping", headers=admin.headers, json={"sleep_ms": 20 + n}
        )
        # Then each is accepted, recorded as not yet sent
        assert response.status_code == 202, response.get_json()
        accepted.append(response.get_json()["id"])
    outage_jobs = [job for job in stack.jobs() if job.id in accepted]
    assert len(outage_jobs) == OUTAGE_JOBS
    assert all(job.status == "queued" and job.enqueued_at is None for job in outage_jobs)
    # and reading or long-polling a job still answers during the outage
    polled = stack.client.get(f"/api/v1/jobs/{accepted[0]}?wait=1", headers=admin.headers)
    assert polled.status_code == 200, polled.get_json()
    assert polled.get_json()["status"] == "queued"

    # When Redis is back (empty: it kept nothing)
    stack.redis.start()

    # Then the sweeper sends every job and the worker runs each once
    def all_done() -> bool:
        return stack.status_counts() == {"succeeded": OUTAGE_JOBS + 1}

    wait_until(all_done, 120, "the outage jobs to complete", interval=0.5)
    for job in stack.jobs():
        assert job.attempts == 1 and job.result["attempt"] == 1
        assert job.enqueued_at is not None


LOST_JOBS = 20


def test_jobs_sent_before_redis_restarted_empty_still_complete(stack):
    # Given a scheduler that has marked this Redis, and jobs sent to it while no worker runs
    scheduler = stack.fleet.scheduler()
    marker = redis.Redis.from_url(stack.redis.url)
    wait_until(lambda: marker.keys("*broker:marker"), 60, "the scheduler to mark Redis")
    admin = stack.accounts.admin()
    accepted = [
        stack.client.post("/api/v1/jobs/ping", headers=admin.headers, json={})
        for _ in range(LOST_JOBS)
    ]
    assert all(response.status_code == 202 for response in accepted)
    assert all(job.enqueued_at is not None for job in stack.jobs())

    # When Redis restarts without the messages it held (no persistence), then a worker starts
    stack.redis.stop()
    stack.redis.start()
    stack.fleet.worker()

    # Then the scheduler notices the loss and sends them again, and each runs once
    def all_done() -> bool:
        return stack.status_counts() == {"succeeded": LOST_JOBS}

    wait_until(all_done, 120, "the jobs lost with Redis to complete", interval=0.5)
    assert all(job.attempts == 1 and job.result["attempt"] == 1 for job in stack.jobs())
    assert f"re-sent {LOST_JOBS} queued job(s)" in scheduler.log()
