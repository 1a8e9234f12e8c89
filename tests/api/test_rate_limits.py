"""Rate limits: sign-in attempts, registrations and job submissions, counted in Redis."""

from __future__ import annotations

import pytest

from api.ratelimit import Limiter, Rate, parse_rate
from tests.api.apihelpers import assert_problem
from tests.factories import Accounts
from tests.jobs.helpers import submit_ping

LOGIN = "/api/v1/auth/login"


def login(client, email: str, address: str | None = None):
    headers = {"X-Forwarded-For": address} if address else {}
    return client.post(
        LOGIN, json={"email": email, "password": "not the password"}, headers=headers
    )


def test_sign_in_attempts_per_account_are_limited(app_with):
    # Given a platform allowing 3 sign-in attempts a minute per account and address
    client = app_with(rate_limits=(("login", "3/minute"),)).test_client()

    # When a fourth wrong password is tried for one account
    answers = [login(client, "victim@example.com") for _ in range(4)]

    # Then the first three are 401 and the fourth a 429 problem saying when to come back
    assert [a.status_code for a in answers[:3]] == [401, 401, 401]
    limited = assert_problem(answers[3], 429, "rate_limited")
    assert "3 every 60 s" in limited["detail"]
    # (at most the rest of this window and the third of the next one in which the three
    # served attempts of this one still leave no room for one more; the refused fourth
    # does not count)
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 80
    assert answers[2].headers["RateLimit-Limit"] == "3"
    assert answers[2].headers["RateLimit-Remaining"] == "0"
    # And the email's case does not open a new allowance, while another account is free
    assert login(client, "VICTIM@example.com").status_code == 429
    assert login(client, "other@example.com").status_code == 401


def test_sign_in_attempts_per_address_are_limited_behind_a_trusted_proxy(app_with):
    # Given a platform behind one proxy allowing 2 sign-ins a minute per address
    client = app_with(
        rate_limits=(("login_address", "2/minute"),), trusted_proxy_count=1
    ).test_client()

    # When one address tries three accounts
    answers = [login(client, f"user{n}@example.com", "203.0.113.7") for n in range(3)]

    # Then the third is refused, and another address is not
    assert [a.status_code for a in answers] == [401, 401, 429]
    assert login(client, "user9@example.com", "198.51.100.2").status_code == 401


def test_forwarded_addresses_are_ignored_without_a_trusted_proxy(app_with):
    # Given a platform not behind a proxy: anyone could send X-Forwarded-For
    client = app_with(rate_limits=(("login_address", "2/minute"),)).test_client()
    # When the header changes on every attempt, Then the attempts still share one address
    answers = [login(client, f"user{n}@example.com", f"203.0.113.{n}") for n in range(3)]
    assert [a.status_code for a in answers] == [401, 401, 429]


def test_registrations_per_address_are_limited(app_with):
    client = app_with(rate_limits=(("register", "2/hour"),)).test_client()
    accounts = Accounts(client)
    accounts.admin()
    accounts.admin()
    third = client.post(
        "/api/v1/auth/register",
        json={
            "email": "third@example.com",
            "password": "correct horse battery",
            "name": "Third",
            "organisation_name": "Third",
        },
    )
    assert_problem(third, 429, "rate_limited")
    assert int(third.headers["Retry-After"]) > 60


def test_job_submissions_are_limited_per_organisation(app_with):
    # Given two organisations on a platform allowing 3 job submissions a minute each
    client = app_with(rate_limits=(("submit", "3/minute"),)).test_client()
    accounts = Accounts(client)
    busy, quiet = accounts.admin(), accounts.admin()
    first = submit_ping(client, {**busy.headers, "Idempotency-Key": "first"})
    for _ in range(2):
        assert submit_ping(client, busy.headers).status_code == 202

    # When the busy one submits a fourth
    fourth = submit_ping(client, busy.headers)

    # Then it is refused, no job is created, and the other organisation is not affected
    assert_problem(fourth, 429, "rate_limited")
    listed = client.get("/api/v1/jobs", headers=busy.headers).get_json()
    assert listed["pagination"]["total_items"] == 3
    assert submit_ping(client, quiet.headers).status_code == 202
    # And replaying an earlier request by its Idempotency-Key still answers it
    replay = submit_ping(client, {**busy.headers, "Idempotency-Key": "first"})
    assert replay.status_code == 202 and replay.get_json()["id"] == first.get_json()["id"]


def test_limits_are_not_enforced_when_redis_is_unreachable(app_with):
    # Given a platform whose Redis is down, allowing one sign-in attempt a minute
    client = app_with(
        redis_url="redis://127.0.0.1:1/0", rate_limits=(("login", "1/minute"),)
    ).test_client()
    # When several attempts come, Then each is answered on its merits, none refused
    assert [login(client, "a@example.com").status_code for _ in range(3)] == [401] * 3


def test_the_sliding_window_counts_the_previous_window_by_its_overlap():
    # Given an in-process limiter of 10 a minute
    limiter = Limiter({"submit": Rate(10, 60)}, None, "")
    # When 10 requests come late in one window
    for _ in range(10):
        assert limiter.hit("submit", "org", now=50.0).allowed
    # Then early in the next window the previous one still counts almost whole
    refused = limiter.hit("submit", "org", now=61.0)
    assert not refused.allowed
    # and the answer says when enough of it has slid out (10 * 59/60 + 1 > 10 until t=66)
    assert refused.reset_seconds == 5
    # And halfway through the next window half of it counts (the refused request does not):
    # room for 5 more
    allowed = [limiter.hit("submit", "org", now=90.0).allowed for _ in range(6)]
    assert allowed == [True, True, True, True, True, False]
    # And another identity has its own allowance
    assert limiter.hit("submit", "other", now=90.0).remaining == 9


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("10/minute", Rate(10, 60)),
        ("5/second", Rate(5, 1)),
        ("100/3600", Rate(100, 3600)),
        ("0/day", Rate(0, 86400)),
    ],
)
def test_rates_parse(text, rate):
    assert parse_rate(text) == rate


def test_a_limit_of_zero_is_off():
    limiter = Limiter({"login": Rate(0, 60)}, None, "")
    assert all(limiter.hit("login", "a") is None for _ in range(100))
