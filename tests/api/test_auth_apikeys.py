"""API keys: created by admins, shown once, scoped, revocable, refused where users only."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from storage.db import db
from storage.models.identity import ApiKey
from tests.api.apihelpers import assert_problem, bearer

KEYS = "/api/v1/api-keys"
JOBS = "/api/v1/jobs"


def create_key(client, admin, scopes: list[str], name: str = "partner") -> dict:
    response = client.post(KEYS, json={"name": name, "scopes": scopes}, headers=admin.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_key_is_shown_once_and_listed_without_secret(client, accounts):
    # Given an admin
    admin = accounts.admin()
    # When they create a key
    issued = create_key(client, admin, ["jobs:read", "jobs:write"], name="LMS")
    # Then the secret is returned once, carrying the visible prefix
    assert issued["key"].startswith("lak_" + issued["prefix"] + "_")
    assert issued["scopes"] == ["jobs:read", "jobs:write"]
    assert issued["revoked"] is False
    # And the list shows the key without the secret
    listed = client.get(KEYS, headers=admin.headers).get_json()
    assert [k["id"] for k in listed["items"]] == [issued["id"]]
    assert "key" not in listed["items"][0]
    assert issued["key"] not in str(listed)


def test_key_authenticates_as_bearer_and_as_x_api_key(client, accounts):
    # Given a key with jobs:read
    admin = accounts.admin()
    issued = create_key(client, admin, ["jobs:read"])
    # When it calls an endpoint accepting keys, in either header
    as_bearer = client.get(JOBS, headers=bearer(issued["key"]))
    as_header = client.get(JOBS, headers={"X-API-Key": issued["key"]})
    # Then both are accepted and the key's last use is recorded
    assert as_bearer.status_code == 200, as_bearer.get_json()
    assert as_header.status_code == 200, as_header.get_json()
    assert as_header.get_json()["items"] == []
    listed = client.get(KEYS, headers=admin.headers).get_json()["items"]
    assert listed[0]["last_used_at"] is not None


def test_key_without_the_scope_is_403_insufficient_scope(client, accounts):
    # Given a key that may only read media
    admin = accounts.admin()
    issued = create_key(client, admin, ["media:read"])
    # When it lists jobs
    response = client.get(JOBS, headers={"X-API-Key": issued["key"]})
    # Then it lacks the scope
    body = assert_problem(response, 403, "insufficient_scope")
    assert "jobs:read" in body["detail"]


def test_revoked_key_is_401(client, accounts):
    # Given a working key
    admin = accounts.admin()
    issued = create_key(client, admin, ["jobs:read"])
    assert client.get(JOBS, headers={"X-API-Key": issued["key"]}).status_code == 200
    # When the admin revokes it
    revoked = client.delete(f"{KEYS}/{issued['id']}", headers=admin.headers)
    # Then it no longer authenticates, in either header
    assert revoked.status_code == 200 and revoked.get_json()["revoked"] is True
    assert_problem(client.get(JOBS, headers={"X-API-Key": issued["key"]}), 401, "api_key_revoked")
    assert_problem(client.get(JOBS, headers=bearer(issued["key"])), 401, "api_key_revoked")


def test_unknown_or_altered_keys_are_401(client, accounts):
    # Given a real key, an altered copy of it and a made-up one
    admin = accounts.admin()
    issued = create_key(client, admin, ["jobs:read"])
    altered = issued["key"][:-3] + ("xyz" if not issued["key"].endswith("xyz") else "abc")
    for key in (altered, "lak_000000000000_madeup", "lak_"):
        # When each is presented
        response = client.get(JOBS, headers={"X-API-Key": key})
        # Then it is refused as invalid
        assert_problem(response, 401, "invalid_api_key")


def test_keys_are_refused_on_user_only_endpoints(client, accounts):
    # Given a key holding every scope
    admin = accounts.admin()
    every = [
        "jobs:read",
        "jobs:write",
        "media:read",
        "media:write",
        "learning:read",
        "learning:write",
        "webhooks:manage",
    ]
    issued = create_key(client, admin, every)
    headers = {"X-API-Key": issued["key"]}
    # When it calls endpoints meant for users
    calls = [
        client.get("/api/v1/auth/me", headers=headers),
        client.post("/api/v1/auth/logout", headers=headers),
        client.get(KEYS, headers=headers),
        client.post(KEYS, json={"name": "more", "scopes": ["jobs:read"]}, headers=headers),
        client.get("/api/v1/organisation/members", headers=headers),
        client.post("/api/v1/organisation/invites", json={"role": "admin"}, headers=headers),
    ]
    # Then every one is refused
    for response in calls:
        assert_problem(response, 403, "user_required")
    assert len(client.get(KEYS, headers=admin.headers).get_json()["items"]) == 1


def test_key_sees_only_its_organisation(client, accounts):
    # Given two organisations; A's key and a job id that belongs to B
    a_admin, b_admin = accounts.admin(), accounts.admin()
    a_key = create_key(client, a_admin, ["jobs:read"])
    b_job = client.post(f"{JOBS}/ping", json={}, headers=b_admin.headers)
    assert b_job.status_code == 202, b_job.get_json()
    # When A's key reads B's job and lists jobs
    read = client.get(f"{JOBS}/{b_job.get_json()['id']}", headers={"X-API-Key": a_key["key"]})
    listed = client.get(JOBS, headers={"X-API-Key": a_key["key"]})
    # Then B's job does not exist for it
    assert_problem(read, 404, "job_not_found")
    assert listed.get_json()["items"] == []


def test_unknown_scope_and_missing_fields_are_422(client, accounts):
    # Given an admin
    admin = accounts.admin()
    # When they ask for a scope that does not exist, or for no scope at all
    unknown = client.post(KEYS, json={"name": "k", "scopes": ["root"]}, headers=admin.headers)
    empty = client.post(KEYS, json={"name": "k", "scopes": []}, headers=admin.headers)
    nameless = client.post(KEYS, json={"scopes": ["jobs:read"]}, headers=admin.headers)
    # Then each names the field
    assert "scopes" in assert_problem(unknown, 422, "validation_error")["errors"]
    assert "scopes" in assert_problem(empty, 422, "validation_error")["errors"]
    assert "name" in assert_problem(nameless, 422, "validation_error")["errors"]


def test_last_use_is_written_at_most_once_a_minute(client, accounts):
    # Given a key used once
    admin = accounts.admin()
    issued = create_key(client, admin, ["jobs:read"])
    client.get(JOBS, headers={"X-API-Key": issued["key"]})
    first = db.session.get(ApiKey, issued["id"]).last_used_at
    assert first is not None
    # When it is used again within the minute
    client.get(JOBS, headers={"X-API-Key": issued["key"]})
    db.session.expire_all()
    # Then the recorded time stays
    assert db.session.get(ApiKey, issued["id"]).last_used_at == first
    # When its last use is older than a minute and it is used again
    earlier = first - timedelta(minutes=5)
    db.session.execute(update(ApiKey).where(ApiKey.id == issued["id"]).values(last_used_at=earlier))
    db.session.commit()
    client.get(JOBS, headers={"X-API-Key": issued["key"]})
    db.session.expire_all()
    # Then the time moves forward
    assert db.session.get(ApiKey, issued["id"]).last_used_at > earlier
