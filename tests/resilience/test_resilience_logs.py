"""A worker process logs each record once, as one JSON line."""

from __future__ import annotations

import json
import time

from tests.jobs.helpers import wait_job


def test_a_worker_writes_each_job_line_once_as_json(stack):
    # Given a worker started as production starts it, with JSON logs (the default)
    stack.fleet.env["LOG_JSON"] = "true"
    worker = stack.fleet.worker()
    admin = stack.accounts.admin()
    stack.fleet.wait_ready(worker)

    # When it runs a job
    job = stack.client.post("/api/v1/jobs/ping", headers=admin.headers, json={}).get_json()
    assert wait_job(stack.client, job["id"], admin.headers)["status"] == "succeeded"

    # Then its start and end are each one line, JSON, with the job's fields (the end's line
    # is written just after the commit the API saw, so it may take a moment to appear)
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in worker.log().splitlines() if job["id"] in line]
        if len(lines) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    records = [json.loads(line) for line in lines]
    assert [r["event"] for r in records] == ["job.started", "job.succeeded"], lines
    assert all(r["job_type"] == "ping" and r["queue"] == "scoring" for r in records)
    assert records[1]["attempt"] == 1 and records[1]["duration_ms"] >= 0
