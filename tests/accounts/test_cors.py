"""CORS: listed origins get the headers on /api/ (preflight and actual requests), others get
none, and nothing outside /api/ changes."""

from __future__ import annotations

import pytest

from core.envparse import ConfigError
from core.settings import Settings
from tests.factories import Accounts

APP = "https://app.example.test"


@pytest.fixture
def cors_client(app_with):
    other = app_with(cors_origins=(APP, "http://localhost:5173"), cors_max_age=600)
    return other.test_client()


def test_a_listed_origin_gets_a_cached_preflight(cors_client):
    # When a browser on a listed origin preflights a job submission
    response = cors_client.options(
        "/api/v1/jobs",
        headers={
            "Origin": APP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": (
                "Authorization, Content-Type, Idempotency-Key, Prefer"
            ),
        },
    )
    # Then the origin, method and headers are allowed, and the answer may be cached
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    for header in ("authorization", "content-type", "idempotency-key", "prefer"):
        assert header in allowed
    assert response.headers["Access-Control-Max-Age"] == "600"
    # And credentials are not allowed: bearer tokens do not need them
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Origin" in response.headers.get("Vary", "")


def test_a_listed_origin_reads_the_headers_clients_need(cors_client):
    # Given an account
    user = Accounts(cors_client).admin()
    # When its browser client reads its profile from a listed origin
    response = cors_client.get("/api/v1/auth/me", headers={**user.headers, "Origin": APP})
    # Then the answer names the origin and exposes ETag, Location, Retry-After, X-Request-ID
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == APP
    exposed = {
        h.strip().lower() for h in response.headers["Access-Control-Expose-Headers"].split(",")
    }
    assert {"etag", "location", "retry-after", "x-request-id"} <= exposed


def test_an_unlisted_origin_gets_no_cors_headers(cors_client):
    for method in ("options", "get"):
        for origin, listed in (
            ("https://evil.example.test", False),
            (APP, True),
            ("https://app.example.test:8443", False),
            ("http://app.example.test", False),
        ):
            response = getattr(cors_client, method)(
                "/api/v1/openapi.json",
                headers={"Origin": origin, "Access-Control-Request-Method": "GET"},
            )
            cors = [h for h in response.headers.keys() if h.startswith("Access-Control-")]
            assert bool(cors) is listed, (method, origin, cors)


def test_metrics_console_and_health_outside_api_are_unaffected(cors_client):
    for path in ("/metrics", "/console/", "/healthz", "/.well-known/jwks.json"):
        response = cors_client.get(path, headers={"Origin": APP})
        assert not [h for h in response.headers.keys() if h.startswith("Access-Control-")], path


def test_no_origins_configured_means_no_cors_headers(client):
    # The default: no CORS_ORIGINS
    response = client.options(
        "/api/v1/jobs", headers={"Origin": APP, "Access-Control-Request-Method": "POST"}
    )
    assert not [h for h in response.headers.keys() if h.startswith("Access-Control-")]
    response = client.get("/api/v1/openapi.json", headers={"Origin": APP})
    assert not [h for h in response.headers.keys() if h.startswith("Access-Control-")]


@pytest.mark.parametrize(
    "value",
    [
        "*",
        "app.example.test",
        "https://app.example.test/",
        "https://app.example.test/path",
        "ftp://app.example.test",
        "https://app.example.test:99999",
        "https://user@app.example.test",
        " , ",
    ],
)
def test_cors_origins_are_parsed_strictly(value):
    with pytest.raises(ConfigError, match="CORS_ORIGINS"):
        Settings.from_env({"CORS_ORIGINS": value})


def test_cors_origins_accept_origins_as_browsers_send_them():
    settings = Settings.from_env(
        {"CORS_ORIGINS": "https://App.example.test, http://127.0.0.1:5173"}
    )
    assert settings.cors_origins == ("https://app.example.test", "http://127.0.0.1:5173")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SMTP_HOST", "smtp://mail.example.test"),
        ("SMTP_HOST", "mail.example.test:25"),
        ("SMTP_PORT", "0"),
        ("SMTP_TLS", "yes"),
        ("MAIL_FROM", "not an address"),
        ("MAIL_FROM", "a@b.test\nBcc: x@y.test"),
        ("PASSWORD_RESET_TTL", "10"),
        ("SMTP_TIMEOUT_SECONDS", "soon"),
        ("CORS_MAX_AGE", "-1"),
    ],
)
def test_mail_settings_are_parsed_strictly(name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_mail_settings_accept_good_values():
    settings = Settings.from_env(
        {
            "SMTP_HOST": "[::1]",
            "SMTP_PORT": "465",
            "SMTP_TLS": "ssl",
            "MAIL_FROM": "Platform <no-reply@platform.test>",
        }
    )
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_tls) == ("::1", 465, "ssl")
