"""Deliveries through the API, a real Dramatiq worker and a real receiver on loopback.
Every received request is verified with the `standardwebhooks` reference library."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import update
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from storage.db import db
from storage.models.webhooks import WebhookEndpoint
from tests.factories import Accounts
from tests.webhooks.webhook_support import WebhookApi


def verified(secret: str, request) -> dict:
    return Webhook(secret).verify(request.body, request.headers)


def test_delivery_after_a_job_succeeds(accounts, hooks, receiver, worker) -> None:
    # Given an endpoint subscribed to job.succeeded
    admin = accounts.admin()
    endpoint = hooks.create(admin, receiver.url(), events=["job.succeeded"])

    # When a job runs to success on the worker
    job = hooks.ping(admin, sleep_ms=10)

    # Then the receiver gets one signed Standard Webhooks message about that job
    request = receiver.wait_for(1)[0]
    payload = verified(endpoint["secret"], request)
    assert payload["type"] == "job.succeeded"
    assert payload["data"]["id"] == job["id"]
    assert payload["data"]["status"] == "succeeded"
    assert payload["data"]["result"]["pong"] is True
    datetime.fromisoformat(payload["timestamp"])
    assert request.headers["Content-Type"] == "application/json"

    # And the event is in the event log under the same id as the webhook-id header
    event = hooks.events(admin, type="job.succeeded")[0]
    assert event["id"] == request.headers["webhook-id"]
    assert event["data"]["id"] == job["id"]

    # And the delivery log shows one successful attempt
    [delivery] = hooks.deliveries(admin, endpoint["id"])
    delivery = hooks.wait_delivery(admin, delivery["id"], ("succeeded",))
    assert delivery["attempts"] == 1
    assert delivery["response_status"] == 200
    assert [a["outcome"] for a in delivery["attempt_log"]] == ["succeeded"]


def test_event_filter_and_failed_jobs(accounts, hooks, receiver, worker) -> None:
    # Given one endpoint for job.succeeded only and one for every event
    admin = accounts.admin()
    only_success = hooks.create(admin, receiver.url("/success"), events=["job.succeeded"])
    everything = hooks.create(admin, receiver.url("/all"))

    # When a job fails permanently
    job = hooks.ping(admin, reject=True)
    assert hooks.wait_job(admin, job["id"])["status"] == "failed"

    # Then only the catch-all endpoint hears of it, with the job's error
    request = receiver.wait_for(1)[0]
    assert request.path == "/all"
    payload = verified(everything["secret"], request)
    assert payload["type"] == "job.failed"
    assert payload["data"]["error"]["code"] == "ping_rejected"
    assert hooks.deliveries(admin, only_success["id"]) == []


def test_500_then_200_is_retried_with_the_same_webhook_id(
    accounts, hooks, receiver, worker
) -> None:
    # Given a receiver that fails once and then accepts
    admin = accounts.admin()
    endpoint = hooks.create(admin, receiver.url())
    receiver.answer(status=500, body=b"database down")

    # When an event is delivered
    response = hooks.client.post(f"/api/v1/webhooks/{endpoint['id']}/test", headers=admin.headers)
    assert response.status_code == 202
    delivery_id = response.get_json()["id"]

    # Then the same message arrives twice under the same id, both verifiable
    first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert verified(endpoint["secret"], first) == verified(endpoint["secret"], second)

    # And the log shows the failed attempt with its answer, then the success
    delivery = hooks.wait_delivery(admin, delivery_id, ("succeeded",))
    assert delivery["attempts"] == 2
    failed, succeeded = delivery["attempt_log"]
    assert (failed["response_status"], failed["response_body"]) == (500, "database down")
    assert failed["outcome"] == "retry" and failed["next_attempt_at"]
    assert succeeded["outcome"] == "succeeded"


def test_410_disables_the_endpoint(accounts, hooks, receiver, worker) -> None:
    # Given a receiver answering 410 Gone
    admin = accounts.admin()
    endpoint = hooks.create(admin, receiver.url())
    receiver.answer(status=410)

    # When a message is delivered
    delivery_id = hooks.client.post(
        f"/api/v1/webhooks/{endpoint['id']}/test", headers=admin.headers
    ).get_json()["id"]

    # Then the delivery fails without retry and the endpoint is disabled with a reason
    delivery = hooks.wait_delivery(admin, delivery_id, ("failed",))
    assert delivery["attempts"] == 1
    shown = hooks.client.get(f"/api/v1/webhooks/{endpoint['id']}", headers=admin.headers)
    assert shown.get_json()["enabled"] is False
    assert "410" in shown.get_json()["disabled_reason"]

    # And later events are not delivered to it
    job = hooks.ping(admin)
    hooks.wait_job(admin, job["id"])
    assert len(hooks.deliveries(admin, endpoint["id"])) == 1
    assert len(receiver.requests) == 1

    # And re-enabling it makes it receive again
    enabled = hooks.client.patch(
        f"/api/v1/webhooks/{endpoint['id']}", json={"enabled": True}, headers=admin.headers
    )
    assert enabled.get_json()["enabled"] is True and enabled.get_json()["disabled_reason"] is None
    hooks.client.post(f"/api/v1/webhooks/{endpoint['id']}/test", headers=admin.headers)
    assert verified(endpoint["secret"], receiver.wait_for(2)[1])["type"] == "webhook.test"


def test_retry_after_is_honoured(accounts, hooks, receiver, worker) -> None:
    # Given a receiver rate-limiting once with Retry-After: 1 (the schedule says 0.2 s)
    admin = accounts.admin()
    endpoint = hooks.create(admin, receiver.url())
    receiver.answer(status=429, headers={"Retry-After": "1"})

    # When a message is delivered
    delivery_id = hooks.client.post(
        f"/api/v1/webhooks/{endpoint['id']}/test", headers=admin.headers
    ).get_json()["id"]

    # Then the second attempt was planned, and came, at least a second after the first
    first, second = receiver.wait_for(2)
    assert second.at - first.at >= 1.0
    delivery = hooks.wait_delivery(admin, delivery_id, ("succeeded",))
    limited = delivery["attempt_log"][0]
    planned = (
        datetime.fromisoformat(limited["next_attempt_at"])
        - datetime.fromisoformat(limited["started_at"])
    ).total_seconds()
    assert limited["response_status"] == 429 and planned >= 1.0


def test_exhausted_delivery_is_recorded_and_can_be_redelivered(
    accounts, hooks, receiver, worker
) -> None:
    # Given a receiver that keeps failing (the test schedule allows 4 attempts)
    admin = accounts.admin()
    endpoint = hooks.create(admin, receiver.url())
    receiver.default.status = 503

    # When a message is delivered
    delivery_id = hooks.client.post(
        f"/api/v1/webhooks/{endpoint['id']}/test", headers=admin.headers
    ).get_json()["id"]

    # Then after 4 attempts the delivery is exhausted and visible as such
    delivery = hooks.wait_delivery(admin, delivery_id, ("exhausted",))
    assert delivery["attempts"] == 4
    assert [a["outcome"] for a in delivery["attempt_log"]] == ["retry"] * 3 + ["exhausted"]
    assert hooks.deliveries(admin, endpoint["id"], state="exhausted")[0]["id"] == delivery_id
    assert len({r.headers["webhook-id"] for r in receiver.wait_for(4)}) == 1

    # When the receiver recovers and the delivery is retried by hand
    receiver.default.status = 200
    retried = hooks.client.post(
        f"/api/v1/webhook-deliveries/{delivery_id}/retry", headers=admin.headers
    )
    assert retried.status_code == 202
    again = hooks.wait_delivery(admin, retried.get_json()["id"], ("succeeded",))

    # Then the same message (same id and body) arrives once more and verifies
    assert again["redelivery_of"] == delivery_id
    last = receiver.wait_for(5)[4]
    assert last.headers["webhook-id"] == receiver.requests[0].headers["webhook-id"]
    assert last.body == receiver.requests[0].body
    verified(endpoint["secret"], last)


def test_private_address_refused_when_not_allowed(app_with, start_worker, receiver) -> None:
    # Given a platform that does not allow private networks, and its worker
    strict = app_with(webhook_allow_private_networks=False)
    start_worker(strict)
    client = strict.test_client()
    admin = Accounts(client).admin()
    hooks = WebhookApi(client)

    # When an endpoint names a loopback IP literal / Then it is refused at once
    refused = hooks.create(admin, receiver.url(), expect=422)
    assert refused["code"] == "webhook_url_not_allowed"

    # ... and so is `localhost` (a name that is this machine whatever DNS says)
    assert hooks.create(admin, f"http://localhost:{receiver.port}/hook", expect=422)

    # When an endpoint's name comes to resolve to loopback (here: its row is pointed at
    # localhost, as a DNS answer that changed after registration would) and a message is sent
    endpoint = hooks.create(admin, f"http://hooks.example:{receiver.port}/hook")
    with strict.app_context():
        db.session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint["id"])
            .values(url=f"http://localhost:{receiver.port}/hook")
        )
        db.session.commit()
    delivery_id = client.post(
        f"/api/v1/webhooks/{endpoint['id']}/test", headers=admin.headers
    ).get_json()["id"]

    # Then every attempt is refused before connecting and nothing reaches the receiver
    delivery = hooks.wait_delivery(admin, delivery_id, ("exhausted",))
    assert {a["error"] for a in delivery["attempt_log"]} == {"private_address_refused"}
    assert receiver.requests == []


def test_redirect_is_not_followed(accounts, hooks, receiver, worker) -> None:
    # Given a receiver that redirects every request elsewhere
    admin = accounts.admin()
    endpoint = hooks.create(admin, receiver.url())
    receiver.default.status = 307
    receiver.default.headers = {"Location": receiver.url("/elsewhere")}

    # When a message is delivered
    delivery_id = hooks.client.post(
        f"/api/v1/webhooks/{endpoint['id']}/test", headers=admin.headers
    ).get_json()["id"]

    # Then each attempt fails as an unfollowed redirect and /elsewhere is never called
    delivery = hooks.wait_delivery(admin, delivery_id, ("exhausted",))
    assert {a["error"] for a in delivery["attempt_log"]} == {"redirect_not_followed"}
    assert {a["response_status"] for a in delivery["attempt_log"]} == {307}
    assert {r.path for r in receiver.requests} == {"/hook"}


def test_rotation_overlap_sends_two_signatures_that_both_verify(
    accounts, hooks, receiver, worker
) -> None:
    # Given an endpoint whose secret was rotated with the default overlap
    admin = accounts.admin()
    endpoint = hooks.create(admin, receiver.url())
    old = endpoint["secret"]
    rotated = hooks.client.post(
        f"/api/v1/webhooks/{endpoint['id']}/rotate-secret", json={}, headers=admin.headers
    )
    assert rotated.status_code == 200
    new = rotated.get_json()["secret"]
    assert new != old and rotated.get_json()["previous_secret_expires_at"]

    # When a message is delivered
    hooks.client.post(f"/api/v1/webhooks/{endpoint['id']}/test", headers=admin.headers)

    # Then it carries two signatures and each secret verifies it
    request = receiver.wait_for(1)[0]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert verified(old, request)["type"] == "webhook.test"
    assert verified(new, request)["type"] == "webhook.test"

    # When rotated again without overlap / Then only the newest secret verifies
    newest = hooks.client.post(
        f"/api/v1/webhooks/{endpoint['id']}/rotate-secret",
        json={"overlap_seconds": 0},
        headers=admin.headers,
    ).get_json()["secret"]
    hooks.client.post(f"/api/v1/webhooks/{endpoint['id']}/test", headers=admin.headers)
    request = receiver.wait_for(2)[1]
    assert len(request.headers["webhook-signature"].split(" ")) == 1
    assert verified(newest, request)["type"] == "webhook.test"
    with pytest.raises(WebhookVerificationError):
        verified(new, request)


def test_callback_url_gets_the_terminal_event(accounts, hooks, receiver, worker) -> None:
    # Given an organisation without endpoints
    admin = accounts.admin()

    # When a job is submitted with a callback URL
    job = hooks.ping(admin, callback_url=receiver.url("/callback"))

    # Then the callback receives the job's terminal event
    request = receiver.wait_for(1)[0]
    assert request.path == "/callback"

    # And it verifies with the organisation's callback secret, shown once
    shown = hooks.client.get("/api/v1/callback-secret", headers=admin.headers).get_json()
    payload = verified(shown["secret"], request)
    assert payload["type"] == "job.succeeded" and payload["data"]["id"] == job["id"]
    again = hooks.client.get("/api/v1/callback-secret", headers=admin.headers).get_json()
    assert again["secret"] is None and again["created_at"] == shown["created_at"]

    # And the callback delivery is in the log, apart from endpoint deliveries
    [delivery] = hooks.deliveries(admin, callbacks="true")
    assert delivery["endpoint_id"] is None and delivery["url"] == receiver.url("/callback")

    # When the callback secret is rotated / Then the next callback verifies with both
    rotated = hooks.client.post(
        "/api/v1/callback-secret/rotate", json={}, headers=admin.headers
    ).get_json()["secret"]
    hooks.ping(admin, callback_url=receiver.url("/callback"))
    second = receiver.wait_for(2)[1]
    assert verified(rotated, second)["type"] == "job.succeeded"
    assert verified(shown["secret"], second)["type"] == "job.succeeded"


def test_endpoint_failing_continuously_is_disabled(app_with, start_worker, receiver) -> None:
    # Given a platform that disables an endpoint failing for more than 1 s
    short = app_with(
        webhook_disable_after_seconds=1, webhook_retry_schedule=(0, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4)
    )
    start_worker(short)
    client = short.test_client()
    admin = Accounts(client).admin()
    hooks = WebhookApi(client)
    endpoint = hooks.create(admin, receiver.url())
    receiver.default.status = 500

    # When its deliveries keep failing
    delivery_id = client.post(
        f"/api/v1/webhooks/{endpoint['id']}/test", headers=admin.headers
    ).get_json()["id"]

    # Then the endpoint is disabled before the schedule runs out, saying why
    delivery = hooks.wait_delivery(admin, delivery_id, ("canceled",))
    assert 3 <= delivery["attempts"] < 7
    assert delivery["error"] == "endpoint_disabled"
    shown = client.get(f"/api/v1/webhooks/{endpoint['id']}", headers=admin.headers).get_json()
    assert shown["enabled"] is False
    assert "failed since" in shown["disabled_reason"]


def test_lost_messages_are_recovered_by_the_sweeper(
    app, accounts, hooks, receiver, redis_client, start_worker
) -> None:
    from sqlalchemy import update

    from storage.db import db, utcnow
    from storage.models.webhooks import WebhookDelivery
    from workers.webhooks.delivery import resend_lost

    # Given a delivery whose message the broker lost (no worker ran before Redis was flushed)
    admin = accounts.admin()
    endpoint = hooks.create(admin, receiver.url())
    delivery_id = hooks.client.post(
        f"/api/v1/webhooks/{endpoint['id']}/test", headers=admin.headers
    ).get_json()["id"]
    redis_client.flushdb()
    # ... and the worker that claimed another delivery died mid-attempt
    other_id = hooks.client.post(
        f"/api/v1/webhooks/{endpoint['id']}/test", headers=admin.headers
    ).get_json()["id"]
    redis_client.flushdb()
    long_ago = utcnow().replace(year=utcnow().year - 1)
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(next_attempt_at=long_ago)
    )
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == other_id)
        .values(state="sending", attempts=1, locked_until=long_ago)
    )
    db.session.commit()

    # When the sweeper runs and a worker starts
    resend_lost()
    start_worker(app)

    # Then both messages are delivered after all
    assert hooks.wait_delivery(admin, delivery_id, ("succeeded",))["attempts"] == 1
    assert hooks.wait_delivery(admin, other_id, ("succeeded",))["attempts"] == 2
    ids = {r.headers["webhook-id"] for r in receiver.wait_for(2)}
    assert len(ids) == 2
    for request in receiver.requests:
        assert json.loads(request.body)["type"] == "webhook.test"
        verified(endpoint["secret"], request)


def test_embedded_mode_delivers_and_retries(app, tmp_path, receiver) -> None:
    from flask_migrate import upgrade

    from api import create_app
    from tests.conftest import make_settings, use_app
    from workers.runtime import start_embedded_services

    # Given the platform in embedded mode (SQLite, in-memory broker, in-process worker)
    settings = make_settings(tmp_path, redis_url=None, database_url="", embedded_services=True)
    embedded = create_app(settings, start_services=False)
    with embedded.app_context():
        upgrade(revision="head")
    start_embedded_services(embedded)
    try:
        client = embedded.test_client()
        admin = Accounts(client).admin()
        hooks = WebhookApi(client)
        endpoint = hooks.create(admin, receiver.url())
        receiver.answer(status=502, path="/hook")

        # When a job succeeds and the endpoint's receiver fails once
        job = hooks.ping(admin, callback_url=receiver.url("/callback"))

        # Then the endpoint gets the event on the second attempt and the callback once
        requests = receiver.wait_for(3)
        to_endpoint = [r for r in requests if r.path == "/hook"]
        assert len(to_endpoint) == 2
        assert verified(endpoint["secret"], to_endpoint[1])["data"]["id"] == job["id"]
        [delivery] = hooks.deliveries(admin, endpoint["id"])
        assert hooks.wait_delivery(admin, delivery["id"], ("succeeded",))["attempts"] == 2
    finally:
        embedded.extensions["runtime"].stop()
        use_app(app)
