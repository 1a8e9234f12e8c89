"""Job lifecycle through the Redis broker and a real Dramatiq worker."""

from __future__ import annotations

import threading
from datetime import timedelta

from storage import jobs as job_service
from storage.db import db, utcnow
from storage.models.jobs import Job
from tests.conftest import use_app
from tests.jobs.helpers import submit_ping, wait_job, wait_status
from workers import runtime, sweeper


def test_submission_answers_202_with_location_and_job(client, accounts, worker):
    # Given an admin
    admin = accounts.admin()
    # When a ping job is submitted
    response = submit_ping(client, admin.headers, sleep_ms=10)
    # Then the answer is 202 with the job, where to poll and when
    assert response.status_code == 202
    job = response.get_json()
    assert job["id"].startswith("job_")
    # (a fast worker may already have claimed it when the answer is written)
    assert job["status"] in ("queued", "running") and job["type"] == "ping"
    assert response.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    assert int(response.headers["Retry-After"]) >= 1
    # And the worker runs it to success with its result and timestamps
    done = wait_job(client, job["id"], admin.headers)
    assert done["status"] == "succeeded"
    assert done["progress"] == 100 and done["stage"] == "done"
    assert done["result"]["pong"] is True and done["attempts"] == 1
    assert done["started_at"] and done["finished_at"] and done["provider"] == "engine"
    assert done["enqueued_at"] is not None


def test_the_202_answer_shows_the_job_as_stored(client, accounts):
    # Given an admin and no worker
    admin = accounts.admin()
    # When a job is submitted
    accepted = submit_ping(client, admin.headers, sleep_ms=10).get_json()
    # Then the answer is the job as the database holds it, sent time included
    assert accepted["enqueued_at"] is not None
    assert (
        client.get(f"/api/v1/jobs/{accepted['id']}", headers=admin.headers).get_json() == accepted
    )


def test_transient_failures_are_retried_then_succeed(client, accounts, worker):
    # Given a job that fails transiently twice
    admin = accounts.admin()
    job = submit_ping(client, admin.headers, fail_times=2).get_json()
    # When it is run
    done = wait_job(client, job["id"], admin.headers)
    # Then it succeeded on its third attempt
    assert done["status"] == "succeeded", done
    assert done["attempts"] == 3
    assert done["result"]["attempt"] == 3


def test_permanent_failure_fails_at_once_with_its_code(client, accounts, worker):
    admin = accounts.admin()
    job = submit_ping(client, admin.headers, reject=True).get_json()
    done = wait_job(client, job["id"], admin.headers)
    assert done["status"] == "failed"
    assert done["attempts"] == 1
    assert done["error"] == {
        "code": "ping_rejected",
        "retryable": False,
        "message": "The ping was asked to fail permanently.",
    }


def test_exhausted_job_fails_with_its_last_error(client, accounts, worker):
    # Given a job that fails transiently more often than it may be attempted (5)
    admin = accounts.admin()
    job = submit_ping(client, admin.headers, fail_times=10).get_json()
    done = wait_job(client, job["id"], admin.headers)
    # Then it failed after max_attempts with the transient error's code
    assert done["status"] == "failed"
    assert done["attempts"] == done["max_attempts"] == 5
    assert done["error"]["code"] == "ping_transient"


def test_same_message_delivered_twice_produces_one_result(app, client, accounts):
    # Given a queued job whose message is sent a second time (at-least-once delivery)
    admin = accounts.admin()
    job = submit_ping(client, admin.headers, sleep_ms=200).get_json()
    row = db.session.get(Job, job["id"])
    assert runtime.broker_send(row.id, row.actor, row.queue)
    # When a worker consumes both messages
    import dramatiq

    worker = dramatiq.Worker(app.extensions["runtime"].broker, worker_threads=2)
    worker.start()
    try:
        done = wait_job(client, job["id"], admin.headers)
        worker.join()  # both messages handled
    finally:
        worker.stop()
    # Then the job ran once
    assert done["status"] == "succeeded"
    assert done["attempts"] == 1 and done["result"]["attempt"] == 1


def test_job_left_running_by_a_dead_worker_is_requeued_and_completes(app, client, accounts, worker):
    # Given a job claimed by a worker that died (lease expired, no heartbeat); the live
    # worker is paused meanwhile so it cannot take the job first
    admin = accounts.admin()
    worker.pause()
    try:
        job_id = submit_ping(client, admin.headers).get_json()["id"]
        claimed = job_service.claim(db.session, job_id, "dead-worker-token")
        assert claimed is not None
        claimed.heartbeat_at = utcnow() - timedelta(seconds=claimed.lease_seconds + 5)
        db.session.commit()
    finally:
        worker.resume()
    # When the stale-lease sweeper runs
    assert sweeper.requeue_stale() == 1
    # Then a live worker completes it, on its second attempt
    done = wait_job(client, job_id, admin.headers)
    assert done["status"] == "succeeded"
    assert done["attempts"] == 2


def test_cancel_a_queued_job_at_once(client, accounts):
    # Given a queued job and no worker
    admin = accounts.admin()
    job = submit_ping(client, admin.headers).get_json()
    # When it is canceled
    response = client.post(f"/api/v1/jobs/{job['id']}/cancel", headers=admin.headers)
    # Then it is canceled at once, and a second cancel is a conflict
    assert response.status_code == 200
    assert response.get_json()["status"] == "canceled"
    again = client.post(f"/api/v1/jobs/{job['id']}/cancel", headers=admin.headers)
    assert again.status_code == 409
    assert again.get_json()["code"] == "job_not_cancelable"


def test_cancel_a_running_job_stops_it_at_its_next_stage(client, accounts, worker):
    admin = accounts.admin()
    job = submit_ping(client, admin.headers, sleep_ms=20_000).get_json()
    assert wait_status(client, job["id"], admin.headers, "running")["status"] == "running"
    response = client.post(f"/api/v1/jobs/{job['id']}/cancel", headers=admin.headers)
    assert response.status_code == 200
    assert response.get_json()["cancel_requested"] is True
    done = wait_job(client, job["id"], admin.headers)
    assert done["status"] == "canceled"
    assert done["error"]["code"] == "canceled"


def test_retry_a_failed_job(client, accounts, worker):
    admin = accounts.admin()
    job = submit_ping(client, admin.headers, reject=True).get_json()
    assert wait_job(client, job["id"], admin.headers)["status"] == "failed"
    # A ping with reject=True fails again, but it runs again from scratch
    response = client.post(f"/api/v1/jobs/{job['id']}/retry", headers=admin.headers)
    assert response.status_code == 202
    assert response.get_json()["status"] in ("queued", "running", "failed")
    done = wait_job(client, job["id"], admin.headers)
    assert done["status"] == "failed" and done["attempts"] == 1
    # A succeeded job cannot be retried
    ok = submit_ping(client, admin.headers).get_json()
    assert wait_job(client, ok["id"], admin.headers)["status"] == "succeeded"
    assert (
        client.post(f"/api/v1/jobs/{ok['id']}/retry", headers=admin.headers).get_json()["code"]
        == "job_not_retryable"
    )


def test_broker_down_at_submission_still_answers_202_and_the_sweeper_sends_it_later(
    app, app_with, client, accounts, worker
):
    # Given an API whose Redis is unreachable
    admin = accounts.admin()
    offline = app_with(redis_url="redis://127.0.0.1:1/0")
    with offline.test_client() as offline_client:
        response = submit_ping(offline_client, admin.headers)
    # Then the submission is accepted and recorded as not sent
    assert response.status_code == 202
    job_id = response.get_json()["id"]
    db.session.expire_all()
    assert db.session.get(Job, job_id).enqueued_at is None
    # When the broker is back and the sweeper runs
    use_app(app)
    assert sweeper.resend_unsent(grace_seconds=0) == 1
    # Then the job completes
    assert wait_job(client, job_id, admin.headers)["status"] == "succeeded"


def test_jobs_lost_with_the_brokers_data_are_sent_again(
    app, client, accounts, redis_client, start_worker
):
    # Given a Redis that holds the sweeper's marker and two sent jobs no worker has taken yet
    admin = accounts.admin()
    assert sweeper.resend_after_broker_loss() == 0  # a fresh Redis: nothing queued, marked
    assert sweeper.resend_after_broker_loss() == 0  # marked: nothing to check
    sent = [submit_ping(client, admin.headers).get_json()["id"] for _ in range(2)]
    assert sweeper.resend_after_broker_loss() == 0

    # When Redis loses everything it held (a restart without persistence)
    redis_client.flushdb()

    # Then the sweeper sends both again, once, and a worker completes them on one attempt
    assert sweeper.resend_after_broker_loss() == 2
    assert sweeper.resend_after_broker_loss() == 0
    start_worker(app)
    for job_id in sent:
        done = wait_job(client, job_id, admin.headers)
        assert done["status"] == "succeeded" and done["attempts"] == 1


def test_long_poll_returns_the_finished_job_and_times_out_otherwise(
    client, accounts, worker, redis_client
):
    admin = accounts.admin()
    # A job that takes a little while: the long poll returns it finished
    job = submit_ping(client, admin.headers, sleep_ms=300).get_json()
    body = client.get(f"/api/v1/jobs/{job['id']}?wait=30", headers=admin.headers).get_json()
    assert body["status"] == "succeeded"
    # A job that takes longer than the wait: the poll returns it unfinished
    slow = submit_ping(client, admin.headers, sleep_ms=15_000).get_json()
    response = client.get(
        f"/api/v1/jobs/{slow['id']}", headers={**admin.headers, "Prefer": "wait=1"}
    )
    assert response.get_json()["status"] in ("queued", "running")
    assert response.headers["Preference-Applied"] == "wait=1"
    assert response.headers["Retry-After"] == "1"
    client.post(f"/api/v1/jobs/{slow['id']}/cancel", headers=admin.headers)


def test_a_submission_with_prefer_wait_answers_the_finished_job_or_202(client, accounts, worker):
    # Given an admin and a running worker
    admin = accounts.admin()
    # When a job that ends within the wait is submitted with Prefer: wait
    quick = client.post(
        "/api/v1/jobs/ping",
        json={"sleep_ms": 50},
        headers={**admin.headers, "Prefer": "respond-async, wait=30"},
    )
    # Then the answer is 200 with the finished job, where it lives, and no Retry-After
    assert quick.status_code == 200, quick.get_json()
    assert quick.get_json()["status"] == "succeeded"
    assert quick.headers["Preference-Applied"] == "wait=30"
    assert quick.headers["Location"].endswith(quick.get_json()["id"])
    assert "Retry-After" not in quick.headers
    # When a job outlasts the wait, Then the answer is 202 with the job and where to poll it
    slow = client.post(
        "/api/v1/jobs/ping",
        json={"sleep_ms": 15_000},
        headers={**admin.headers, "Prefer": "wait=1"},
    )
    assert slow.status_code == 202
    assert slow.get_json()["status"] in ("queued", "running")
    assert slow.headers["Preference-Applied"] == "wait=1" and slow.headers["Retry-After"] == "1"
    client.post(f"/api/v1/jobs/{slow.get_json()['id']}/cancel", headers=admin.headers)


def test_job_changes_are_published_for_long_polls(client, accounts, worker, redis_client):
    # Given a subscriber on the job's change channel
    admin = accounts.admin()
    job = submit_ping(client, admin.headers, sleep_ms=200).get_json()
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(runtime.get().notifier.channel(job["id"]))
    received = threading.Event()

    def listen() -> None:
        for _ in range(200):
            if pubsub.get_message(timeout=0.1):
                received.set()
                return

    listener = threading.Thread(target=listen)
    listener.start()
    # When the job runs
    wait_job(client, job["id"], admin.headers)
    listener.join()
    pubsub.close()
    # Then a change was published (this is what wakes long polls)
    assert received.is_set()


def test_etag_and_if_none_match(client, accounts, worker):
    admin = accounts.admin()
    job = submit_ping(client, admin.headers).get_json()
    wait_job(client, job["id"], admin.headers)
    first = client.get(f"/api/v1/jobs/{job['id']}", headers=admin.headers)
    etag = first.headers["ETag"]
    not_modified = client.get(
        f"/api/v1/jobs/{job['id']}", headers={**admin.headers, "If-None-Match": etag}
    )
    assert not_modified.status_code == 304
    assert not_modified.get_data() == b""
    other = client.get(
        f"/api/v1/jobs/{job['id']}", headers={**admin.headers, "If-None-Match": '"something-else"'}
    )
    assert other.status_code == 200


def test_a_long_poll_answers_a_job_that_ended_while_it_subscribed(client, accounts, app):
    # Given a queued job (no worker) and a job that ends between the long poll's first read
    # and its subscription to the job's changes, so no notification will ever reach it
    admin = accounts.admin()
    job = submit_ping(client, admin.headers).get_json()
    notifier = runtime.get().notifier
    subscribe, waits = notifier.subscribe, []

    def subscribe_as_the_job_ends(job_id: str):
        with db.engine.connect() as other:
            other.exec_driver_sql(
                "UPDATE jobs SET status = 'succeeded', finished_at = now() WHERE id = %s", (job_id,)
            )
            other.commit()
        subscription = subscribe(job_id)
        wait = subscription.wait
        subscription.wait = lambda seconds: waits.append(seconds) or wait(seconds)
        return subscription

    notifier.subscribe = subscribe_as_the_job_ends
    try:
        # When the client long-polls it
        body = client.get(f"/api/v1/jobs/{job['id']}?wait=30", headers=admin.headers).get_json()
    finally:
        notifier.subscribe = subscribe
    # Then the ended job is answered at once, without sleeping on a notification
    assert body["status"] == "succeeded"
    assert waits == []
