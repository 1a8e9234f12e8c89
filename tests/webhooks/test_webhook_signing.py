"""Signatures are checked with the `standardwebhooks` reference library, not our own code."""

from __future__ import annotations

import base64
import json
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from core import outbound as webhook_http
from core.signing import InvalidSecret, generate_secret, sign, signed_headers


def test_generated_secret_has_prefix_and_enough_key_material() -> None:
    # Given / When two new secrets
    first, second = generate_secret(), generate_secret()

    # Then each is whsec_ + base64 of 32 bytes, and they differ
    for secret in (first, second):
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret[len("whsec_") :])) == 32
    assert first != second


def test_signature_verifies_with_reference_library() -> None:
    # Given a secret and a message
    secret = generate_secret()
    body = json.dumps({"type": "job.succeeded", "data": {"id": "job_1"}})
    now = int(time.time())

    # When the platform signs it
    headers = signed_headers(secret, "msg_01", now, body)

    # Then the reference library accepts it and returns the payload
    assert Webhook(secret).verify(body, headers) == json.loads(body)
    assert headers["webhook-signature"].startswith("v1,")


def test_tampered_body_or_wrong_secret_is_rejected() -> None:
    # Given a signed message
    secret = generate_secret()
    body = '{"type":"webhook.test"}'
    headers = signed_headers(secret, "msg_02", int(time.time()), body)

    # When it is checked with another secret or with a changed body
    # Then the reference library refuses both
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("test", "tost"), headers)


def test_rotation_sends_one_signature_per_secret_and_both_verify() -> None:
    # Given an old and a new secret during the rotation overlap
    old, new = generate_secret(), generate_secret()
    body = b'{"type":"job.failed","timestamp":"2024-05-01T10:00:00.000+00:00","data":{}}'
    now = int(time.time())

    # When the message is signed with both
    value = sign([new, old], "msg_03", now, body)
    headers = {"webhook-id": "msg_03", "webhook-timestamp": str(now), "webhook-signature": value}

    # Then two space-separated signatures are sent and a receiver holding either secret verifies
    assert len(value.split(" ")) == 2
    assert Webhook(old).verify(body, headers)["type"] == "job.failed"
    assert Webhook(new).verify(body, headers)["type"] == "job.failed"


def test_rotated_message_sent_over_http_verifies_with_both_secrets(receiver) -> None:
    # Given two live secrets and a real receiver on loopback
    old, new = generate_secret(), generate_secret()
    body = json.dumps({"type": "webhook.test", "data": {"hello": "world"}}).encode()
    headers = signed_headers([new, old], "msg_04", int(time.time()), body)

    # When the guarded client posts the message
    result = webhook_http.post(receiver.url(), body, headers, allow_private=True)

    # Then the bytes and headers that arrived verify with each secret
    assert result.status == 200 and result.error is None
    got = receiver.wait_for(1)[0]
    assert got.headers["webhook-id"] == "msg_04"
    assert Webhook(old).verify(got.body, got.headers) == {
        "type": "webhook.test",
        "data": {"hello": "world"},
    }
    assert Webhook(new).verify(got.body, got.headers)["data"]["hello"] == "world"


def test_malformed_secrets_and_ids_are_refused() -> None:
    # Given secrets without prefix, not base64 or too short, and an id with a dot
    # When signing / Then the platform refuses instead of sending unverifiable messages
    with pytest.raises(InvalidSecret):
        sign("not-a-secret", "msg_1", 1, b"{}")
    with pytest.raises(InvalidSecret):
        sign("whsec_***", "msg_1", 1, b"{}")
    with pytest.raises(InvalidSecret):
        sign("whsec_" + base64.b64encode(b"short").decode(), "msg_1", 1, b"{}")
    with pytest.raises(InvalidSecret):
        sign([], "msg_1", 1, b"{}")
    with pytest.raises(ValueError):
        sign(generate_secret(), "msg.1", 1, b"{}")
