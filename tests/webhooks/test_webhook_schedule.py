"""Retry schedule, jitter, Retry-After and outcome classification."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from workers.webhooks.schedule import (
    DEFAULT_SCHEDULE,
    Outcome,
    RetryPolicy,
    parse_retry_after,
)

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def test_default_schedule_is_the_documented_one() -> None:
    # Given the default policy / Then eight attempts: now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h
    policy = RetryPolicy()
    assert DEFAULT_SCHEDULE == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    assert policy.max_attempts == 8
    assert policy.first_delay() == 0


def test_delays_follow_schedule_within_jitter() -> None:
    # Given the default policy with 10 % jitter and a seeded random source
    policy = RetryPolicy(jitter=0.1)
    rng = random.Random(7)

    # When the delay after each failed attempt is asked for
    delays = [policy.next_delay(attempt, rng=rng) for attempt in range(1, 9)]

    # Then each lies within 10 % of its schedule entry, and after the 8th there is none
    for delay, planned in zip(delays[:-1], DEFAULT_SCHEDULE[1:], strict=True):
        assert planned * 0.9 <= delay <= planned * 1.1
    assert delays[-1] is None


def test_jitter_spreads_delays() -> None:
    # Given many draws for the same attempt
    policy = RetryPolicy(jitter=0.2)
    rng = random.Random(1)
    draws = {policy.next_delay(2, rng=rng) for _ in range(20)}

    # Then they are not all the same
    assert len(draws) > 10


def test_short_schedule_for_tests() -> None:
    # Given a shortened schedule of three attempts
    policy = RetryPolicy(schedule=(0, 0.2, 0.5), jitter=0)

    # Then the delays are exactly as configured and the third failure exhausts it
    assert policy.next_delay(1) == 0.2
    assert policy.next_delay(2) == 0.5
    assert policy.next_delay(3) is None


@pytest.mark.parametrize(
    "value, expected",
    [
        ("120", 120.0),
        ("0", 0.0),
        (" 30 ", 30.0),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        ("Wed, 01 May 2024 12:05:00 GMT", 300.0),
        (format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0),
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_parsing(value: str | None, expected: float | None) -> None:
    # Given a Retry-After header in seconds or as an HTTP date
    # When parsed at a fixed time / Then it gives the wait in seconds or None
    assert parse_retry_after(value, NOW) == expected


def test_success_disable_and_retry_classification() -> None:
    policy = RetryPolicy(schedule=(0, 1, 2), jitter=0)

    # Given various answers to the first attempt / Then 2xx succeeds, 410 disables,
    # 3xx / 4xx / 5xx / network errors retry
    assert policy.decide(1, 200).outcome is Outcome.SUCCEEDED
    assert policy.decide(1, 204).outcome is Outcome.SUCCEEDED
    assert policy.decide(1, 410).outcome is Outcome.DISABLE
    for status in (301, 400, 404, 500, 502):
        decision = policy.decide(1, status)
        assert decision.outcome is Outcome.RETRY and decision.delay == 1
    refused = policy.decide(2, None, error="connection_refused")
    assert refused.outcome is Outcome.RETRY and refused.delay == 2
    assert "connection_refused" in refused.reason
    # An unusable URL fails at once: no later attempt can fix it
    assert policy.decide(1, None, error="invalid_url").outcome is Outcome.FAILED
    # A 3xx the client reported as an unfollowed redirect is not a success either
    assert policy.decide(1, 200, error="redirect_not_followed").outcome is Outcome.RETRY


def test_exhausted_after_last_attempt() -> None:
    # Given a three-attempt schedule / When the third attempt fails
    decision = RetryPolicy(schedule=(0, 1, 2)).decide(3, 500)

    # Then the delivery is exhausted
    assert decision.outcome is Outcome.EXHAUSTED and decision.delay is None


def test_retry_after_honoured_on_429_and_503_only() -> None:
    policy = RetryPolicy(schedule=(0, 1, 2), jitter=0, retry_after_cap=3600)

    # Given a 429 / 503 asking for 120 s / Then the next attempt waits 120 s, not 1 s
    assert policy.decide(1, 429, {"Retry-After": "120"}, now=NOW).delay == 120
    assert policy.decide(1, 503, {"retry-after": "120"}, now=NOW).delay == 120
    # Given a 500 with the same header / Then the schedule alone decides
    assert policy.decide(1, 500, {"Retry-After": "120"}, now=NOW).delay == 1
    # Given a Retry-After shorter than the schedule / Then the schedule wins (max of both)
    assert (
        RetryPolicy(schedule=(0, 60), jitter=0).decide(1, 429, {"Retry-After": "5"}, now=NOW).delay
        == 60
    )
    # Given an absurd Retry-After / Then it is capped
    assert policy.decide(1, 429, {"Retry-After": "999999"}, now=NOW).delay == 3600
    # Given an HTTP date / Then it is honoured too
    date = format_datetime(NOW + timedelta(seconds=600), usegmt=True)
    assert policy.decide(1, 503, {"Retry-After": date}, now=NOW).delay == 600


def test_bad_policies_are_refused() -> None:
    # Given impossible settings / Then the policy refuses them
    with pytest.raises(ValueError):
        RetryPolicy(schedule=())
    with pytest.raises(ValueError):
        RetryPolicy(schedule=(0, -1))
    with pytest.raises(ValueError):
        RetryPolicy(jitter=1.5)
    with pytest.raises(ValueError):
        RetryPolicy().next_delay(0)
