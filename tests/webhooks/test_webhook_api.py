"""The webhook API: endpoints CRUD, validation, who may call it, pagination, tenancy."""

from __future__ import annotations

import base64

import pytest

from storage import jobs as job_service
from storage.db import db
from storage.jobs import JobSpec


def test_create_read_update_delete(accounts, hooks, client) -> None:
    # Given an organisation admin
    admin = accounts.admin()

    # When an endpoint is created
    created = hooks.create(
        admin,
        "https://partner.example/hooks",
        events=["job.succeeded"],
        format="standard",
        description="grades",
    )

    # Then the answer is 201 with the id and a whsec_ secret of 32 bytes
    assert created["id"].startswith("whk_")
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"][6:])) == 32
    assert created["events"] == ["job.succeeded"] and created["enabled"] is True

    # And reading it never shows the secret again
    shown = client.get(f"/api/v1/webhooks/{created['id']}", headers=admin.headers).get_json()
    assert "secret" not in shown and shown["description"] == "grades"

    # When it is changed / Then the change is kept
    changed = client.patch(
        f"/api/v1/webhooks/{created['id']}",
        json={"events": [], "url": "https://partner.example/v2"},
        headers=admin.headers,
    )
    assert changed.status_code == 200
    assert changed.get_json()["events"] == [] and changed.get_json()["url"].endswith("/v2")
    listed = client.get("/api/v1/webhooks", headers=admin.headers).get_json()
    assert [e["id"] for e in listed["items"]] == [created["id"]]

    # When it is disabled by hand / Then it says so
    disabled = client.patch(
        f"/api/v1/webhooks/{created['id']}", json={"enabled": False}, headers=admin.headers
    ).get_json()
    assert disabled["enabled"] is False and disabled["disabled_reason"]

    # When it is deleted / Then it is gone
    assert (
        client.delete(f"/api/v1/webhooks/{created['id']}", headers=admin.headers).status_code == 204
    )
    missing = client.get(f"/api/v1/webhooks/{created['id']}", headers=admin.headers)
    assert missing.status_code == 404 and missing.get_json()["code"] == "webhook_not_found"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"url": "ftp://partner.example/x"}, "url"),
        ({"url": "https://user:pw@partner.example/x"}, "url"),
        ({"url": "not a url"}, "url"),
        ({}, "url"),
        ({"url": "https://partner.example", "events": ["job.exploded"]}, "events"),
        ({"url": "https://partner.example", "format": "csv"}, "format"),
        ({"url": "https://partner.example", "secret": "whsec_mine"}, "secret"),
        ({"url": "https://partner.example", "lms_base_url": "javascript:x"}, "lms_base_url"),
    ],
)
def test_invalid_endpoints_are_422(accounts, client, body: dict, field: str) -> None:
    # Given an admin / When an invalid endpoint is posted / Then 422 names the field
    admin = accounts.admin()
    response = client.post("/api/v1/webhooks", json=body, headers=admin.headers)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_who_may_manage_webhooks(accounts, client) -> None:
    # Given an admin, a teacher, a learner and API keys with and without the scope
    admin = accounts.admin()
    teacher = accounts.member(admin, "teacher")
    learner = accounts.member(admin, "learner")
    manager = accounts.api_key(admin, ["webhooks:manage"])
    reader = accounts.api_key(admin, ["jobs:read"])
    body = {"url": "https://partner.example/hooks"}

    # Then only admins and keys holding webhooks:manage may
    assert client.post("/api/v1/webhooks", json=body, headers=manager).status_code == 201
    for headers in (teacher.headers, learner.headers, reader):
        assert client.post("/api/v1/webhooks", json=body, headers=headers).status_code == 403
        assert client.get("/api/v1/events", headers=headers).status_code == 403
    assert client.get("/api/v1/webhooks").status_code == 401


def test_another_organisation_sees_nothing(accounts, hooks, client, receiver, worker) -> None:
    # Given organisation A with an endpoint, a delivered event and a learner's LMS id
    a = accounts.admin()
    learner = accounts.member(a, "learner")
    endpoint = hooks.create(a, receiver.url())
    delivery = client.post(f"/api/v1/webhooks/{endpoint['id']}/test", headers=a.headers).get_json()
    hooks.wait_delivery(a, delivery["id"], ("succeeded",))
    event_id = delivery["event_id"]

    # When organisation B looks
    b = accounts.admin()
    headers = b.headers

    # Then A's endpoint, deliveries, events and members do not exist for B
    for method, path in [
        ("get", f"/api/v1/webhooks/{endpoint['id']}"),
        ("patch", f"/api/v1/webhooks/{endpoint['id']}"),
        ("delete", f"/api/v1/webhooks/{endpoint['id']}"),
        ("get", f"/api/v1/webhooks/{endpoint['id']}/deliveries"),
        ("post", f"/api/v1/webhooks/{endpoint['id']}/test"),
        ("post", f"/api/v1/webhooks/{endpoint['id']}/rotate-secret"),
        ("get", f"/api/v1/webhook-deliveries/{delivery['id']}"),
        ("post", f"/api/v1/webhook-deliveries/{delivery['id']}/retry"),
        ("get", f"/api/v1/lms-identities/{learner.id}"),
    ]:
        kwargs = {"json": {}} if method in ("patch", "post") else {}
        response = getattr(client, method)(path, headers=headers, **kwargs)
        assert response.status_code == 404, (method, path, response.get_json())
    assert client.get("/api/v1/webhooks", headers=headers).get_json()["items"] == []
    assert hooks.events(b) == []
    assert hooks.deliveries(b) == []
    assert hooks.deliveries(b, event_id=event_id) == []
    # And A still sees its own
    assert [e["id"] for e in hooks.events(a)] == [event_id]


def test_deliveries_and_events_are_paginated(app, accounts, hooks, client) -> None:
    # Given five finished jobs of an organisation with one endpoint (no worker: pending)
    admin = accounts.admin()
    endpoint = hooks.create(admin, "https://partner.example/hooks")
    spec = JobSpec(type="ping", queue="scoring", actor="ping")
    for n in range(5):
        job = job_service.create_job(
            db.session, spec, organisation_id=admin.organisation_id, input={"n": n}
        )
        db.session.commit()
        job_service.complete(db.session, job_service.claim(db.session, job.id, "t"), "t", {})
        db.session.commit()

    # When the logs are read two at a time
    page = client.get(
        f"/api/v1/webhooks/{endpoint['id']}/deliveries?per_page=2&page=3", headers=admin.headers
    ).get_json()
    events = client.get("/api/v1/events?per_page=2", headers=admin.headers).get_json()

    # Then the totals are right and pages hold what is left
    assert page["pagination"] == {
        "current_page": 3,
        "total_pages": 3,
        "total_items": 5,
        "items_per_page": 2,
    }
    assert len(page["items"]) == 1 and page["items"][0]["state"] == "pending"
    assert events["pagination"]["total_items"] == 5
    # Events come oldest first, for reconciliation
    assert [e["data"]["input"]["n"] for e in events["items"]] == [0, 1]
    too_big = client.get("/api/v1/events?per_page=500", headers=admin.headers)
    assert too_big.status_code == 422


def test_lms_identity_is_unique_per_organisation(accounts, client) -> None:
    # Given two learners of one organisation and one of another
    admin = accounts.admin()
    first = accounts.member(admin, "learner")
    second = accounts.member(admin, "learner")
    other_admin = accounts.admin()
    other = accounts.member(other_admin, "learner")

    # When the first learner gets an LMS id
    assert (
        client.put(
            f"/api/v1/lms-identities/{first.id}", json={"external_id": "s-1"}, headers=admin.headers
        ).status_code
        == 200
    )

    # Then the second cannot take it, but another organisation's learner can
    taken = client.put(
        f"/api/v1/lms-identities/{second.id}", json={"external_id": "s-1"}, headers=admin.headers
    )
    assert taken.status_code == 409 and taken.get_json()["code"] == "external_id_taken"
    assert (
        client.put(
            f"/api/v1/lms-identities/{other.id}",
            json={"external_id": "s-1"},
            headers=other_admin.headers,
        ).status_code
        == 200
    )
    # And clearing it frees it
    assert (
        client.put(
            f"/api/v1/lms-identities/{first.id}", json={"external_id": None}, headers=admin.headers
        ).get_json()["external_id"]
        is None
    )
    assert (
        client.put(
            f"/api/v1/lms-identities/{second.id}",
            json={"external_id": "s-1"},
            headers=admin.headers,
        ).status_code
        == 200
    )


def test_callback_secret_is_shown_once(accounts, client) -> None:
    # Given an organisation that never had a callback secret
    admin = accounts.admin()
    assert client.get("/api/v1/callback-secret", headers=admin.headers).get_json()["secret"] is None

    # When it creates one / Then the answer shows it, later reads do not
    created = client.post(
        "/api/v1/callback-secret/rotate", json={}, headers=admin.headers
    ).get_json()
    assert created["secret"].startswith("whsec_") and created["previous_secret_expires_at"] is None
    shown = client.get("/api/v1/callback-secret", headers=admin.headers).get_json()
    assert shown["secret"] is None and shown["created_at"] == created["created_at"]

    # When it is rotated / Then a new secret comes with the old one's overlap end
    rotated = client.post(
        "/api/v1/callback-secret/rotate", json={"overlap_seconds": 60}, headers=admin.headers
    ).get_json()
    assert rotated["secret"] != created["secret"] and rotated["previous_secret_expires_at"]


def test_openapi_documents_the_webhook_api(client) -> None:
    # Given the OpenAPI document / Then every webhook path is in it with a summary
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/webhooks",
        "/api/v1/webhooks/{endpoint_id}",
        "/api/v1/webhooks/{endpoint_id}/deliveries",
        "/api/v1/webhooks/{endpoint_id}/test",
        "/api/v1/webhook-deliveries/{delivery_id}/retry",
        "/api/v1/events",
    ):
        assert path in spec["paths"], path
        for operation in spec["paths"][path].values():
            if isinstance(operation, dict) and "responses" in operation:
                assert operation.get("summary"), path
