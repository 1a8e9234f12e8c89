"""Hostile and careless input: deep JSON, lone surrogates, naive and out-of-range times,
huge numbers and pages. Each is a 4xx problem with a stable code (or is read sensibly),
never a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.db import db
from storage.models.jobs import Job
from tests.api.apihelpers import assert_problem

DEEP = "[" * 1000 + "]" * 1000
HUGE = "9" * 4301


def test_deep_json_on_the_unauthenticated_login_is_400(client):
    # When a 2 KB body nests 1,000 levels deep
    answer = client.post(
        "/api/v1/auth/login", data=f'{{"email": {DEEP}}}', content_type="application/json"
    )
    # Then it is refused before parsing, with a stable code
    assert_problem(answer, 400, "json_too_deep")


def test_deep_json_on_an_authenticated_endpoint_is_400(client, accounts):
    admin = accounts.admin()
    answer = client.patch(
        "/api/v1/auth/me",
        data=f'{{"name": "x", "x": {DEEP}}}',
        content_type="application/json",
        headers=admin.headers,
    )
    assert_problem(answer, 400, "json_too_deep")


def test_brackets_inside_strings_do_not_count_as_nesting(client, accounts):
    admin = accounts.admin()
    answer = client.patch(
        "/api/v1/auth/me", json={"name": "[" * 150 + '{"\\'}, headers=admin.headers
    )
    assert answer.status_code == 200, answer.get_json()


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("patch", "/api/v1/auth/me", "name"),
        ("patch", "/api/v1/organisation", "name"),
        ("post", "/api/v1/words", "word"),
        ("post", "/api/v1/webhooks", "description"),
    ],
)
def test_a_lone_surrogate_anywhere_in_a_body_is_400(client, accounts, method, path, field):
    # Given an admin
    admin = accounts.admin()
    # When a string holds an escaped lone surrogate
    body = f'{{"{field}": "Hello \\ud800"}}'
    answer = getattr(client, method)(
        path, data=body, content_type="application/json", headers=admin.headers
    )
    # Then it is refused at the edge, naming where
    problem = assert_problem(answer, 400, "invalid_unicode")
    assert problem["pointer"] == f"/{field}"


def test_a_lone_surrogate_in_registration_and_lms_ids_is_400(client, accounts):
    answer = client.post(
        "/api/v1/auth/register",
        data=('{"email": "s@example.test", "password": "a long enough one", "name": "\\udfff"}'),
        content_type="application/json",
    )
    assert_problem(answer, 400, "invalid_unicode")
    admin = accounts.admin()
    answer = client.put(
        f"/api/v1/lms-identities/{admin.id}",
        data='{"external_id": "lms-\\ud83d"}',
        content_type="application/json",
        headers=admin.headers,
    )
    assert_problem(answer, 400, "invalid_unicode")


def test_a_surrogate_pair_is_ordinary_text(client, accounts):
    admin = accounts.admin()
    answer = client.patch(
        "/api/v1/auth/me",
        data='{"name": "Smile \\ud83d\\ude00"}',
        content_type="application/json",
        headers=admin.headers,
    )
    assert answer.status_code == 200
    assert answer.get_json()["name"] == "Smile \U0001f600"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/jobs", ("created_after", "created_before")),
        ("/api/v1/events", ("since", "until")),
    ],
)
def test_naive_times_on_every_date_parameter_are_read_as_utc(client, accounts, path, params):
    admin = accounts.admin()
    for name in params:
        answer = client.get(path, query_string={name: "2026-01-02T03:04:05"}, headers=admin.headers)
        assert answer.status_code == 200, (name, answer.get_json())
        # A time that leaves the calendar once converted to UTC is a validation error
        answer = client.get(
            path, query_string={name: "0001-01-01T00:00:00+05:00"}, headers=admin.headers
        )
        assert_problem(answer, 422, "validation_error")


def test_a_page_past_any_offset_is_422(any_client, any_accounts):
    admin = any_accounts.admin()
    answer = any_client.get(
        "/api/v1/jobs", query_string={"page": "9223372036854775807"}, headers=admin.headers
    )
    assert_problem(answer, 422, "validation_error")
    answer = any_client.get(
        "/api/v1/organisation/members", query_string={"page": HUGE}, headers=admin.headers
    )
    assert_problem(answer, 422, "validation_error")


def test_a_number_past_the_digit_limit_in_a_body_is_4xx(client):
    answer = client.post(
        "/api/v1/auth/login",
        data=f'{{"email": {HUGE}, "password": "x"}}',
        content_type="application/json",
    )
    assert 400 <= answer.status_code < 500
    assert answer.mimetype == "application/problem+json"


def test_prefer_wait_with_thousands_of_digits_makes_one_job(app, client, accounts, worker):
    # Given an admin and a running worker
    admin = accounts.admin()
    headers = {**admin.headers, "Prefer": f"wait={HUGE}", "Idempotency-Key": "huge-wait"}
    # When a job is submitted with an absurd wait, twice with the same key
    first = client.post("/api/v1/jobs/ping", json={}, headers=headers)
    second = client.post("/api/v1/jobs/ping", json={}, headers=headers)
    # Then the wait is capped (the job is answered finished), and the retry replays it
    assert first.status_code == 200, first.get_json()
    assert first.headers["Preference-Applied"] == "wait=30"
    assert second.get_json()["id"] == first.get_json()["id"]
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1


def test_query_wait_with_thousands_of_digits_is_422(client, accounts):
    admin = accounts.admin()
    answer = client.get("/api/v1/jobs/job_x", query_string={"wait": HUGE}, headers=admin.headers)
    assert_problem(answer, 422, "validation_error")


def test_a_failure_after_the_job_is_committed_keeps_the_idempotency_key(
    client, accounts, monkeypatch
):
    # Given an answer that fails after the job was written (the long poll breaks)
    from api.jobs import submission

    def broken(*_args, **_kwargs):
        raise RuntimeError("the wait broke")

    monkeypatch.setattr(submission, "wait_for", broken)
    admin = accounts.admin()
    headers = {**admin.headers, "Prefer": "wait=5", "Idempotency-Key": "after-commit"}
    first = client.post("/api/v1/jobs/ping", json={}, headers=headers)
    assert first.status_code == 500
    # When the client retries with the same key
    second = client.post("/api/v1/jobs/ping", json={}, headers=headers)
    # Then it gets the job that exists, and no second job is made
    assert second.status_code == 202, second.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1
    assert second.get_json()["id"] == db.session.scalar(select(Job.id))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Authorization", "Bearer " + "a" * 100_000),
        ("Authorization", "Bearer " + "eyJ" + "A" * 50_000 + "." + "B" * 50_000 + ".c"),
        ("X-API-Key", "lak_" + "x" * 100_000),
        ("X-Request-ID", "r" * 100_000),
        ("Prefer", "wait=" + "9" * 100_000),
        ("If-None-Match", '"' + "e" * 100_000 + '"'),
        ("Accept-Language", "x" * 100_000),
    ],
)
def test_oversized_headers_are_4xx_or_ignored(client, accounts, name, value):
    admin = accounts.admin()
    headers = (
        {**admin.headers, name: value}
        if name not in ("Authorization", "X-API-Key")
        else {name: value}
    )
    for path in ("/api/v1/auth/me", "/api/v1/jobs", "/api/v1/jobs/job_x"):
        answer = client.get(path, headers=headers)
        assert answer.status_code < 500, (path, answer.get_json())


@pytest.mark.parametrize("method", ["post", "patch"])
def test_times_in_a_body_leaving_the_calendar_are_422_and_naive_ones_utc(client, accounts, method):
    # Given an admin with a class and an assignment (a second probe of row 11 found an
    # assignment's due_at answered 500 for a time that leaves the calendar in UTC)
    admin = accounts.admin()
    klass = client.post("/api/v1/classes", json={"name": "C"}, headers=admin.headers)
    body = {
        "class_id": klass.get_json()["id"],
        "title": "Due",
        "kind": "writing",
        "prompt_text": "Write about your day.",
        "language": "en",
    }
    made = client.post("/api/v1/assignments", json=body, headers=admin.headers)
    assert made.status_code == 201, made.get_json()
    send = (
        (
            lambda due: client.post(
                "/api/v1/assignments", json={**body, "due_at": due}, headers=admin.headers
            )
        )
        if method == "post"
        else (
            lambda due: client.patch(
                f"/api/v1/assignments/{made.get_json()['id']}",
                json={"due_at": due},
                headers=admin.headers,
            )
        )
    )
    # When due_at is off the calendar once in UTC, Then it is a validation error
    for due in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"):
        assert_problem(send(due), 422, "validation_error")
    # And a naive time is read as UTC, as on every other time the API takes
    answer = send("2026-01-02T03:04:05")
    assert answer.status_code in (200, 201), answer.get_json()
    assert answer.get_json()["due_at"] == "2026-01-02T03:04:05+00:00"


def test_a_nul_in_a_text_to_speak_is_dropped_not_a_500(client, accounts):
    # Given an admin (the hostile schemathesis run found a NUL in the text made the streamed
    # synthesis answer 500: Piper's phonemizer refuses an embedded null character)
    admin = accounts.admin()
    # When a text to speak holds control characters
    answer = client.post(
        "/api/v1/speech/synthesize/stream",
        json={"text": "Hello\u0000 wor\u0007ld.", "language": "en"},
        headers=admin.headers,
    )
    # Then they are not spoken, and the rest is
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    assert answer.data[:4] == b"RIFF" and len(answer.data) > 1000
