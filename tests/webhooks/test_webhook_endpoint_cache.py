"""A process remembers which organisations have no enabled webhook endpoint
(WEBHOOK_ENDPOINT_CACHE_SECONDS), so their finished jobs' events are written without querying
endpoints; an endpoint created since is still sent the next event: at once when the commit
was made in the worker's process, and as soon as it is announced on Redis when it was made in
another process."""

from __future__ import annotations

import time

import redis
from sqlalchemy import event
from standardwebhooks.webhooks import Webhook

from api import cachesync, webhookcache
from storage.db import db
from storage.webhooks import endpointcache
from tests.factories import Accounts
from tests.webhooks.webhook_support import WebhookApi


def _worker_app(app_with, start_worker):
    """Another app instance (its own endpoint cache) whose worker runs the jobs."""
    worker_app = app_with()
    start_worker(worker_app)
    return worker_app, worker_app.extensions["webhook_endpoint_cache"]


def _endpoint_queries(worker_app) -> list[str]:
    statements: list[str] = []

    def count(_conn, _cursor, sql, *_args) -> None:
        # the endpoints of an event (not the API's reads, nor a delivery's)
        if "FROM webhook_endpoints" in sql and "webhook_endpoints.enabled IS true" in sql:
            statements.append(sql)

    with worker_app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    return statements


def test_an_organisation_without_endpoints_is_not_queried_and_a_new_endpoint_is_sent_the_next_event(
    app_with, start_worker, receiver
) -> None:
    # Given a worker in an app of its own, and an organisation without endpoints whose job
    # has finished there
    worker_app, cache = _worker_app(app_with, start_worker)
    client = worker_app.test_client()
    admin = Accounts(client).admin()
    hooks = WebhookApi(client)
    first = hooks.ping(admin)
    assert hooks.wait_job(admin, first["id"])["status"] == "succeeded"
    assert cache.get(admin.organisation_id) is False
    queries = _endpoint_queries(worker_app)

    # When a second job finishes
    second = hooks.ping(admin)
    assert hooks.wait_job(admin, second["id"])["status"] == "succeeded"

    # Then its event is written (partners page through events) without an endpoints query
    finished = [e["data"]["id"] for e in hooks.events(admin, type="job.succeeded")]
    assert finished == [first["id"], second["id"]]
    assert queries == []
    assert hooks.deliveries(admin) == []

    # And once an endpoint is created, the very next finished job's event is sent to it
    endpoint = hooks.create(admin, receiver.url(), events=["job.succeeded"])
    third = hooks.ping(admin)
    request = receiver.wait_for(1)[0]
    payload = Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert payload["data"]["id"] == third["id"]
    assert len(queries) == 1
    assert cache.get(admin.organisation_id) is True


def test_an_endpoint_created_by_another_process_is_sent_the_next_event_once_announced(
    app_with, start_worker, receiver, client, accounts, hooks, monkeypatch
) -> None:
    # Given a worker in an app of its own which knows the organisation has no endpoint
    worker_app, cache = _worker_app(app_with, start_worker)
    admin = accounts.admin()
    first = hooks.ping(admin)
    assert hooks.wait_job(admin, first["id"])["status"] == "succeeded"
    assert cache.get(admin.organisation_id) is False

    # When another process creates an endpoint (a commit this process does not hear) ...
    monkeypatch.setattr(endpointcache.changes, "_listeners", [])
    endpoint = hooks.create(admin, receiver.url(), events=["job.succeeded"])
    assert cache.get(admin.organisation_id) is False
    # ... and announces it on Redis, as every process does after such a commit
    runtime = worker_app.extensions["runtime"]
    publisher = redis.Redis.from_url(runtime.settings.redis_url)
    publisher.publish(cachesync.channel(runtime.settings.queue_prefix, webhookcache.CHANNEL), "x")

    # Then the worker forgets what it knew as soon as it hears it (well before expiry) ...
    deadline = time.monotonic() + 4
    while cache.get(admin.organisation_id) is not None:
        assert time.monotonic() < deadline, "the announcement did not empty the cache"
        time.sleep(0.05)
    # ... and the next finished job's event is sent to the new endpoint
    second = hooks.ping(admin)
    request = receiver.wait_for(1)[0]
    payload = Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert payload["data"]["id"] == second["id"]


def test_delivery_health_and_disabling_keep_the_cache_but_enabling_empties_it(
    client, accounts, hooks, receiver
) -> None:
    from storage.webhooks import endpoints

    # Given an organisation with a disabled endpoint, and a cache entry for another one
    admin = accounts.admin()
    endpoint = hooks.create(admin, receiver.url())
    cache = client.application.extensions["webhook_endpoint_cache"]
    cache.put("org_other", False, cache.generation)

    # When deliveries record the endpoint's health and it is disabled (bulk updates that
    # enable nothing)
    endpoints.record_health(db.session, endpoint["id"], succeeded=False, disable_after_seconds=60)
    endpoints.record_health(db.session, endpoint["id"], succeeded=True, disable_after_seconds=60)
    assert endpoints.disable(db.session, endpoint["id"], "test")
    db.session.commit()

    # Then the entry is kept
    assert cache.get("org_other") is False

    # But when the endpoint is enabled again, it is emptied
    enabled = client.patch(
        f"/api/v1/webhooks/{endpoint['id']}", json={"enabled": True}, headers=admin.headers
    )
    assert enabled.status_code == 200, enabled.get_json()
    assert cache.get("org_other") is None
