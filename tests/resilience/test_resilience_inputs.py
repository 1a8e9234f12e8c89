"""Values the request schemas let through but the database refuses are the client's fault."""

from __future__ import annotations


def test_a_nul_character_in_a_filter_is_a_422_not_a_500(client, accounts):
    # Given an admin
    admin = accounts.admin()
    # When a list is filtered by a value holding a NUL character (PostgreSQL refuses it)
    response = client.get("/api/v1/jobs?type=ping%00", headers=admin.headers)
    # Then the answer is a problem with a stable code, and the session still works after it
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "invalid_value"
    again = client.get("/api/v1/jobs?type=ping", headers=admin.headers)
    assert again.status_code == 200
    assert again.get_json()["items"] == []
