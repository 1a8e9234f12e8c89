"""A client that waits the Retry-After it was given gets through: refused attempts do not
count, so they do not push the lockout on."""

from __future__ import annotations

import time

import pytest
import redis

from api.ratelimit import Limiter, Rate
from tests.api.apihelpers import assert_problem
from tests.conftest import TEST_REDIS_URL


@pytest.fixture(params=["memory", "redis"])
def limiter(request, redis_client) -> Limiter:
    redis_client.flushdb()
    client = redis.Redis.from_url(TEST_REDIS_URL) if request.param == "redis" else None
    return Limiter({"login": Rate(5, 60)}, client, "probe:")


def test_waiting_retry_after_always_gets_through(limiter):
    # Given a caller that used its whole allowance
    now = (time.time() // 60) * 60 + 10
    for _ in range(5):
        assert limiter.hit("login", "caller", now=now).allowed
    refused = limiter.hit("login", "caller", now=now)
    assert not refused.allowed
    # When it hammers meanwhile, and then retries exactly when told, several times over
    for _ in range(20):
        assert not limiter.hit("login", "caller", now=now + 0.5).allowed
    for _ in range(6):
        now += refused.reset_seconds
        answer = limiter.hit("login", "caller", now=now)
        # Then each retry at Retry-After is let through
        assert answer.allowed, (now, refused)
        # (and it uses what it is given until refused again)
        refused = answer
        while refused.allowed:
            refused = limiter.hit("login", "caller", now=now)


def test_the_lockout_is_not_extended_by_refused_attempts(limiter):
    now = (time.time() // 60) * 60 + 1
    for _ in range(5):
        limiter.hit("login", "caller", now=now)
    first = limiter.hit("login", "caller", now=now)
    for _ in range(50):
        limiter.hit("login", "caller", now=now + 1)
    later = limiter.hit("login", "caller", now=now + 1)
    assert not first.allowed and not later.allowed
    assert later.reset_seconds <= first.reset_seconds


def test_wrong_current_passwords_are_rate_limited(client, accounts):
    # Given a signed-in user
    user = accounts.admin()
    body = {"current_password": "wrong guess", "new_password": "another long password"}
    # When wrong current passwords keep coming
    answers = [
        client.post("/api/v1/auth/password", json=body, headers=user.headers) for _ in range(6)
    ]
    # Then after the allowance each is refused before the password is checked
    assert [a.status_code for a in answers[:5]] == [401] * 5
    problem = assert_problem(answers[5], 429, "rate_limited")
    assert int(answers[5].headers["Retry-After"]) > 0, problem
