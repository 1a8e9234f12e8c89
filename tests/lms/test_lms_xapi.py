"""xAPI to a Learning Record Store with its credentials: assessments, study sessions and
reviews arrive as statements the `tincan` library accepts, and a retry never duplicates."""

from __future__ import annotations

import csv
import io
import time

from sqlalchemy import text

from storage.db import db
from tests.teachers.conftest import create_assignment, wait_for_batch

WRITING = "/api/v1/assessments/writing"
TEXT = {
    "text": "My favourite place is the library near my house. It is quiet and I can "
    "read there for hours, especially on rainy afternoons in winter.",
    "language": "en",
}
CEFR_EXTENSION = "/xapi/extensions/cefr-level"


def _wait(predicate, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.1)


def _deliveries(client, admin) -> list[dict]:
    return client.get("/api/v1/webhook-deliveries?per_page=100", headers=admin.headers).get_json()[
        "items"
    ]


def test_assessments_sessions_and_reviews_reach_the_lrs(client, accounts, worker, vocab, lrs):
    # Given an xAPI endpoint with the LRS's Basic credentials
    admin = accounts.admin()
    endpoint = lrs.register(client, admin)
    assert endpoint["lrs_auth_scheme"] == "basic" and "lrs-secret" not in str(endpoint)
    stored = db.session.execute(text("SELECT lrs_credentials FROM webhook_endpoints")).scalar()
    assert stored.startswith("enc:v1:") and "lrs-secret" not in stored
    # When a learner is assessed, and studies a word in a session
    learner = accounts.member(admin, "learner")
    job = client.post(
        WRITING,
        headers={**admin.headers, "Prefer": "wait=30"},
        json={**TEXT, "learner": learner.id},
    ).get_json()
    assert job["status"] == "succeeded", job
    word = vocab.word(admin, "ねこ")
    session = client.post(
        "/api/v1/study-sessions", headers=learner.headers, json={"activity": "flashcards"}
    ).get_json()
    client.post(
        f"/api/v1/study-sessions/{session['id']}/reviews",
        headers=learner.headers,
        json={"word_id": word["id"], "correct": True},
    )
    client.post(f"/api/v1/study-sessions/{session['id']}/end", headers=learner.headers)
    # Then three valid statements arrive, one per record
    _wait(lambda: len(lrs.statements) >= 3)
    assert lrs.refused == []
    by_verb = {s["verb"]["display"]["en-US"]: s for s in lrs.statements.values()}
    assert set(by_verb) == {"scored", "answered", "completed"}
    scored = by_verb["scored"]
    assert scored["actor"]["account"] == {
        "homePage": "https://lms.example.test",
        "name": learner.id,
    }
    assert 0 <= scored["result"]["score"]["scaled"] <= 1
    cefr = [v for k, v in scored["result"]["extensions"].items() if k.endswith(CEFR_EXTENSION)]
    assert cefr == [job["result"]["cefr_level"]]
    assert by_verb["answered"]["result"]["success"] is True
    assert by_verb["answered"]["object"]["definition"]["name"] == {"en-US": "ねこ"}
    assert by_verb["completed"]["result"]["score"] == {"scaled": 1.0, "raw": 1, "min": 0, "max": 1}
    # When a delivered statement is sent again (a manual redelivery)
    _wait(lambda: all(d["state"] == "succeeded" for d in _deliveries(client, admin)))
    ended = next(d for d in _deliveries(client, admin) if d["event_type"] == "study.session.ended")
    received = lrs.received
    again = client.post(f"/api/v1/webhook-deliveries/{ended['id']}/retry", headers=admin.headers)
    assert again.status_code == 202, again.get_json()
    _wait(lambda: lrs.received > received)
    # Then the LRS got the same statement id: nothing is duplicated
    assert lrs.received == received + 1 and len(lrs.statements) == 3
    assert lrs.refused == []


def test_an_lrs_that_refuses_is_retried_with_the_reason_recorded(
    client, accounts, worker, vocab, lrs
):
    # Given an xAPI endpoint whose LRS password is wrong, and an LRS down for one request
    admin = accounts.admin()
    lrs.register(
        client, admin, lrs_auth={"scheme": "basic", "username": "lrs-key", "password": "wrong"}
    )
    lrs.fail_next.append(503)
    learner = accounts.member(admin, "learner")
    session = client.post("/api/v1/study-sessions", headers=learner.headers, json={}).get_json()
    client.post(f"/api/v1/study-sessions/{session['id']}/end", headers=learner.headers)
    # When the delivery runs out of attempts
    _wait(lambda: _deliveries(client, admin)[0]["state"] == "exhausted")
    (delivery,) = _deliveries(client, admin)
    # Then each refusal is in the log, and nothing was stored
    assert delivery["state"] == "exhausted", delivery
    statuses = [a["response_status"] for a in delivery["attempt_log"]]
    assert statuses[0] == 503 and set(statuses[1:]) == {401}
    assert "HTTP 401" in delivery["error_detail"] or delivery["response_status"] == 401
    assert lrs.statements == {}


def test_an_lrs_with_oauth_client_credentials(client, accounts, worker, lrs):
    # Given an xAPI endpoint whose LRS wants an OAuth2 client-credentials token
    admin = accounts.admin()
    made = lrs.register(
        client,
        admin,
        lrs_auth={
            "scheme": "oauth",
            "token_url": lrs.token_url,
            "client_id": "lrs-client",
            "client_secret": "lrs-client-secret",
            "scope": "statements/write",
        },
    )
    assert made["lrs_auth_scheme"] == "oauth" and "lrs-client-secret" not in str(made)
    # When a learner ends a study session
    learner = accounts.member(admin, "learner")
    session = client.post("/api/v1/study-sessions", headers=learner.headers, json={}).get_json()
    client.post(f"/api/v1/study-sessions/{session['id']}/end", headers=learner.headers)
    # Then the statement arrives with a token the LRS issued
    _wait(lambda: len(lrs.statements) == 1)
    assert lrs.refused == [] and len(lrs.tokens) == 1
    (statement,) = lrs.statements.values()
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"

    # When a second session ends
    second = client.post("/api/v1/study-sessions", headers=learner.headers, json={}).get_json()
    client.post(f"/api/v1/study-sessions/{second['id']}/end", headers=learner.headers)
    # Then its statement goes with the same token, not a new one
    _wait(lambda: len(lrs.statements) == 2)
    assert lrs.refused == [] and len(lrs.tokens) == 1

    # When the LRS revokes its tokens and a third session ends
    lrs.tokens.clear()
    third = client.post("/api/v1/study-sessions", headers=learner.headers, json={}).get_json()
    client.post(f"/api/v1/study-sessions/{third['id']}/end", headers=learner.headers)
    # Then the refused statement is sent again at once with a new token: one delivery attempt
    _wait(lambda: len(lrs.statements) == 3)
    assert [status for status, _ in lrs.refused] == [401] and len(lrs.tokens) == 1
    ended = [d for d in _deliveries(client, admin) if d["event_type"] == "study.session.ended"]
    assert all(d["state"] == "succeeded" and d["attempts"] == 1 for d in ended)


def test_a_teachers_review_reaches_the_lrs_as_a_statement_of_its_own(client, accounts, worker, lrs):
    # Given an xAPI endpoint, and a learner's text assessed in a teacher's assignment
    admin = accounts.admin()
    lrs.register(client, admin)
    teacher = accounts.member(admin, "teacher")
    learner = accounts.member(admin, "learner")
    class_id = client.post(
        "/api/v1/classes", json={"name": "B1", "language": "en"}, headers=teacher.headers
    ).get_json()["id"]
    client.post(
        f"/api/v1/classes/{class_id}/members",
        headers=teacher.headers,
        json={"role": "learner", "user_ids": [learner.id]},
    )
    assignment = create_assignment(client, teacher, class_id)
    sheet = io.StringIO()
    csv.writer(sheet).writerows([("learner", "text"), (learner.email, TEXT["text"])])
    media = client.post(
        "/api/v1/media",
        headers=teacher.headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(sheet.getvalue().encode()), "texts.csv")},
    )
    batch = client.post(
        f"/api/v1/assignments/{assignment['id']}/batches",
        json={"texts_media_id": media.get_json()["id"]},
        headers=teacher.headers,
    )
    wait_for_batch(client, batch.headers["Location"], teacher.headers)
    _wait(lambda: len(lrs.statements) >= 1)
    (ai_statement,) = lrs.statements.values()
    (result,) = client.get(
        f"/api/v1/assignments/{assignment['id']}/results", headers=teacher.headers
    ).get_json()["items"]

    # When the teacher reviews it with another level and sub-score
    sub_score = sorted(result["ai_scores"])[0]
    reviewed = client.post(
        f"/api/v1/assignments/{assignment['id']}/results/{result['job_id']}/reviews",
        headers=teacher.headers,
        json={"level": "C1", "scores": {sub_score: 95}, "comment": "Well argued."},
    )
    assert reviewed.status_code == 201, reviewed.get_json()

    # Then a second statement arrives beside the AI's (statements are immutable), for the
    # same learner and activity, with the reviewed level, sub-score and the teacher's comment
    _wait(lambda: len(lrs.statements) >= 2)
    assert lrs.refused == [] and len(lrs.statements) == 2
    (review,) = [s for s in lrs.statements.values() if s["id"] != ai_statement["id"]]
    assert review["actor"] == ai_statement["actor"]
    assert review["object"]["id"] == ai_statement["object"]["id"]
    extensions = review["result"]["extensions"]
    assert [v for k, v in extensions.items() if k.endswith(CEFR_EXTENSION)] == ["C1"]
    assert [v[sub_score] for k, v in extensions.items() if k.endswith("sub-scores")] == [95]
    assert review["result"]["response"] == "Reviewed by a teacher: Well argued."
    assert review["timestamp"] > ai_statement["timestamp"]


def test_statements_name_the_learner_by_their_id_in_the_lrs_lms(client, accounts, worker, lrs):
    # Given an xAPI endpoint for the LRS of the LMS "my-lms", and a learner that LMS
    # provisioned as "stu-42" (the platform's own user id is another)
    admin = accounts.admin()
    assert lrs.register(client, admin, actor_lms="my-lms")["actor_lms"] == "my-lms"
    provisioned = client.put(
        "/api/v1/learners/lms/my-lms/stu-42", headers=admin.headers, json={"name": "Ana Ruiz"}
    )
    assert provisioned.status_code == 201, provisioned.get_json()
    # and a learner the LMS does not know
    other = accounts.member(admin, "learner")

    # When both are assessed
    for learner in ({"external_id": "stu-42", "lms": "my-lms"}, other.id):
        job = client.post(
            WRITING,
            headers={**admin.headers, "Prefer": "wait=30"},
            json={**TEXT, "learner": learner},
        ).get_json()
        assert job["status"] == "succeeded", job

    # Then the LMS's learner is the actor by the LMS's id, the other by the platform's
    _wait(lambda: len(lrs.statements) >= 2)
    assert lrs.refused == []
    names = sorted(s["actor"]["account"]["name"] for s in lrs.statements.values())
    assert names == sorted(["stu-42", other.id])
    assert provisioned.get_json()["id"] not in names
