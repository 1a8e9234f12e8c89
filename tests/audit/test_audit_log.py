"""The audit log: admin actions leave an append-only record in their own transaction, with
who, what, target, a before/after summary without secrets, the request id and the address;
admins list and filter them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from storage.db import db
from storage.models.audit import AuditRecord
from tests.api.apihelpers import assert_problem

AUDIT = "/api/v1/admin/audit"


def records(client, admin, **query) -> list[dict]:
    answer = client.get(AUDIT, headers=admin.headers, query_string=query)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["items"]


def only(client, admin, action: str) -> dict:
    found = records(client, admin, action=action)
    assert len(found) == 1, found
    return found[0]


def test_a_role_change_is_recorded_with_who_what_and_from_where(client, accounts):
    # Given an admin and a learner
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    # When the admin makes the learner a teacher, naming the request
    answer = client.patch(
        f"/api/v1/organisation/members/{learner.id}",
        json={"role": "teacher"},
        headers={**admin.headers, "X-Request-ID": "req-role-change-1"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert answer.status_code == 200, answer.get_json()
    # Then one record says who did it, to whom, what changed, and from where
    record = only(client, admin, "member.role_changed")
    assert record["actor"] == {"type": "user", "id": admin.id, "role": "admin"}
    assert (record["target_type"], record["target_id"]) == ("user", learner.id)
    assert (record["before"], record["after"]) == ({"role": "learner"}, {"role": "teacher"})
    assert record["request_id"] == "req-role-change-1"
    assert record["ip"] == "203.0.113.9"
    # And no personal data of the member is in it
    assert learner.email not in json.dumps(record)


def test_a_refused_action_leaves_no_record(client, accounts):
    # Given the only admin of an organisation
    admin = accounts.admin()
    # When they try to demote themselves (the organisation would have no admin)
    answer = client.patch(
        f"/api/v1/organisation/members/{admin.id}", json={"role": "learner"}, headers=admin.headers
    )
    # Then the action is refused, and the record rolled back with it
    assert_problem(answer, 409, "last_admin")
    assert records(client, admin) == []


def test_api_keys_created_and_revoked_are_recorded_without_their_secret(client, accounts):
    # Given an admin
    admin = accounts.admin()
    # When they create a key, revoke it, and revoke it again
    issued = client.post(
        "/api/v1/api-keys", json={"name": "LMS", "scopes": ["jobs:read"]}, headers=admin.headers
    ).get_json()
    for _ in range(2):
        assert (
            client.delete(f"/api/v1/api-keys/{issued['id']}", headers=admin.headers).status_code
            == 200
        )
    # Then the creation and one revocation are recorded
    created = only(client, admin, "api_key.created")
    assert created["target_id"] == issued["id"]
    assert created["after"] == {
        "name": "LMS",
        "prefix": issued["prefix"],
        "scopes": ["jobs:read"],
        "revoked": False,
    }
    revoked = only(client, admin, "api_key.revoked")
    assert (revoked["before"], revoked["after"]["revoked"]) == ({"revoked": False}, True)
    # And the family filter finds both, while the secret appears nowhere in the log
    family = records(client, admin, action="api_key.*")
    assert [r["action"] for r in family] == ["api_key.revoked", "api_key.created"]
    stored = db.session.scalars(select(AuditRecord)).all()
    assert issued["key"] not in json.dumps([[r.before, r.after] for r in stored])
    assert issued["key"].split("_")[-1] not in json.dumps(records(client, admin))


def test_webhook_endpoints_are_recorded_without_secrets_or_credentials(client, accounts):
    # Given an admin
    admin = accounts.admin()
    url = "https://lrs.example/xapi?token=url-secret-123"
    # When they register an xAPI endpoint with LRS credentials, change it, rotate its
    # secret and delete it
    created = client.post(
        "/api/v1/webhooks",
        headers=admin.headers,
        json={
            "url": url,
            "format": "xapi",
            "description": "LRS",
            "lrs_auth": {"scheme": "basic", "username": "lrs-user", "password": "lrs-pass-456"},
        },
    )
    assert created.status_code == 201, created.get_json()
    endpoint = created.get_json()
    path = f"/api/v1/webhooks/{endpoint['id']}"
    changed = client.patch(
        path,
        headers=admin.headers,
        json={"description": "Our LRS", "lrs_auth": {"scheme": "bearer", "token": "lrs-token-789"}},
    )
    assert changed.status_code == 200, changed.get_json()
    rotated = client.post(f"{path}/rotate-secret", json={}, headers=admin.headers).get_json()
    assert client.delete(path, headers=admin.headers).status_code == 204

    # Then each action is recorded, newest first
    log = records(client, admin, target_id=endpoint["id"])
    assert [r["action"] for r in log] == [
        "webhook_endpoint.deleted",
        "webhook_endpoint.secret_rotated",
        "webhook_endpoint.lrs_credentials_changed",
        "webhook_endpoint.updated",
        "webhook_endpoint.created",
    ]
    updated = log[3]
    assert updated["before"] == {"description": "LRS", "lrs_auth_scheme": "basic"}
    assert updated["after"] == {"description": "Our LRS", "lrs_auth_scheme": "bearer"}
    # And the URL is kept without its query, and no secret appears anywhere
    assert log[-1]["after"]["url"] == "https://lrs.example/xapi"
    dumped = json.dumps(log)
    for secret in (
        endpoint["secret"],
        rotated["secret"],
        "url-secret-123",
        "lrs-pass-456",
        "lrs-token-789",
        "lrs-user",
    ):
        assert secret not in dumped


def test_lti_platform_registrations_are_recorded(client, accounts):
    # Given an admin
    admin = accounts.admin()
    body = {
        "name": "Moodle",
        "issuer": "https://moodle.example",
        "client_id": "tool-1",
        "deployment_ids": ["1"],
        "auth_login_url": "https://moodle.example/auth",
        "token_url": "https://moodle.example/token",
        "jwks_url": "https://moodle.example/jwks",
    }
    # When they register a platform, add a deployment and remove the registration
    platform = client.post("/api/v1/lti/platforms", json=body, headers=admin.headers).get_json()
    path = f"/api/v1/lti/platforms/{platform['id']}"
    patched = client.patch(path, json={"deployment_ids": ["1", "2"]}, headers=admin.headers)
    assert patched.status_code == 200, patched.get_json()
    assert client.delete(path, headers=admin.headers).status_code == 204
    # Then the three are recorded with what changed
    log = records(client, admin, target_type="lti_platform")
    assert [r["action"] for r in log] == [
        "lti_platform.deleted",
        "lti_platform.updated",
        "lti_platform.created",
    ]
    assert log[2]["after"]["issuer"] == "https://moodle.example"
    assert (log[1]["before"], log[1]["after"]) == (
        {"deployment_ids": ["1"]},
        {"deployment_ids": ["1", "2"]},
    )
    assert log[0]["before"]["client_id"] == "tool-1"


def test_only_admins_read_their_own_organisation_log(client, accounts):
    # Given two organisations whose admins each changed something, and a teacher
    admin, other = accounts.admin(), accounts.admin()
    teacher = accounts.member(admin, "teacher")
    client.patch("/api/v1/organisation", json={"name": "Renamed"}, headers=admin.headers)
    client.patch("/api/v1/organisation", json={"name": "Other"}, headers=other.headers)
    # When each reads the log
    mine, theirs = records(client, admin), records(client, other)
    # Then each sees only its own organisation's records
    assert [r["after"] for r in mine if r["action"] == "organisation.renamed"] == [
        {"name": "Renamed"}
    ]
    assert [r["after"] for r in theirs if r["action"] == "organisation.renamed"] == [
        {"name": "Other"}
    ]
    assert {r["id"] for r in mine}.isdisjoint({r["id"] for r in theirs})
    # And a teacher, an API key and an anonymous caller are refused
    assert_problem(client.get(AUDIT, headers=teacher.headers), 403, "insufficient_role")
    key = accounts.api_key(admin, ["jobs:read"])
    assert_problem(client.get(AUDIT, headers=key), 403, "user_required")
    assert client.get(AUDIT).status_code == 401


def test_the_log_pages_and_filters_by_actor_and_time(client, accounts):
    # Given an admin who invited three members and another admin who made a key
    admin = accounts.admin()
    second = accounts.member(admin, "admin")
    for role in ("learner", "teacher", "learner"):
        client.post("/api/v1/organisation/invites", json={"role": role}, headers=admin.headers)
    client.post(
        "/api/v1/api-keys", json={"name": "k", "scopes": ["jobs:read"]}, headers=second.headers
    )
    # When the log is read two at a time, and by actor
    first_page = client.get(AUDIT, headers=admin.headers, query_string={"per_page": 2}).get_json()
    by_second = records(client, admin, actor_id=second.id)
    # Then it pages over every record, and the filter keeps the second admin's only
    total = first_page["pagination"]["total_items"]
    assert total == len(records(client, admin, per_page=100)) >= 5
    assert len(first_page["items"]) == 2
    assert [r["action"] for r in by_second] == ["api_key.created"]
    newest = first_page["items"][0]["created_at"]
    assert records(client, admin, since=newest)[0]["created_at"] == newest
    assert records(client, admin, until="2000-01-01T00:00:00Z") == []
    # And a bad filter is a 422 problem
    assert_problem(
        client.get(AUDIT, headers=admin.headers, query_string={"since": "soon"}),
        422,
        "validation_error",
    )


def test_records_cannot_be_changed_or_deleted(client, accounts):
    # Given a recorded action
    admin = accounts.admin()
    client.patch("/api/v1/organisation", json={"name": "Renamed"}, headers=admin.headers)
    record_id = only(client, admin, "organisation.renamed")["id"]
    # When someone updates or deletes it in the database
    # Then PostgreSQL refuses both
    for statement in (
        "UPDATE audit_records SET action = 'nothing' WHERE id = :id",
        "DELETE FROM audit_records WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement), {"id": record_id})
        db.session.rollback()
    assert only(client, admin, "organisation.renamed")["id"] == record_id
