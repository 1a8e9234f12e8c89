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
