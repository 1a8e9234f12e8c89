"""A deactivated admin's credentials die with their access: their API keys and their
invites not yet used."""

from __future__ import annotations

from tests.api.apihelpers import assert_problem
from tests.factories import PASSWORD


def test_a_deactivated_admins_keys_and_invites_stop_working(client, accounts):
    # Given two admins; the second made an API key and an invite
    first = accounts.admin()
    second = accounts.member(first, "admin")
    key = accounts.api_key(second, ["jobs:read"])
    invite = client.post(
        "/api/v1/organisation/invites", json={"role": "admin"}, headers=second.headers
    ).get_json()
    other_key = accounts.api_key(first, ["jobs:read"])
    assert client.get("/api/v1/jobs", headers=key).status_code == 200
    # When the first admin deactivates the second
    answer = client.post(
        f"/api/v1/organisation/members/{second.id}/deactivate", headers=first.headers
    )
    assert answer.status_code == 200, answer.get_json()
    # Then the key is refused and the invite makes no account
    assert_problem(client.get("/api/v1/jobs", headers=key), 401, "api_key_revoked")
    registered = client.post(
        "/api/v1/auth/register",
        json={
            "email": "late@example.test",
            "password": PASSWORD,
            "name": "Late",
            "invite_code": invite["code"],
        },
    )
    assert_problem(registered, 422, "invite_invalid")
    # And what the first admin issued still works
    assert client.get("/api/v1/jobs", headers=other_key).status_code == 200
