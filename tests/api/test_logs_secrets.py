"""Logs are JSON with the request id, user and organisation; secrets never reach them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from api.logs import JsonFormatter, redact
from tests.api.apihelpers import bearer

PASSWORD = "Sup3r-Secret-Passw0rd!"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Everything logged at DEBUG and above, formatted as the platform formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def test_secrets_never_appear_in_logs(client, caplog, json_log):
    # Given a full account life: register, login with a wrong then the right password,
    # refresh, a key created and used, a password change
    caplog.set_level(logging.DEBUG)
    registered = client.post(
        "/api/v1/auth/register",
        json={"email": "logged@example.test", "password": PASSWORD, "name": "Logged"},
    ).get_json()
    client.post(
        "/api/v1/auth/login", json={"email": "logged@example.test", "password": PASSWORD + "x"}
    )
    client.post(
        "/api/v1/auth/login", data={"username": "logged@example.test", "password": PASSWORD}
    )
    pair = client.post(
        "/api/v1/auth/login", json={"email": "logged@example.test", "password": PASSWORD}
    ).get_json()
    rotated = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    ).get_json()
    key = client.post(
        "/api/v1/api-keys",
        json={"name": "k", "scopes": ["jobs:read"]},
        headers=bearer(rotated["access_token"]),
    ).get_json()["key"]
    client.get("/api/v1/jobs", headers={"X-API-Key": key})
    client.get("/api/v1/jobs", headers=bearer(key))
    client.get("/api/v1/auth/me", headers=bearer(rotated["access_token"] + "tampered"))
    client.post(
        "/api/v1/auth/password",
        headers=bearer(rotated["access_token"]),
        json={"current_password": PASSWORD, "new_password": PASSWORD + "2"},
    )
    secrets = [
        PASSWORD,
        registered["access_token"],
        registered["refresh_token"],
        pair["access_token"],
        pair["refresh_token"],
        rotated["access_token"],
        rotated["refresh_token"],
        key,
        key.split("_", 2)[2],
    ]
    # When the logs are read, as records and as the JSON lines the platform writes
    written = json_log.getvalue()
    raw = "\n".join(f"{r.getMessage()} {r.args} {vars(r)}" for r in caplog.records)
    # Then the requests were logged, and no secret is in either
    assert "POST /api/v1/auth/login 401" in written
    assert "GET /api/v1/jobs 200" in written
    for secret in secrets:
        assert secret not in written
        assert secret not in raw


def test_access_log_names_request_user_and_organisation(client, accounts, json_log):
    # Given a signed-in user
    admin = accounts.admin()
    # When they make a request with their own request id
    client.get(
        "/api/v1/auth/me?token=should-not-be-logged",
        headers={**admin.headers, "X-Request-ID": "trace-me-1"},
    )
    # Then the access log line carries the request id, user, organisation and status
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    entry = next(
        e for e in lines if e.get("request_id") == "trace-me-1" and e["logger"] == "api.access"
    )
    assert entry["user_id"] == admin.id
    assert entry["organisation_id"] == admin.organisation_id
    assert entry["status"] == 200
    assert entry["message"] == "GET /api/v1/auth/me 200"
    assert "should-not-be-logged" not in json_log.getvalue()


def test_unhandled_error_is_logged_with_its_traceback_but_redacted(app_with, json_log):
    # Given a route that fails with a credential in its message
    other = app_with()
    logging.getLogger().setLevel(logging.DEBUG)  # building the app set the configured level

    @other.get("/leaky")
    def leaky():
        raise RuntimeError("connect failed password=hunter22 key lak_abc123_def")

    # When it is called
    other.test_client().get("/leaky", headers={"X-Request-ID": "leak-1"})
    # Then the log keeps the traceback for operators, with the secrets masked
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    entry = next(e for e in lines if e["message"] == "unhandled error")
    assert entry["request_id"] == "leak-1"
    assert "RuntimeError" in entry["exception"]
    assert "hunter22" not in json_log.getvalue()
    assert "lak_abc123_def" not in json_log.getvalue()


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "eyJhbGciOiJIUzI1NiJ9"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln in a message", "eyJzdWIiOiJ4In0"),
        ("X-API-Key lak_0123456789ab_SGVsbG8tV29ybGQ", "SGVsbG8tV29ybGQ"),
        ('{"password": "hunter2", "email": "a@b.test"}', "hunter2"),
        ("password=hunter2&email=a@b.test", "hunter2"),
        ("api_key: abcdef123456", "abcdef123456"),
        ("signing with whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        ("client_secret=s3cr3tvalue", "s3cr3tvalue"),
    ],
)
def test_redact_masks_credentials(text, secret):
    # Given a message carrying a credential
    # When it is redacted
    masked = redact(text)
    # Then the credential is gone and the marker shows where it was
    assert secret not in masked
    assert "[redacted]" in masked


def test_redact_keeps_ordinary_text():
    # Given a message without credentials
    text = "POST /api/v1/auth/login 401 for user usr_01 in 12.5 ms"
    # When it is redacted
    # Then it is unchanged
    assert redact(text) == text


def test_building_an_app_keeps_foreign_log_handlers(app_with, json_log):
    # Given a handler installed by someone else (here: this test's capture)
    # When two more apps are built
    app_with()
    app_with()
    logging.getLogger("api.test").warning("still captured")
    # Then that handler still receives records, and the platform's own handler is not doubled
    assert "still captured" in json_log.getvalue()
    own = [h for h in logging.getLogger().handlers if getattr(h, "_platform", False)]
    assert len(own) == 1
