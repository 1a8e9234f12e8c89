"""Small hardening: token answers are never cached, /metrics is not open, the embedded
database file is private, production refuses a weak SECRET_KEY (tests/security/test_keys)."""

from __future__ import annotations

import stat

from api import create_app
from tests.api.apihelpers import assert_problem
from tests.conftest import make_settings, use_app
from tests.factories import PASSWORD


def test_token_answers_are_not_cached(client, accounts):
    admin = accounts.admin()
    answers = [
        client.post("/api/v1/auth/login", json={"email": admin.email, "password": PASSWORD}),
        client.post("/api/v1/auth/refresh", json={"refresh_token": admin.refresh_token}),
        client.post(
            "/api/v1/api-keys", json={"name": "k", "scopes": ["jobs:read"]}, headers=admin.headers
        ),
    ]
    for answer in answers:
        assert answer.status_code in (200, 201), answer.get_json()
        assert answer.headers["Cache-Control"] == "no-store"


def test_metrics_need_the_scrape_token_or_loopback(app_with, client):
    # Without a token: loopback only
    assert client.get("/metrics").status_code == 200
    remote = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert_problem(remote, 403, "forbidden")
    # With a token: the token, from anywhere
    guarded = app_with(metrics_token="scrape-token-of-some-length").test_client()
    assert_problem(guarded.get("/metrics"), 401, "unauthorized")
    ok = guarded.get(
        "/metrics",
        headers={"Authorization": "Bearer scrape-token-of-some-length"},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    assert ok.status_code == 200


def test_the_embedded_database_file_is_private(app, tmp_path):
    settings = make_settings(tmp_path, database_url="", redis_url=None)
    embedded = create_app(settings, start_services=False)
    try:
        path = tmp_path / "platform.db"
        assert path.exists()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        embedded.extensions["runtime"].stop()
        use_app(app)
