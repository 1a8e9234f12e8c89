"""Callbacks: only staff and API keys name where the organisation's signed callbacks go;
private destinations are refused at submission; delivery logs do not reveal internal DNS."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import func, select

from core import outbound as http
from storage.db import db
from storage.models.jobs import Job
from tests.api.apihelpers import assert_problem
from tests.factories import Accounts


def test_a_learner_cannot_ask_for_a_callback(client, accounts):
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    answer = client.post(
        "/api/v1/assessments/writing",
        headers=learner.headers,
        json={"text": "I like apples.", "language": "en", "callback_url": "https://example.com/cb"},
    )
    assert_problem(answer, 403, "callback_not_allowed")
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5/cb",
        "http://127.0.0.1:8000/api",
        "http://[::1]/cb",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost/cb",
        "http://0x7f000001/cb",
    ],
)
def test_private_callback_literals_are_refused_at_submission(app_with, url):
    # Given the platform as deployed (private destinations not allowed)
    client = app_with(webhook_allow_private_networks=False).test_client()
    admin = Accounts(client).admin()
    # When a job names a private destination
    answer = client.post("/api/v1/jobs/ping", headers=admin.headers, json={"callback_url": url})
    # Then it is refused before any job exists
    assert answer.status_code in (400, 422), answer.get_json()
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_a_refused_delivery_does_not_reveal_the_internal_address():
    def resolver(*_args, **_kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.20.30.40", 80))]

    result = http.post(
        "http://internal.example/hook", b"{}", {}, timeout=2, allow_private=False, resolver=resolver
    )
    assert result.error == "private_address_refused"
    assert "10.20.30.40" not in (result.detail or "")
    assert result.address is None


@pytest.mark.parametrize(
    "url",
    [
        "http://0x7f000001/hook",
        "http://0177.0.0.1/hook",
        "http://2130706433/hook",
        "http://127.1/hook",
        "http://0/hook",
        "http://localhost/hook",
        "http://10.0.0.5/hook",
    ],
)
def test_webhook_endpoints_naming_an_internal_address_are_refused_at_once(app_with, url):
    # Given the platform as deployed (a second probe of row 13 found webhook endpoints
    # accepted the address forms inet_aton reads, which every HTTP client connects to)
    client = app_with(webhook_allow_private_networks=False).test_client()
    admin = Accounts(client).admin()
    # When an endpoint names one, Then it is refused before it is stored
    answer = client.post("/api/v1/webhooks", headers=admin.headers, json={"url": url})
    assert_problem(answer, 422, "webhook_url_not_allowed")


def test_inet_aton_forms_are_read_as_addresses_and_names_are_not():
    assert http.literal_address("0x7f000001") == "127.0.0.1"
    assert http.literal_address("0177.0.0.1") == "127.0.0.1"
    assert http.literal_address("[::1]".strip("[]")) == "::1"
    assert http.literal_address("deadbeef.cafe") is None
    assert http.refused_literal("https://0x08080808/hook") is None  # 8.8.8.8 is public
