"""Sign-in with OpenID Connect, against a real OpenID provider (oidc-provider-mock, built on
Authlib's server) over HTTP on loopback: the authorization-code flow with state, nonce and
PKCE, accounts linked by verified email only, state single-use, the secret kept encrypted
and out of every answer and audit record."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from oidc_provider_mock import run_server_in_thread
from sqlalchemy import select, text

from storage import oidc
from storage.db import db
from storage.models.oidc import OidcLogin
from tests.api.apihelpers import assert_problem

SECRET = "provider-client-secret-7f3a"


@pytest.fixture
def provider() -> Iterator[str]:
    with run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


def configure(client, admin, issuer: str, name: str = "school-idp") -> dict:
    answer = client.put(
        f"/api/v1/organisation/oidc-providers/{name}",
        headers=admin.headers,
        json={"issuer": issuer, "client_id": "platform", "client_secret": SECRET},
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def set_user(issuer: str, sub: str, **claims) -> None:
    assert requests.put(f"{issuer}/users/{sub}", json=claims, timeout=10).status_code == 204


def start(client, admin, name: str = "school-idp") -> str:
    """The provider's authorization URL the platform redirects the browser to."""
    answer = client.get(f"/api/v1/auth/oidc/{admin.organisation_id}/{name}/authorize")
    assert answer.status_code == 302, answer.get_json()
    return answer.headers["Location"]


def consent(authorize_url: str, sub: str) -> str:
    """The user signs in at the provider; returns the platform path it redirects back to."""
    answer = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    return f"{back.path}?{back.query}"


def test_a_member_signs_in_with_the_provider_by_verified_email(client, accounts, provider):
    # Given an organisation whose admin configured the provider, and a learner whose email
    # the provider verified
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    shown = configure(client, admin, provider)
    set_user(provider, "idp-learner-1", email=learner.email.upper(), email_verified=True)

    # When the learner's browser starts signing in
    url = start(client, admin)
    query = parse_qs(urlsplit(url).query)
    # Then it goes to the provider with a state, a nonce and an S256 PKCE challenge
    assert url.startswith(f"{provider}/oauth2/authorize")
    assert query["client_id"] == ["platform"] and "openid" in query["scope"][0].split()
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["state"][0] and query["nonce"][0]
    # And the challenge is the hash of the verifier the platform keeps (encrypted) for the
    # token request, the state is kept only as its hash
    login = db.session.scalars(select(OidcLogin)).one()
    assert oidc.s256(login.code_verifier) == query["code_challenge"][0]
    assert login.state_hash != query["state"][0] and login.nonce == query["nonce"][0]

    # When the learner signs in there and comes back
    back = consent(url, "idp-learner-1")
    answer = client.get(back)
    # Then the platform signs in the learner's own account
    assert answer.status_code == 200, answer.get_json()
    me = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {answer.get_json()['access_token']}"}
    )
    assert me.get_json()["id"] == learner.id
    # And the state works once
    assert_problem(client.get(back), 422, "oidc_state_invalid")
    # And the secret is stored encrypted, never shown, never audited
    assert shown["has_client_secret"] is True and SECRET not in json.dumps(shown)
    stored = db.session.execute(text("SELECT client_secret FROM oidc_providers")).scalar()
    assert SECRET not in stored
    log = client.get(
        "/api/v1/admin/audit", headers=admin.headers, query_string={"target_type": "oidc_provider"}
    ).get_json()["items"]
    assert [r["action"] for r in log] == ["oidc_provider.created"]
    assert log[0]["after"]["client_authentication_changed"] is True
    assert SECRET not in json.dumps(log)


def test_unverified_or_unknown_emails_are_not_linked(client, accounts, provider):
    # Given a configured provider and a learner
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    configure(client, admin, provider)
    set_user(provider, "unverified", email=learner.email, email_verified=False)
    set_user(provider, "stranger", email="stranger@example.test", email_verified=True)
    # When someone signs in with an unverified copy of the learner's email, or an email no
    # account has
    # Then neither is signed in
    assert_problem(
        client.get(consent(start(client, admin), "unverified")), 403, "oidc_email_not_verified"
    )
    assert_problem(
        client.get(consent(start(client, admin), "stranger")), 403, "oidc_account_not_found"
    )


def test_a_code_brought_back_with_another_requests_state_fails_the_nonce(
    client, accounts, provider
):
    # Given two sign-ins started in two browsers
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    configure(client, admin, provider)
    set_user(provider, "idp-learner", email=learner.email, email_verified=True)
    first, second = start(client, admin), start(client, admin)
    # When the code issued for the second is presented with the first's state
    code = parse_qs(urlsplit(consent(second, "idp-learner")).query)["code"][0]
    state = parse_qs(urlsplit(first).query)["state"][0]
    answer = client.get("/api/v1/auth/oidc/callback", query_string={"state": state, "code": code})
    # Then the ID token's nonce does not match and nobody is signed in
    assert_problem(answer, 401, "oidc_id_token_invalid")


def test_bad_configuration_and_unknown_providers_are_problems(client, accounts, provider):
    admin = accounts.admin()
    teacher = accounts.member(admin, "teacher")
    body = {"issuer": provider, "client_id": "platform"}
    assert_problem(
        client.put(
            "/api/v1/organisation/oidc-providers/Bad Name!", headers=admin.headers, json=body
        ),
        422,
        "oidc_provider_name_invalid",
    )
    assert_problem(
        client.put(
            "/api/v1/organisation/oidc-providers/idp",
            headers=admin.headers,
            json={**body, "scopes": "email"},
        ),
        422,
        "validation_error",
    )
    assert_problem(
        client.put("/api/v1/organisation/oidc-providers/idp", headers=teacher.headers, json=body),
        403,
        "insufficient_role",
    )
    assert_problem(
        client.get(f"/api/v1/auth/oidc/{admin.organisation_id}/nobody/authorize"),
        404,
        "oidc_provider_not_found",
    )
    assert_problem(
        client.get("/api/v1/auth/oidc/callback", query_string={"state": "forged"}),
        422,
        "oidc_state_invalid",
    )
    # And the S256 challenge is the verifier's hash, as RFC 7636 defines it
    assert (
        oidc.s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
