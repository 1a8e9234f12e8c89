"""A worker's own metrics: with WORKER_PROMETHEUS=true its exposition port serves the
platform's job metrics beside Dramatiq's."""

from __future__ import annotations

import requests

from tests.jobs.helpers import wait_job
from tests.resilience.resilience_support import free_port, wait_until


def test_a_workers_exposition_port_serves_job_run_times(stack, tmp_path):
    # Given a worker with its Prometheus exposition on
    port = free_port()
    stack.fleet.env.update(
        WORKER_PROMETHEUS="true",
        dramatiq_prom_port=str(port),
        dramatiq_prom_host="127.0.0.1",
        dramatiq_prom_db=str(tmp_path / "prometheus"),
        dramatiq_prom_lock=str(tmp_path / "prometheus.lock"),
    )
    worker = stack.fleet.worker()
    admin = stack.accounts.admin()
    stack.fleet.wait_ready(worker)

    # When it runs a job
    job = stack.client.post("/api/v1/jobs/ping", headers=admin.headers, json={}).get_json()
    assert wait_job(stack.client, job["id"], admin.headers)["status"] == "succeeded"

    # Then a scrape of the worker shows the job's run time and count, and Dramatiq's metrics
    def scraped() -> str:
        try:
            return requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        except requests.RequestException:
            return ""

    wait_until(
        lambda: 'job_run_seconds_count{type="ping"}' in scraped(),
        30,
        "the worker's exposition to show the job",
    )
    text = scraped()
    assert 'job_run_seconds_count{type="ping"} 1.0' in text
    assert 'jobs_finished_total{status="succeeded",type="ping"} 1.0' in text
    assert "dramatiq_messages_total" in text
