"""Small helpers for job tests."""

from __future__ import annotations

import time

from flask.testing import FlaskClient


def submit_ping(client: FlaskClient, headers: dict, **body: object):
    return client.post("/api/v1/jobs/ping", json=body, headers=headers)


def wait_job(client: FlaskClient, job_id: str, headers: dict, seconds: int = 30) -> dict:
    """Long-poll until terminal (several polls if needed)."""
    deadline = time.monotonic() + seconds
    while True:
        body = client.get(f"/api/v1/jobs/{job_id}?wait=10", headers=headers).get_json()
        if body["status"] in ("succeeded", "failed", "canceled") or time.monotonic() > deadline:
            return body


def wait_status(
    client: FlaskClient, job_id: str, headers: dict, status: str, seconds: float = 20
) -> dict:
    """Poll until the job reaches `status` (for non-terminal states such as running)."""
    deadline = time.monotonic() + seconds
    while True:
        body = client.get(f"/api/v1/jobs/{job_id}", headers=headers).get_json()
        if body["status"] == status or time.monotonic() > deadline:
            return body
        time.sleep(0.05)
