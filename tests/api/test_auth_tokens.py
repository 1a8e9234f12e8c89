"""Registration, login, token rotation, revocation and the caller's own account."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from flask_jwt_extended import create_access_token, create_refresh_token

from api.extensions import VerifiedTokens
from tests.api.apihelpers import assert_problem, b64decode, b64encode, bearer, login
from tests.factories import PASSWORD

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"


def test_register_creates_admin_of_new_organisation(client, settings):
    # Given a new person with an organisation name
    body = {
        "email": "Ana@Example.test",
        "password": PASSWORD,
        "name": "Ana",
        "organisation_name": "Escuela Ana",
        "timezone": "Europe/Madrid",
    }
    # When they register
    response = client.post(REGISTER, json=body)
    # Then they are the admin of a new organisation with that name, and hold a token pair
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["token_type"] == "bearer"
    assert data["expires_in"] == settings.access_token_ttl
    assert data["user"]["role"] == "admin"
    assert data["user"]["email"] == "ana@example.test"
    assert data["user"]["timezone"] == "Europe/Madrid"
    assert "password" not in data["user"]
    organisation = client.get("/api/v1/organisation", headers=bearer(data["access_token"]))
    assert organisation.get_json()["name"] == "Escuela Ana"
    assert organisation.get_json()["id"] == data["user"]["organisation_id"]


def test_login_with_json_and_with_oauth2_password_form(client, accounts):
    # Given a registered user
    admin = accounts.admin()
    # When they log in with JSON and with the form Swagger's Authorize sends
    by_json = client.post(LOGIN, json={"email": admin.email, "password": PASSWORD})
    by_form = client.post(
        LOGIN,
        data={"username": admin.email, "password": PASSWORD, "grant_type": "password", "scope": ""},
    )
    # Then both answer a working token pair
    for response in (by_json, by_form):
        assert response.status_code == 200, response.get_json()
        tokens = response.get_json()
        assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in"}
        me = client.get(ME, headers=bearer(tokens["access_token"]))
        assert me.status_code == 200
        assert me.get_json()["id"] == admin.id
        assert me.get_json()["last_login_at"] is not None


def test_duplicate_email_is_409_email_taken_whatever_the_case(client, accounts):
    # Given a registered user
    admin = accounts.admin()
    # When someone registers again with the same email in another case
    response = client.post(
        REGISTER, json={"email": admin.email.upper(), "password": PASSWORD, "name": "Copy"}
    )
    # Then it is refused with email_taken
    assert_problem(response, 409, "email_taken")


def test_bad_email_and_short_password_are_422_per_field(client):
    # Given a registration with a malformed email and a short password
    body = {"email": "not-an-email", "password": "short", "name": "X"}
    # When it is posted
    response = client.post(REGISTER, json=body)
    # Then each field has its message
    problem = assert_problem(response, 422, "validation_error")
    assert set(problem["errors"]) == {"email", "password"}


def test_unknown_timezone_at_registration_is_422(client):
    # Given a registration with a made-up time zone
    body = {
        "email": "tz@example.test",
        "password": PASSWORD,
        "name": "T",
        "timezone": "Mars/Olympus_Mons",
    }
    # When it is posted
    response = client.post(REGISTER, json=body)
    # Then the time zone field is named
    problem = assert_problem(response, 422, "validation_error")
    assert "timezone" in problem["errors"]


def test_wrong_password_and_unknown_email_are_401_invalid_credentials(client, accounts):
    # Given a registered user
    admin = accounts.admin()
    # When they log in with a wrong password, and someone logs in with an unknown email
    wrong = client.post(LOGIN, json={"email": admin.email, "password": "wrong password"})
    unknown = client.post(LOGIN, json={"email": "nobody@example.test", "password": PASSWORD})
    # Then both answers are the same 401, telling nothing about which part was wrong
    assert_problem(wrong, 401, "invalid_credentials")
    assert_problem(unknown, 401, "invalid_credentials")
    assert wrong.get_json()["detail"] == unknown.get_json()["detail"]


def test_login_body_of_wrong_shape_is_422(client):
    # Given login bodies that are JSON but not objects, or miss the password
    bodies = [5, "text", [1, 2], {"email": "a@example.test"}]
    for body in bodies:
        # When each is posted
        response = client.post(LOGIN, json=body)
        # Then it is a validation problem, never a 500
        assert_problem(response, 422, "validation_error")


def test_refresh_rotates_and_the_old_refresh_token_dies(client, accounts):
    # Given a logged-in user
    admin = accounts.admin()
    first = login(client, admin.email)
    # When they refresh
    rotated = client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    # Then a new pair works
    assert rotated.status_code == 200, rotated.get_json()
    second = rotated.get_json()
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get(ME, headers=bearer(second["access_token"])).status_code == 200
    again = client.post(REFRESH, json={"refresh_token": second["refresh_token"]})
    assert again.status_code == 200
    # And the first refresh token is refused
    assert_problem(
        client.post(REFRESH, json={"refresh_token": first["refresh_token"]}), 401, "token_reused"
    )


def test_reusing_a_used_refresh_token_revokes_the_whole_family(client, accounts):
    # Given a session refreshed once, and another session of the same user
    admin = accounts.admin()
    first = login(client, admin.email)
    other_session = login(client, admin.email)
    second = client.post(REFRESH, json={"refresh_token": first["refresh_token"]}).get_json()
    # When the used first refresh token is presented again (a thief replaying it)
    replay = client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    # Then it is refused and every token of that family dies
    assert_problem(replay, 401, "token_reused")
    assert_problem(
        client.post(REFRESH, json={"refresh_token": second["refresh_token"]}), 401, "token_revoked"
    )
    assert_problem(client.get(ME, headers=bearer(second["access_token"])), 401, "token_revoked")
    assert_problem(client.get(ME, headers=bearer(first["access_token"])), 401, "token_revoked")
    # But the user's other session is untouched
    assert client.get(ME, headers=bearer(other_session["access_token"])).status_code == 200
    assert (
        client.post(REFRESH, json={"refresh_token": other_session["refresh_token"]}).status_code
        == 200
    )


def test_refresh_refuses_access_tokens_and_garbage(client, accounts):
    # Given an access token and a string that is no token at all
    admin = accounts.admin()
    # When either is presented as a refresh token
    with_access = client.post(REFRESH, json={"refresh_token": admin.access_token})
    with_garbage = client.post(REFRESH, json={"refresh_token": "not-a-token-at-all"})
    # Then both are 401 token_invalid
    assert_problem(with_access, 401, "token_invalid")
    assert_problem(with_garbage, 401, "token_invalid")


def test_refresh_token_is_not_an_access_token(client, accounts):
    # Given a refresh token
    admin = accounts.admin()
    # When it is used as a bearer token on an endpoint
    response = client.get(ME, headers=bearer(admin.refresh_token))
    # Then it is refused
    assert_problem(response, 401, "token_invalid")


def test_logout_revokes_access_and_refresh(client, accounts):
    # Given a logged-in user with a second session
    admin = accounts.admin()
    other = login(client, admin.email)
    # When they log out
    response = client.post(LOGOUT, headers=admin.headers)
    # Then the access token and the refresh token of that session no longer work
    assert response.status_code == 204
    assert_problem(client.get(ME, headers=admin.headers), 401, "token_revoked")
    refused = client.post(REFRESH, json={"refresh_token": admin.refresh_token})
    assert_problem(refused, 401, "token_revoked")
    # And the other session still does
    assert client.get(ME, headers=bearer(other["access_token"])).status_code == 200


def test_expired_access_token_is_401_token_expired(app, client, accounts):
    # Given an access token of a real user that expired a minute ago
    admin = accounts.admin()
    claims = json.loads(b64decode(admin.access_token.split(".")[1]))
    expired = create_access_token(
        identity=admin.id,
        expires_delta=timedelta(seconds=-60),
        additional_claims={"org": claims["org"], "role": claims["role"], "fam": claims["fam"]},
    )
    # When it is used
    response = client.get(ME, headers=bearer(expired))
    # Then the answer says it expired
    assert_problem(response, 401, "token_expired")
    assert "invalid_token" in response.headers["WWW-Authenticate"]


def test_token_accepted_before_expiring_is_refused_once_expired(app, client, accounts):
    # Given an access token of a real user that expires in a second, accepted once (its
    # verification is then kept by the process)
    admin = accounts.admin()
    claims = json.loads(b64decode(admin.access_token.split(".")[1]))
    with app.app_context():
        short = create_access_token(
            identity=admin.id,
            expires_delta=timedelta(seconds=1),
            additional_claims={"org": claims["org"], "role": claims["role"], "fam": claims["fam"]},
        )
    assert client.get(ME, headers=bearer(short)).status_code == 200
    # When it is used again after its expiry
    time.sleep(max(0.0, claims_exp(short) - time.time()) + 0.1)
    response = client.get(ME, headers=bearer(short))
    # Then the answer says it expired
    assert_problem(response, 401, "token_expired")


def claims_exp(token: str) -> float:
    return json.loads(b64decode(token.split(".")[1]))["exp"]


def test_verified_tokens_keep_at_most_their_bound():
    # Given a store of verified tokens bounded to two entries
    verified = VerifiedTokens(max_entries=2)
    far = time.time() + 600
    # When three tokens are kept, the first one used again before the third
    verified.put("a", {"exp": far})
    verified.put("b", {"exp": far})
    assert verified.get("a", 0) == {"exp": far}
    verified.put("c", {"exp": far})
    # Then the least recently used one is gone, and an expired entry is never answered
    assert verified.get("b", 0) is None
    assert verified.get("a", 0) is not None and verified.get("c", 0) is not None
    verified.put("old", {"exp": time.time() - 1})
    assert verified.get("old", 0) is None


def test_expired_refresh_token_is_401_token_expired(app, client, accounts):
    # Given a refresh token of a real user that expired a minute ago
    admin = accounts.admin()
    claims = json.loads(b64decode(admin.refresh_token.split(".")[1]))
    expired = create_refresh_token(
        identity=admin.id,
        expires_delta=timedelta(seconds=-60),
        additional_claims={"org": claims["org"], "role": claims["role"], "fam": claims["fam"]},
    )
    # When it is used
    response = client.post(REFRESH, json={"refresh_token": expired})
    # Then it is refused as expired
    assert_problem(response, 401, "token_expired")


def test_tampered_tokens_are_401(client, accounts):
    # Given an access token whose payload is changed to claim another role, and one whose
    # signature is altered
    admin = accounts.member(accounts.admin(), "learner")
    header, payload, signature = admin.access_token.split(".")
    claims = json.loads(b64decode(payload))
    claims["role"] = "admin"
    forged_payload = b64encode(json.dumps(claims).encode())
    forged = f"{header}.{forged_payload}.{signature}"
    flipped = "A" if signature[10] != "A" else "B"
    bad_signature = f"{header}.{payload}.{signature[:10]}{flipped}{signature[11:]}"
    # When each is used
    for token in (forged, bad_signature, "not.a.jwt"):
        response = client.get(ME, headers=bearer(token))
        # Then it is refused as invalid
        assert_problem(response, 401, "token_invalid")


def test_token_signed_with_another_secret_is_401(client, accounts, app_with):
    # Given a token issued by an app with a different secret key
    admin = accounts.admin()
    stranger = app_with(secret_key="another-secret-key-that-is-long-enough-too").test_client()
    foreign = login(stranger, admin.email)
    # When it is used on this app
    response = client.get(ME, headers=bearer(foreign["access_token"]))
    # Then it is refused
    assert_problem(response, 401, "token_invalid")


def test_missing_token_is_401_with_challenge(client):
    # Given no credentials
    # When a protected endpoint is called
    response = client.get(ME)
    # Then it is 401 asking for a bearer token
    assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_patch_me_changes_profile_and_rejects_bad_timezone(client, accounts):
    # Given a user
    admin = accounts.admin()
    # When they change name, time zone and languages
    changed = client.patch(
        ME,
        headers=admin.headers,
        json={
            "name": "Renamed",
            "timezone": "America/Sao_Paulo",
            "native_language": "pt-BR",
            "target_languages": ["en", "es"],
        },
    )
    # Then the account shows the change
    assert changed.status_code == 200, changed.get_json()
    me = client.get(ME, headers=admin.headers).get_json()
    assert (me["name"], me["timezone"], me["native_language"], me["target_languages"]) == (
        "Renamed",
        "America/Sao_Paulo",
        "pt-BR",
        ["en", "es"],
    )
    # When they send a time zone that does not exist, a blank name or a read-only field
    bad_tz = client.patch(ME, headers=admin.headers, json={"timezone": "Europe/Atlantis"})
    blank = client.patch(ME, headers=admin.headers, json={"name": "   "})
    read_only = client.patch(ME, headers=admin.headers, json={"role": "admin"})
    # Then each is 422 naming the field, and nothing changed
    assert "timezone" in assert_problem(bad_tz, 422, "validation_error")["errors"]
    assert "name" in assert_problem(blank, 422, "validation_error")["errors"]
    assert "role" in assert_problem(read_only, 422, "validation_error")["errors"]
    assert client.get(ME, headers=admin.headers).get_json()["timezone"] == "America/Sao_Paulo"


def test_password_change_kills_old_sessions_and_old_password(client, accounts):
    # Given a user with two sessions
    admin = accounts.admin()
    other = login(client, admin.email)
    # When the current password is wrong, nothing changes
    wrong = client.post(
        "/api/v1/auth/password",
        headers=admin.headers,
        json={"current_password": "not it at all", "new_password": "new pass 123"},
    )
    assert_problem(wrong, 401, "invalid_credentials")
    # When they change it with the right current password
    response = client.post(
        "/api/v1/auth/password",
        headers=admin.headers,
        json={"current_password": PASSWORD, "new_password": "new pass 123"},
    )
    # Then the old refresh tokens and access tokens die
    assert response.status_code == 204, response.get_json()
    for refresh in (admin.refresh_token, other["refresh_token"]):
        assert_problem(client.post(REFRESH, json={"refresh_token": refresh}), 401, "token_revoked")
    for access in (admin.access_token, other["access_token"]):
        assert_problem(client.get(ME, headers=bearer(access)), 401, "token_revoked")
    # And only the new password logs in
    assert_problem(
        client.post(LOGIN, json={"email": admin.email, "password": PASSWORD}),
        401,
        "invalid_credentials",
    )
    fresh = login(client, admin.email, "new pass 123")
    assert client.get(ME, headers=bearer(fresh["access_token"])).status_code == 200


def test_new_password_must_be_long_enough(client, accounts):
    # Given a user
    admin = accounts.admin()
    # When they choose a short new password
    response = client.post(
        "/api/v1/auth/password",
        headers=admin.headers,
        json={"current_password": PASSWORD, "new_password": "short"},
    )
    # Then it is 422 naming the field, and the old password still works
    assert "new_password" in assert_problem(response, 422, "validation_error")["errors"]
    login(client, admin.email)
