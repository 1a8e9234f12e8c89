"""xAPI and LTI AGS endpoints: an assessment result of a learner with an LMS id, delivered
by a real worker to a real receiver and verified with `standardwebhooks`."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from standardwebhooks.webhooks import Webhook

from tests.webhooks.webhook_support import finish_assessment

ISO_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ISO_DURATION = re.compile(r"^PT(\d+H)?(\d+M)?(\d+(\.\d+)?S)?$")
LMS = "https://lms.school.example"


RESULT = {
    "cefr": {"level": "B1", "confidence": 0.8},
    "scores": {"overall": 62, "fluency": 58, "pronunciation": 70},
    "transcript": {"duration": 31.2},
    "feedback": "Speech rate 104 words/min; fluent speech is usually above 120.",
}


def set_lms_id(hooks, admin, user_id: str, external_id: str | None) -> None:
    response = hooks.client.put(
        f"/api/v1/lms-identities/{user_id}",
        json={"external_id": external_id},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"user_id": user_id, "external_id": external_id}


def test_xapi_statement_for_an_assessment(accounts, hooks, receiver, worker) -> None:
    # Given an xAPI endpoint and a learner known to the LMS as "lms-778"
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    set_lms_id(hooks, admin, learner.id, "lms-778")
    endpoint = hooks.create(
        admin, receiver.url("/xapi/statements"), format="xapi", lms_base_url=LMS
    )

    # When the learner's speaking assessment succeeds
    job_id = finish_assessment(admin.organisation_id, learner.id, RESULT)

    # Then the LRS endpoint receives a signed xAPI 1.0.3 statement about that learner
    request = receiver.wait_for(1)[0]
    statement = Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert request.headers["X-Experience-API-Version"] == "1.0.3"
    assert uuid.UUID(statement["id"])
    assert statement["version"] == "1.0.3"
    assert statement["actor"]["account"] == {"homePage": LMS, "name": "lms-778"}
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/scored"
    assert statement["object"]["id"].startswith("http")
    assert statement["object"]["definition"]["name"]["en-US"]
    score = statement["result"]["score"]
    assert -1 <= score["scaled"] <= 1 and score["min"] <= score["raw"] <= score["max"]
    assert (score["raw"], score["max"]) == (62.0, 100.0)
    assert statement["result"]["completion"] is True
    assert ISO_DURATION.match(statement["result"]["duration"])
    assert "B1" in statement["result"]["extensions"].values()
    assert ISO_OFFSET.match(statement["timestamp"])
    assert job_id in statement["context"]["extensions"].values()


def test_lti_ags_score_for_an_assessment(accounts, hooks, receiver, worker) -> None:
    # Given an LTI AGS endpoint and a learner with an LMS id
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    set_lms_id(hooks, admin, learner.id, "lti-user-5")
    endpoint = hooks.create(admin, receiver.url("/lineitems/7/scores"), format="lti_ags")

    # When the learner's assessment succeeds
    finish_assessment(admin.organisation_id, learner.id, RESULT)

    # Then the gradebook receives a signed AGS score with every required field
    request = receiver.wait_for(1)[0]
    score = Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert request.headers["Content-Type"] == "application/vnd.ims.lis.v1.score+json"
    assert score["userId"] == "lti-user-5"
    assert (score["scoreGiven"], score["scoreMaximum"]) == (62.0, 100.0)
    assert score["activityProgress"] == "Completed"
    assert score["gradingProgress"] == "FullyGraded"
    assert ISO_OFFSET.match(score["timestamp"])
    datetime.fromisoformat(score["timestamp"])
    assert "CEFR B1" in score["comment"]


def test_lms_endpoints_skip_what_is_not_an_assessment(accounts, hooks, receiver, worker) -> None:
    # Given an xAPI endpoint and a standard one
    admin = accounts.admin()
    xapi = hooks.create(admin, receiver.url("/xapi"), format="xapi")
    standard = hooks.create(admin, receiver.url("/standard"))

    # When a diagnostic job succeeds (its result has no score) and another one fails
    done = hooks.ping(admin)
    failed = hooks.ping(admin, reject=True)
    hooks.wait_job(admin, done["id"])
    hooks.wait_job(admin, failed["id"])

    # Then the standard endpoint hears both; the xAPI one gets no statement
    requests = receiver.wait_for(2)
    assert {r.path for r in requests} == {"/standard"}
    [skipped] = hooks.deliveries(admin, xapi["id"])  # job.failed is never queued for xAPI
    skipped = hooks.wait_delivery(admin, skipped["id"], ("skipped",))
    assert skipped["attempts"] == 0 and "not an assessment" in skipped["error_detail"]
    assert len(hooks.deliveries(admin, standard["id"])) == 2


def test_webhook_test_in_lms_formats_carries_no_grade(accounts, hooks, receiver, worker) -> None:
    # Given xAPI and LTI AGS endpoints
    admin = accounts.admin()
    set_lms_id(hooks, admin, admin.id, "lms-admin")
    xapi = hooks.create(admin, receiver.url("/xapi"), format="xapi", lms_base_url=LMS)
    lti = hooks.create(admin, receiver.url("/lti"), format="lti_ags")

    # When each is sent a test message
    hooks.client.post(f"/api/v1/webhooks/{xapi['id']}/test", headers=admin.headers)
    receiver.wait_for(1)
    hooks.client.post(f"/api/v1/webhooks/{lti['id']}/test", headers=admin.headers)
    first, second = receiver.wait_for(2)

    # Then both are valid in their protocol and neither records a grade
    statement = Webhook(xapi["secret"]).verify(first.body, first.headers)
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/initialized"
    assert statement["actor"]["account"] == {"homePage": LMS, "name": "lms-admin"}
    assert "result" not in statement
    score = Webhook(lti["secret"]).verify(second.body, second.headers)
    assert score["userId"] == "lms-admin"
    assert score["gradingProgress"] == "NotReady" and "scoreGiven" not in score
