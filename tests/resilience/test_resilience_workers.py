"""Worker processes killed mid-run: no job is lost and no result is written twice."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from storage.db import db
from tests.resilience.resilience_support import wait_until

JOBS_PER_ROUND = 50
ROUNDS = 4

# Every move of a job to `succeeded` is logged by the database itself, so a result written
# twice (two runs both completing) cannot go unseen.
_COMPLETIONS_DDL = """
CREATE TABLE resilience_completions (job_id text NOT NULL, run_token text);
CREATE FUNCTION resilience_log_completion() RETURNS trigger AS $$
BEGIN
    INSERT INTO resilience_completions (job_id, run_token) VALUES (NEW.id, OLD.run_token);
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER resilience_completion AFTER UPDATE OF status ON jobs
    FOR EACH ROW WHEN (NEW.status = 'succeeded') EXECUTE FUNCTION resilience_log_completion();
"""
_COMPLETIONS_DROP = """
DROP TRIGGER IF EXISTS resilience_completion ON jobs;
DROP FUNCTION IF EXISTS resilience_log_completion();
DROP TABLE IF EXISTS resilience_completions;
"""


@pytest.fixture
def completions(app) -> Iterator[None]:
    db.session.execute(text(_COMPLETIONS_DROP + _COMPLETIONS_DDL))
    db.session.commit()
    try:
        yield
    finally:
        db.session.rollback()
        db.session.execute(text(_COMPLETIONS_DROP))
        db.session.commit()


def test_killed_workers_lose_no_job_and_write_each_result_once(stack, completions):
    # Given two worker processes, the scheduler's sweepers, and an organisation admin
    rng = random.Random(9)
    workers = [stack.fleet.worker(), stack.fleet.worker()]
    stack.fleet.scheduler()
    admin = stack.accounts.admin()
    submitted: list[str] = []
    kills = 0
    for _round in range(ROUNDS):
        for worker in workers:
            stack.fleet.wait_ready(worker)
        # When a batch of jobs that take a little time is submitted
        for _ in range(JOBS_PER_ROUND):
            response = stack.client.post(
                "/api/v1/jobs/ping", headers=admin.headers, json={"sleep_ms": rng.randint(300, 700)}
            )
            assert response.status_code == 202, response.get_json()
            submitted.append(response.get_json()["id"])
        # and, while both workers run jobs (more running than one worker has threads),
        wait_until(
            lambda: stack.status_counts().get("running", 0) >= 5, 60, "both workers to run jobs"
        )
        # one of them is killed without warning and a new one started in its place
        victim = workers.pop(rng.randrange(len(workers)))
        victim.kill()
        kills += 1
        workers.append(stack.fleet.worker())

    # Then every job ends, through lease expiry and the broker's redelivery
    def all_finished() -> bool:
        counts = stack.status_counts()
        return counts.get("queued", 0) + counts.get("running", 0) == 0

    wait_until(all_finished, 180, "every job to finish", interval=0.5)
    jobs = {job.id: job for job in stack.jobs()}
    assert sorted(jobs) == sorted(submitted)
    # every one succeeded, with its attempts recorded and the result of its last attempt
    assert {job.status for job in jobs.values()} == {"succeeded"}, [
        (job.id, job.status, job.error) for job in jobs.values() if job.status != "succeeded"
    ]
    for job in jobs.values():
        assert job.attempts >= 1
        assert job.result["attempt"] == job.attempts, (job.id, job.result, job.attempts)
    # some jobs were interrupted by the kills and ran again
    assert kills == ROUNDS
    assert any(job.attempts >= 2 for job in jobs.values())
    # and each result was written exactly once
    written = db.session.execute(
        text("SELECT job_id, count(*) FROM resilience_completions GROUP BY job_id")
    ).all()
    db.session.rollback()
    assert dict(written) == {job_id: 1 for job_id in jobs}
