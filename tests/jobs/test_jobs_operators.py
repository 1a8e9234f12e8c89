"""Operators: queue stats, re-queueing, metrics, CLI."""

from __future__ import annotations

import logging

from tests.jobs.helpers import submit_ping, wait_job


def test_admin_queue_stats_show_broker_depth_and_job_counts(client, accounts):
    # Given two queued jobs and no worker
    admin = accounts.admin()
    submit_ping(client, admin.headers)
    submit_ping(client, admin.headers)
    # When an admin reads the queues
    body = client.get("/api/v1/admin/queues", headers=admin.headers).get_json()
    scoring = next(q for q in body["queues"] if q["queue"] == "scoring")
    # Then the broker holds two messages and two jobs are queued
    assert scoring["ready"] == 2 and scoring["queued_jobs"] == 2
    assert scoring["running_jobs"] == 0 and scoring["dead_lettered"] == 0
    assert scoring["oldest_queued_seconds"] >= 0
    learner = accounts.member(admin, "learner")
    assert client.get("/api/v1/admin/queues", headers=learner.headers).status_code == 403


def test_requeue_failed_jobs_by_filter(client, accounts, worker):
    admin = accounts.admin()
    job = submit_ping(client, admin.headers, reject=True).get_json()
    assert wait_job(client, job["id"], admin.headers)["status"] == "failed"
    response = client.post(
        "/api/v1/admin/jobs/requeue",
        json={"status": ["failed"], "type": "ping"},
        headers=admin.headers,
    )
    assert response.get_json() == {"requeued": 1, "job_ids": [job["id"]]}
    done = wait_job(client, job["id"], admin.headers)
    assert done["status"] == "failed" and done["attempts"] == 1


def test_metrics_expose_job_counts_and_queue_depth(client, accounts, worker):
    admin = accounts.admin()
    job = submit_ping(client, admin.headers).get_json()
    wait_job(client, job["id"], admin.headers)
    submit_ping(client, admin.headers, sleep_ms=10_000)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'jobs{status="succeeded",type="ping"} 1.0' in text
    assert 'jobs_submitted_total{type="ping"}' in text
    assert 'queue_depth{queue="scoring"}' in text
    assert "job_run_seconds_bucket" in text


def test_cli_stats_and_requeue(app, client, accounts, worker):
    admin = accounts.admin()
    job = submit_ping(client, admin.headers, reject=True).get_json()
    wait_job(client, job["id"], admin.headers)
    runner = app.test_cli_runner()
    stats = runner.invoke(args=["jobs", "stats"])
    assert stats.exit_code == 0 and "scoring" in stats.output
    requeued = runner.invoke(args=["jobs", "requeue", "--status", "failed", "--type", "ping"])
    assert requeued.exit_code == 0 and "re-queued 1 job(s)" in requeued.output


def test_metrics_export_every_queue_and_job_type_at_zero(client):
    # Given a platform with no job at all
    # When Prometheus scrapes it
    text = client.get("/metrics").get_data(as_text=True)
    # Then every queue's gauges and every job type's counts are there, at 0, rather than absent
    for queue in ("transcription", "scoring", "text", "media", "webhooks"):
        assert f'queue_depth{{queue="{queue}"}} 0.0' in text
        assert f'queue_running{{queue="{queue}"}} 0.0' in text
        assert f'queue_oldest_queued_seconds{{queue="{queue}"}} 0.0' in text
    for job_type in ("ping", "speaking_assessment", "writing_assessment"):
        for status in ("queued", "running", "succeeded", "failed", "canceled"):
            assert f'jobs{{status="{status}",type="{job_type}"}} 0.0' in text


def test_a_job_logs_one_structured_line_when_it_starts_and_when_it_ends(
    client, accounts, worker, caplog
):
    # Given a job that succeeds and one that fails
    admin = accounts.admin()
    caplog.set_level("INFO", logger="workers.engine")
    ok = submit_ping(client, admin.headers).get_json()
    bad = submit_ping(client, admin.headers, reject=True).get_json()
    wait_job(client, ok["id"], admin.headers)
    bad_done = wait_job(client, bad["id"], admin.headers)

    # Then each has a start line and an end line carrying its id, type, queue, attempt, stage
    # and, at the end, how long it ran
    def events(job_id: str) -> dict[str, logging.LogRecord]:
        return {r.event: r for r in caplog.records if getattr(r, "job_id", None) == job_id}

    succeeded = events(ok["id"])
    assert set(succeeded) == {"job.started", "job.succeeded"}
    end = succeeded["job.succeeded"]
    assert (end.job_type, end.queue, end.attempt) == ("ping", "scoring", 1)
    assert hasattr(end, "stage") and end.duration_ms >= 0
    failed = events(bad["id"])
    assert set(failed) == {"job.started", "job.failed"}
    assert failed["job.failed"].code == bad_done["error"]["code"]
    assert failed["job.failed"].levelname == "WARNING"
