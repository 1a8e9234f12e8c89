"""Roles, tenant isolation, members and the invite flow."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from storage.db import db, utcnow
from storage.models.identity import Invite
from tests.api.apihelpers import assert_problem
from tests.factories import PASSWORD

REGISTER = "/api/v1/auth/register"
INVITES = "/api/v1/organisation/invites"
MEMBERS = "/api/v1/organisation/members"


def invite(client, admin, role: str, email: str | None = None) -> dict:
    body = {"role": role} if email is None else {"role": role, "email": email}
    response = client.post(INVITES, json=body, headers=admin.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def register(client, email: str, code: str):
    return client.post(
        REGISTER,
        json={"email": email, "password": PASSWORD, "name": "Invited", "invite_code": code},
    )


def test_learner_and_teacher_are_refused_admin_endpoints(client, accounts):
    # Given an organisation with a teacher and a learner
    admin = accounts.admin()
    teacher = accounts.member(admin, "teacher")
    learner = accounts.member(admin, "learner")
    calls = [
        ("get", MEMBERS, None),
        ("get", INVITES, None),
        ("post", INVITES, {"role": "learner"}),
        ("patch", f"{MEMBERS}/{learner.id}", {"role": "admin"}),
        ("post", f"{MEMBERS}/{admin.id}/deactivate", None),
        ("get", "/api/v1/api-keys", None),
        ("post", "/api/v1/api-keys", {"name": "k", "scopes": ["jobs:read"]}),
        ("patch", "/api/v1/organisation", {"name": "Taken over"}),
    ]
    for account in (teacher, learner):
        for method, path, body in calls:
            # When they call an admin endpoint
            response = getattr(client, method)(path, json=body, headers=account.headers)
            # Then it is 403 insufficient_role
            assert_problem(response, 403, "insufficient_role")
    # And nothing was changed by the attempts
    me = client.get("/api/v1/auth/me", headers=learner.headers).get_json()
    assert me["role"] == "learner"
    assert client.get("/api/v1/auth/me", headers=admin.headers).status_code == 200


def test_every_role_reads_its_own_organisation(client, accounts):
    # Given an admin and a learner of one organisation
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    # When the learner reads the organisation
    response = client.get("/api/v1/organisation", headers=learner.headers)
    # Then it is the admin's organisation
    assert response.status_code == 200
    assert response.get_json()["id"] == admin.organisation_id


def test_rows_of_another_organisation_are_404(client, accounts):
    # Given two organisations, each with a learner, an invite and an API key
    a_admin, b_admin = accounts.admin(), accounts.admin()
    b_learner = accounts.member(b_admin, "learner")
    b_invite = invite(client, b_admin, "teacher")
    b_key = client.post(
        "/api/v1/api-keys", json={"name": "b", "scopes": ["jobs:read"]}, headers=b_admin.headers
    ).get_json()
    # When A's admin touches each of B's rows by id
    attempts = [
        (
            client.patch(
                f"{MEMBERS}/{b_learner.id}", json={"role": "admin"}, headers=a_admin.headers
            ),
            "user_not_found",
        ),
        (
            client.patch(
                f"{MEMBERS}/{b_admin.id}", json={"role": "learner"}, headers=a_admin.headers
            ),
            "user_not_found",
        ),
        (
            client.post(f"{MEMBERS}/{b_learner.id}/deactivate", headers=a_admin.headers),
            "user_not_found",
        ),
        (client.delete(f"{INVITES}/{b_invite['id']}", headers=a_admin.headers), "invite_not_found"),
        (
            client.delete(f"/api/v1/api-keys/{b_key['id']}", headers=a_admin.headers),
            "api_key_not_found",
        ),
    ]
    # Then each is a 404, exactly like an id that does not exist
    for response, code in attempts:
        assert_problem(response, 404, code)
    missing = client.delete("/api/v1/api-keys/key_doesnotexist", headers=a_admin.headers)
    assert_problem(missing, 404, "api_key_not_found")
    # And B's rows are untouched and absent from A's lists
    b_me = client.get("/api/v1/auth/me", headers=b_learner.headers).get_json()
    assert b_me["role"] == "learner"
    with_b_key = client.get("/api/v1/jobs", headers={"X-API-Key": b_key["key"]})
    assert with_b_key.status_code == 200
    b_invites = client.get(INVITES, headers=b_admin.headers).get_json()["items"]
    assert {i["id"]: i["revoked"] for i in b_invites}[b_invite["id"]] is False
    a_members = client.get(MEMBERS, headers=a_admin.headers).get_json()
    assert [m["id"] for m in a_members["items"]] == [a_admin.id]
    assert client.get(INVITES, headers=a_admin.headers).get_json()["items"] == []
    assert client.get("/api/v1/api-keys", headers=a_admin.headers).get_json()["items"] == []


def test_invite_teacher_and_register_with_the_code(client, accounts):
    # Given an admin who invites a teacher
    admin = accounts.admin()
    issued = invite(client, admin, "teacher")
    assert issued["role"] == "teacher" and len(issued["code"]) >= 8
    # When someone registers with the code
    response = register(client, "newteacher@example.test", issued["code"])
    # Then they join the admin's organisation as a teacher
    assert response.status_code == 201, response.get_json()
    user = response.get_json()["user"]
    assert user["role"] == "teacher"
    assert user["organisation_id"] == admin.organisation_id
    # And the invite shows as accepted, without its code
    listed = client.get(INVITES, headers=admin.headers).get_json()["items"]
    assert listed[0]["accepted_at"] is not None
    assert "code" not in listed[0]
    # And the code cannot be used a second time
    second = register(client, "another@example.test", issued["code"])
    assert_problem(second, 422, "invite_invalid")


def test_expired_invite_is_refused(client, accounts):
    # Given an invite whose expiry has passed
    admin = accounts.admin()
    issued = invite(client, admin, "learner")
    db.session.execute(
        update(Invite)
        .where(Invite.id == issued["id"])
        .values(expires_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    # When someone registers with it
    response = register(client, "late@example.test", issued["code"])
    # Then it is refused as expired and no account was created
    assert_problem(response, 422, "invite_expired")
    login = client.post(
        "/api/v1/auth/login", json={"email": "late@example.test", "password": PASSWORD}
    )
    assert login.status_code == 401


def test_invite_bound_to_an_email_accepts_only_that_email(client, accounts):
    # Given an invite issued for one email address
    admin = accounts.admin()
    issued = invite(client, admin, "learner", email="Invitee@Example.test")
    # When someone else registers with it
    other = register(client, "intruder@example.test", issued["code"])
    # Then it is refused, and the invitee can still use it
    assert_problem(other, 422, "invite_invalid")
    mine = register(client, "invitee@example.test", issued["code"])
    assert mine.status_code == 201, mine.get_json()
    assert mine.get_json()["user"]["role"] == "learner"


def test_revoked_and_unknown_invite_codes_are_refused(client, accounts):
    # Given a revoked invite
    admin = accounts.admin()
    issued = invite(client, admin, "teacher")
    assert client.delete(f"{INVITES}/{issued['id']}", headers=admin.headers).status_code == 204
    # When it, or a made-up code, is used
    revoked = register(client, "r@example.test", issued["code"])
    made_up = register(client, "m@example.test", "no-such-invite-code")
    # Then both are refused
    assert_problem(revoked, 422, "invite_invalid")
    assert_problem(made_up, 422, "invite_invalid")


def test_members_are_paginated_and_filtered_by_role(client, accounts):
    # Given an organisation with an admin, two learners and a teacher
    admin = accounts.admin()
    learners = [accounts.member(admin, "learner") for _ in range(2)]
    accounts.member(admin, "teacher")
    # When the admin lists members two per page, and only learners
    page = client.get(f"{MEMBERS}?per_page=2&page=2", headers=admin.headers).get_json()
    only_learners = client.get(f"{MEMBERS}?role=learner", headers=admin.headers).get_json()
    too_many = client.get(f"{MEMBERS}?per_page=1000", headers=admin.headers)
    # Then the pages and the filter are right
    assert page["pagination"] == {
        "current_page": 2,
        "total_pages": 2,
        "total_items": 4,
        "items_per_page": 2,
    }
    assert len(page["items"]) == 2
    assert {m["id"] for m in only_learners["items"]} == {learner.id for learner in learners}
    assert "per_page" in assert_problem(too_many, 422, "validation_error")["errors"]


def test_role_change_and_deactivation(client, accounts):
    # Given an organisation with a learner
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    # When the admin makes the learner a teacher
    changed = client.patch(
        f"{MEMBERS}/{learner.id}", json={"role": "teacher"}, headers=admin.headers
    )
    # Then their role follows at once, with the same token
    assert changed.status_code == 200 and changed.get_json()["role"] == "teacher"
    assert client.get("/api/v1/auth/me", headers=learner.headers).get_json()["role"] == "teacher"
    # When the admin deactivates them
    deactivated = client.post(f"{MEMBERS}/{learner.id}/deactivate", headers=admin.headers)
    # Then their token, their refresh token and their password stop working
    assert deactivated.status_code == 200 and deactivated.get_json()["is_active"] is False
    assert client.get("/api/v1/auth/me", headers=learner.headers).status_code == 401
    assert (
        client.post(
            "/api/v1/auth/refresh", json={"refresh_token": learner.refresh_token}
        ).status_code
        == 401
    )
    relogin = client.post("/api/v1/auth/login", json={"email": learner.email, "password": PASSWORD})
    assert_problem(relogin, 403, "account_deactivated")


def test_the_last_admin_cannot_demote_or_deactivate_themselves(client, accounts):
    # Given an organisation with one admin
    admin = accounts.admin()
    # When the admin demotes or deactivates themselves
    demote = client.patch(f"{MEMBERS}/{admin.id}", json={"role": "learner"}, headers=admin.headers)
    leave = client.post(f"{MEMBERS}/{admin.id}/deactivate", headers=admin.headers)
    # Then both are refused
    assert_problem(demote, 409, "last_admin")
    assert_problem(leave, 409, "last_admin")
    # And with a second admin the demotion is allowed
    second = accounts.member(admin, "admin")
    assert second.role == "admin"
    ok = client.patch(f"{MEMBERS}/{admin.id}", json={"role": "teacher"}, headers=admin.headers)
    assert ok.status_code == 200 and ok.get_json()["role"] == "teacher"


def test_invalid_role_is_422(client, accounts):
    # Given an admin
    admin = accounts.admin()
    # When they invite with, or change to, a role that does not exist
    bad_invite = client.post(INVITES, json={"role": "owner"}, headers=admin.headers)
    bad_change = client.patch(f"{MEMBERS}/{admin.id}", json={"role": "root"}, headers=admin.headers)
    # Then both are 422 naming the field
    assert "role" in assert_problem(bad_invite, 422, "validation_error")["errors"]
    assert "role" in assert_problem(bad_change, 422, "validation_error")["errors"]
