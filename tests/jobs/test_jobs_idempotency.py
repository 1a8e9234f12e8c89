"""Idempotency-Key on job-creating POSTs."""

from __future__ import annotations

from datetime import timedelta

from storage.db import db, utcnow
from storage.models.jobs import IdempotencyRecord, Job
from tests.jobs.helpers import submit_ping


def test_same_key_and_body_replays_the_first_answer(client, accounts):
    admin = accounts.admin()
    headers = {**admin.headers, "Idempotency-Key": "order-17"}
    first = submit_ping(client, headers, sleep_ms=5)
    second = submit_ping(client, headers, sleep_ms=5)
    assert first.status_code == second.status_code == 202
    assert second.get_json()["id"] == first.get_json()["id"]
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert db.session.query(Job).count() == 1


def test_same_key_with_another_body_is_422(client, accounts):
    admin = accounts.admin()
    headers = {**admin.headers, "Idempotency-Key": "order-18"}
    submit_ping(client, headers, sleep_ms=5)
    response = submit_ping(client, headers, sleep_ms=6)
    assert response.status_code == 422
    assert response.get_json()["code"] == "idempotency_key_reused"


def test_same_key_while_the_first_request_is_in_flight_is_409(client, accounts):
    # Given a request with this key that is still being handled
    admin = accounts.admin()
    first = submit_ping(client, {**admin.headers, "Idempotency-Key": "probe"}, sleep_ms=5)
    record = db.session.query(IdempotencyRecord).one()
    record.state, record.locked_until = "in_flight", utcnow() + timedelta(seconds=60)
    record.key = "busy"
    db.session.commit()
    assert first.status_code == 202
    # When the same key arrives again
    response = submit_ping(client, {**admin.headers, "Idempotency-Key": "busy"}, sleep_ms=5)
    # Then it is a conflict the client may retry
    assert response.status_code == 409
    assert response.get_json()["code"] == "idempotency_request_in_flight"
    assert response.headers["Retry-After"] == "1"


def test_keys_are_per_caller_and_expire(client, accounts):
    admin = accounts.admin()
    other = accounts.admin()
    key = {"Idempotency-Key": "shared-key"}
    a = submit_ping(client, {**admin.headers, **key}).get_json()
    b = submit_ping(client, {**other.headers, **key}).get_json()
    assert a["id"] != b["id"]
    # After its retention a key may be used again for a new job
    db.session.query(IdempotencyRecord).update({"expires_at": utcnow() - timedelta(seconds=1)})
    db.session.commit()
    c = submit_ping(client, {**admin.headers, **key}).get_json()
    assert c["id"] != a["id"]
