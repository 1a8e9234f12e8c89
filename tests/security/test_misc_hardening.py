"""Small hardening: token answers are never cached, /metrics is not open, the embedded
database file is private, production refuses a weak SECRET_KEY (tests/security/test_keys)."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

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


def test_answers_holding_a_secret_are_not_cached(client, accounts):
    # Given an admin (a second probe of row 18 found the webhook and callback secrets and
    # presigned upload URLs answered without no-store)
    admin = accounts.admin()
    hook = client.post(
        "/api/v1/webhooks", json={"url": "https://example.com/hook"}, headers=admin.headers
    )
    answers = [
        hook,
        client.post(
            f"/api/v1/webhooks/{hook.get_json()['id']}/rotate-secret", headers=admin.headers
        ),
        client.get("/api/v1/callback-secret", headers=admin.headers),
        client.post("/api/v1/callback-secret/rotate", headers=admin.headers),
        client.post(
            "/api/v1/media/uploads",
            json={"filename": "a.wav", "kind": "audio"},
            headers=admin.headers,
        ),
    ]
    # Then none of them may be kept by a cache
    for answer in answers:
        assert answer.status_code in (200, 201), answer.get_json()
        assert answer.headers.get("Cache-Control") == "no-store", answer.request.path


def test_every_no_store_view_exists(app):
    from api import nostore

    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert nostore.ENDPOINTS <= endpoints, nostore.ENDPOINTS - endpoints
    assert nostore.BLUEPRINTS <= set(app.blueprints)


def test_make_run_points_public_base_url_at_its_port():
    # Given `make run PORT=8123` (presigned URLs and media links are built from
    # PUBLIC_BASE_URL, which stayed on port 8000 before)
    root = Path(__file__).resolve().parents[2]
    # (as a shell runs it: not the environment of the `make test` that runs this suite,
    # which exports its own PUBLIC_BASE_URL and passes its flags down)
    inherited = ("PUBLIC_BASE_URL", "PORT", "HOST", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")
    env = {key: value for key, value in os.environ.items() if key not in inherited}
    shown = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "--eval=show-base: ; @echo $(PUBLIC_BASE_URL)",
            "show-base",
            "PORT=8123",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # Then the links the API hands out follow the port it listens on
    assert shown.stdout.strip() == "http://127.0.0.1:8123"
