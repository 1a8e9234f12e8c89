"""Realtime voice sessions: a local server speaking the OpenAI Realtime API's client-secret
endpoint, reached by the real `openai` client; the token is rate limited and counted."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.scripted_http import Scripted, ScriptedServer


class FakeRealtime(ScriptedServer):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[dict[str, Any]] = []

    def record(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        self.requests.append(
            {
                "path": handler.path,
                "auth": handler.headers["authorization"],
                "body": json.loads(body or b"{}"),
            }
        )


def secret(value: str = "ek_test_123") -> Scripted:
    return Scripted(
        200,
        {
            "value": value,
            "expires_at": 1_900_000_000,
            "session": {"type": "realtime", "model": "gpt-realtime"},
        },
    )


def failure(status: int) -> Scripted:
    return Scripted(status, {"error": {"message": "nope", "type": "invalid_request_error"}})


def test_a_realtime_token_carries_the_tutor_at_the_learners_level(accounts, settings, app_with):
    # Given an OpenAI deployment (a local server speaking its API) and a learner
    admin = accounts.admin()
    with FakeRealtime() as realtime:
        realtime.push(secret())
        app = app_with(
            media_dir=settings.media_dir,
            openai_api_key="sk-platform",
            openai_base_url=realtime.base_url,
            realtime_token_ttl=120,
        )
        client = app.test_client()

        # When the learner asks for a realtime session in the café scenario at A2
        answer = client.post(
            "/api/v1/conversations/realtime",
            headers=admin.headers,
            json={"language": "en", "level": "A2", "scenario": "ordering-food"},
        )
        stats = client.get(f"/api/v1/users/{admin.id}/stats", headers=admin.headers)
        organisation_usage = client.get("/api/v1/usage", headers=admin.headers)

    # Then the client gets the short-lived secret, never the platform's key
    assert answer.status_code == 201, answer.get_json()
    token = answer.get_json()
    assert token["client_secret"] == "ek_test_123" and "sk-platform" not in json.dumps(token)
    assert token["expires_at"].startswith("2030-03-17") and token["learner_id"] == admin.id
    # And the provider was asked with the platform's key, the TTL and the tutor's instructions
    sent = realtime.requests[0]
    assert sent["path"] == "/v1/realtime/client_secrets"
    assert sent["auth"] == "Bearer sk-platform"
    assert sent["body"]["expires_after"] == {"anchor": "created_at", "seconds": 120}
    session = sent["body"]["session"]
    assert session["model"] == "gpt-realtime" and session["audio"]["output"]["voice"] == "alloy"
    assert "English at CEFR level A2" in session["instructions"]
    assert "Ordering food in a café" in session["instructions"]
    # And the session is counted in the learner's usage
    assert stats.get_json()["usage"]["realtime_sessions"] == 1
    # And in the organisation's usage report
    assert organisation_usage.status_code == 200, organisation_usage.get_json()
    assert organisation_usage.get_json()["conversation"]["realtime_sessions"] == 1


def test_realtime_tokens_are_limited_and_failures_have_codes(accounts, settings, app_with, client):
    # Given a deployment allowing three realtime tokens an hour per learner
    admin = accounts.admin()
    body = {"language": "en", "level": "B1", "topic": "travel"}
    with FakeRealtime() as realtime:
        realtime.push(secret("ek_1"), failure(503), failure(401))
        app = app_with(
            media_dir=settings.media_dir,
            openai_api_key="sk-platform",
            openai_base_url=realtime.base_url,
            rate_limits=(("realtime", "3/hour"),),
        )
        remote = app.test_client()

        # When the learner asks four times
        answers = [
            remote.post("/api/v1/conversations/realtime", headers=admin.headers, json=body)
            for _ in range(4)
        ]

    # Then the first is minted, an outage is a 503 and a refusal a 502, each with a code
    assert answers[0].status_code == 201
    assert (answers[1].status_code, answers[1].get_json()["code"]) == (503, "realtime_unavailable")
    assert (answers[2].status_code, answers[2].get_json()["code"]) == (502, "realtime_rejected")
    # And the fourth is over the limit, which counted every request it let through
    assert (answers[3].status_code, answers[3].get_json()["code"]) == (429, "rate_limited")
    # And a deployment without an OpenAI key has no realtime sessions
    offline = client.post("/api/v1/conversations/realtime", headers=admin.headers, json=body)
    assert (offline.status_code, offline.get_json()["code"]) == (403, "realtime_not_configured")
