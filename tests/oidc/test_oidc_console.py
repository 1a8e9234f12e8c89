"""Signing in to the teacher console with an organisation's OpenID Connect provider: the
school's console link shows a "Sign in with <provider>" button, the browser goes to the
provider and comes back to the console signed in; a login started for the API's callback
cannot be finished by the console's, nor the other way round."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from tests.api.apihelpers import assert_problem
from tests.oidc.test_oidc_sign_in import configure, consent, provider, set_user  # noqa: F401

NAME = "school-idp"


def console_start(client, organisation_id: str) -> str:
    """Follow the console's button to the provider's authorization URL."""
    page = client.get(f"/console/?organisation={organisation_id}").get_data(as_text=True)
    button = re.search(r'href="([^"]+)">Sign in with ' + NAME, page)
    assert button, page
    answer = client.get(button.group(1).replace("&amp;", "&"))
    assert answer.status_code == 302, answer.get_json()
    return answer.headers["Location"]


def test_a_teacher_signs_in_to_the_console_with_the_provider(client, accounts, provider):  # noqa: F811
    # Given an organisation with a provider, and a teacher whose email it verified
    admin = accounts.admin()
    teacher = accounts.member(admin, "teacher")
    configure(client, admin, provider, NAME)
    set_user(provider, "idp-teacher", email=teacher.email, email_verified=True)
    # When the teacher opens the school's console link and uses its button
    url = console_start(client, admin.organisation_id)
    # Then the provider is asked to send the browser back to the console
    redirect_uri = parse_qs(urlsplit(url).query)["redirect_uri"][0]
    assert redirect_uri.endswith("/console/oidc/callback")
    # And coming back, the console page holds the teacher's token, uncached
    back = client.get(consent(url, "idp-teacher"))
    assert back.status_code == 200
    assert back.headers["Cache-Control"] == "no-store"
    token = re.search(r'data-token="([^"]+)"', back.get_data(as_text=True)).group(1)
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.get_json()["id"] == teacher.id


def test_a_login_finishes_only_at_the_callback_it_was_started_for(client, accounts, provider):  # noqa: F811
    admin = accounts.admin()
    configure(client, admin, provider, NAME)
    set_user(provider, "idp-admin", email=admin.email, email_verified=True)
    # Given a login started from the console, whose answer is taken to the API's callback
    back = urlsplit(consent(console_start(client, admin.organisation_id), "idp-admin"))
    # Then it is refused there
    assert_problem(
        client.get(f"/api/v1/auth/oidc/callback?{back.query}"), 422, "oidc_state_invalid"
    )
    # And a login started for the API, taken to the console, shows the problem, no token
    api_url = client.get(f"/api/v1/auth/oidc/{admin.organisation_id}/{NAME}/authorize")
    back = urlsplit(consent(api_url.headers["Location"], "idp-admin"))
    page = client.get(f"/console/oidc/callback?{back.query}")
    assert page.status_code == 422 and "data-token" not in page.get_data(as_text=True)


def test_the_console_shows_buttons_only_for_enabled_providers_of_the_organisation(
    client,
    accounts,
    provider,  # noqa: F811
):
    admin = accounts.admin()
    configure(client, admin, provider, NAME)
    # An organisation without providers, or none named, shows the password form only
    other = accounts.admin()
    for query in (f"?organisation={other.organisation_id}", "", "?organisation=org_nope"):
        assert "Sign in with" not in client.get(f"/console/{query}").get_data(as_text=True)
    # A disabled provider has no button; the public list says the same
    assert (
        client.put(
            f"/api/v1/organisation/oidc-providers/{NAME}",
            headers=admin.headers,
            json={"issuer": provider, "client_id": "platform", "enabled": False},
        ).status_code
        == 200
    )
    page = client.get(f"/console/?organisation={admin.organisation_id}")
    assert "Sign in with" not in page.get_data(as_text=True)
    listed = client.get(f"/api/v1/auth/oidc/{admin.organisation_id}/providers").get_json()
    assert listed == {"items": []}
