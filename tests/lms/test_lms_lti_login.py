"""LTI login initiation with missing or unknown parameters answers a 401 problem, never a 500."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "params", [{}, {"iss": "https://lms.example"}, {"login_hint": "42", "target_link_uri": "x"}]
)
def test_an_incomplete_login_initiation_is_refused_as_401(client, method, params):
    # Given a login initiation without the issuer or the login hint pylti1p3 requires
    # When it arrives by query string or by form post
    if method == "get":
        response = client.get("/lti/login", query_string=params)
    else:
        response = client.post("/lti/login", data=params)
    # Then it is a 401 problem with a stable code
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "lti_login_refused"
