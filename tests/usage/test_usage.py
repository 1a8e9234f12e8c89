"""Usage metering and quotas: finished jobs are metered once, by day, job type and learner,
with LLM tokens and their estimated cost; a plan's limits refuse submissions past them with
a 429 problem and Retry-After, even when submissions race; a failed job gives its charge back."""

from __future__ import annotations

import copy
import io
import threading
from datetime import UTC, datetime

from sqlalchemy import func, select

from storage import usage
from storage.db import db
from storage.models.jobs import Job
from storage.models.usage import UsageCounter, UsageRecord
from tests.api.apihelpers import assert_problem
from tests.mediasamples import wav_of_seconds
from tests.pipelines.text.fake_llm import FakeOpenAI, json_completion
from tests.pipelines.text.llm_samples import ANSWERS

WRITING = "/api/v1/assessments/writing"
TEXT = {
    "text": "Last summer I travelled to Valencia with two friends. We visited the old "
    "town and we practised our Spanish every day.",
    "language": "en",
}


def set_plan(app, organisation_id: str, plan: str) -> None:
    result = app.test_cli_runner().invoke(args=["usage", "set-plan", organisation_id, plan])
    assert result.exit_code == 0, result.output


def assess(client, who, wait: bool = True):
    headers = {**who.headers, "Prefer": "wait=30"} if wait else who.headers
    return client.post(WRITING, json=TEXT, headers=headers)


def test_finished_jobs_are_metered_once_by_day_type_and_learner(client, accounts, worker):
    # Given a learner with two assessed texts and a recording, and a diagnostic job
    admin = accounts.admin()
    learner, other = accounts.member(admin, "learner"), accounts.member(admin, "learner")
    for _ in range(2):
        assert assess(client, learner).get_json()["status"] == "succeeded"
    ping = client.post("/api/v1/jobs/ping", json={}, headers={**admin.headers, "Prefer": "wait=20"})
    assert ping.get_json()["status"] == "succeeded"
    recording = client.post(
        "/api/v1/media",
        headers=learner.headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(wav_of_seconds(1)), "a.wav")},
    )
    assert recording.status_code == 201

    # When the admin reads the organisation's usage and the learner their own
    org = client.get("/api/v1/usage", headers=admin.headers).get_json()
    mine = client.get(f"/api/v1/usage/learners/{learner.id}", headers=learner.headers).get_json()

    # Then the organisation used three jobs, two of them assessments, on one day
    today = datetime.now(UTC).date().isoformat()
    assert org["plan"] == "unlimited" and org["quotas"] == []
    assert (org["totals"]["jobs"], org["totals"]["assessments"]) == (3, 2)
    assert [(d["day"], d["jobs"]) for d in org["by_day"]] == [(today, 3)]
    assert {t["job_type"]: t["assessments"] for t in org["by_job_type"]} == {
        "ping": 0,
        "writing_assessment": 2,
    }
    assert org["storage_bytes"] == recording.get_json()["size"]
    # And the learner's share is their two assessments and their recording
    assert (mine["totals"]["assessments"], mine["storage_bytes"]) == (
        2,
        recording.get_json()["size"],
    )
    # And another learner may not read it; teachers and admins may
    assert_problem(
        client.get(f"/api/v1/usage/learners/{learner.id}", headers=other.headers),
        404,
        "user_not_found",
    )
    # And a job's usage is recorded once however often its end is reported
    job = db.session.get(Job, ping.get_json()["id"])
    usage.on_job_terminal(db.session, job)
    db.session.commit()
    assert (
        db.session.scalar(
            select(func.count()).select_from(UsageRecord).where(UsageRecord.job_id == job.id)
        )
        == 1
    )
    # And a bad period is a 422 problem
    assert_problem(
        client.get(
            "/api/v1/usage",
            headers=admin.headers,
            query_string={"since": "2026-02-01", "until": "2026-01-01"},
        ),
        422,
        "validation_error",
    )


def test_llm_tokens_are_metered_with_their_estimated_cost(accounts, app_with, start_worker):
    # Given an app on an OpenAI-compatible server priced at $3 / $15 per million tokens
    with FakeOpenAI() as server:
        server.push(json_completion(copy.deepcopy(ANSWERS["writing_assessment"])))
        llm_app = app_with(
            llm_provider="openai",
            openai_base_url=server.base_url,
            openai_model="tutor-model",
            openai_api_key="sk-test",
            llm_price_input_per_mtok=3.0,
            llm_price_output_per_mtok=15.0,
        )
        start_worker(llm_app)
        c = llm_app.test_client()
        admin = accounts.admin()
        # When a text is assessed by the model (it reports 100 input and 20 output tokens)
        assert assess(c, admin).get_json()["status"] == "succeeded"
        report = c.get("/api/v1/usage", headers=admin.headers).get_json()
    # Then the tokens and their cost are in the usage
    totals = report["totals"]
    assert (totals["llm_input_tokens"], totals["llm_output_tokens"]) == (100, 20)
    assert totals["llm_cost_usd"] == round(100 * 3 / 1e6 + 20 * 15 / 1e6, 6)


def test_a_plan_limit_refuses_with_429_and_a_failed_job_gives_its_charge_back(
    app, client, accounts
):
    # Given an organisation on the free plan (10 assessments a day per learner)
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    set_plan(app, admin.organisation_id, "free")
    accepted = [assess(client, learner, wait=False) for _ in range(10)]
    assert [a.status_code for a in accepted] == [202] * 10
    # When the learner submits an eleventh
    refused = assess(client, learner, wait=False)
    # Then it is refused with the limit, the use and when it resets
    body = assert_problem(refused, 429, "quota_exceeded")
    assert body["quota"] == {
        "scope": "learner",
        "period": "day",
        "metric": "assessments",
        "limit": 10,
        "used": 10,
        "requested": 1,
        "resets_at": body["quota"]["resets_at"],
    }
    assert 0 < int(refused.headers["Retry-After"]) <= 86400
    quotas = client.get(f"/api/v1/usage/learners/{learner.id}", headers=admin.headers).get_json()[
        "quotas"
    ]
    daily = next(q for q in quotas if (q["metric"], q["period"]) == ("assessments", "day"))
    assert (daily["used"], daily["remaining"]) == (10, 0)
    # And when one of them is canceled, its charge comes back once
    first = accepted[0].get_json()["id"]
    assert client.post(f"/api/v1/jobs/{first}/cancel", headers=learner.headers).status_code in (
        200,
        202,
    )
    assert client.post(f"/api/v1/jobs/{first}/cancel", headers=learner.headers).status_code < 500
    assert assess(client, learner, wait=False).status_code == 202
    assert_problem(assess(client, learner, wait=False), 429, "quota_exceeded")


def test_parallel_submissions_cannot_overshoot_a_quota(app, accounts):
    # Given a learner of a free-plan organisation (10 a day) and 24 threads ready to submit
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    set_plan(app, admin.organisation_id, "free")
    start = threading.Barrier(24)
    statuses: list[int] = []
    lock = threading.Lock()

    def submit() -> None:
        own = app.test_client()
        start.wait(timeout=30)
        status = assess(own, learner, wait=False).status_code
        with lock:
            statuses.append(status)

    # When they all submit at once
    threads = [threading.Thread(target=submit) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # Then exactly ten were accepted and fourteen refused, and the counters agree
    assert sorted(statuses) == [202] * 10 + [429] * 14
    db.session.expire_all()
    jobs = db.session.scalar(
        select(func.count()).select_from(Job).where(Job.learner_user_id == learner.id)
    )
    used = db.session.scalars(
        select(UsageCounter.used).where(
            UsageCounter.subject == learner.id, UsageCounter.metric == "assessments"
        )
    ).all()
    assert jobs == 10 and used == [10]
