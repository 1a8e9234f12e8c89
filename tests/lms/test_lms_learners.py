"""Learners on submissions, and partners provisioning learners and recording their study
activity with an API key."""

from __future__ import annotations

from storage.db import db
from storage.models.identity import User

WRITING = "/api/v1/assessments/writing"
TEXT = {
    "text": "Yesterday I went to the market with my sister. We bought apples and bread, "
    "and then we walked home because the weather was lovely.",
    "language": "en",
}


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == code, body
    return body


def test_a_teacher_submits_for_a_learner_who_gets_the_level_and_streak(client, accounts, worker):
    # Given a teacher and a learner of one organisation
    admin = accounts.admin()
    teacher, learner = accounts.member(admin, "teacher"), accounts.member(admin, "learner")
    # When the teacher submits a writing assessment naming the learner and it runs
    response = client.post(WRITING, headers=teacher.headers, json={**TEXT, "learner": learner.id})
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["learner_id"] == learner.id
    job = client.get(response.headers["Location"] + "?wait=30", headers=teacher.headers)
    job = job.get_json()
    assert job["status"] == "succeeded", job
    # Then the learner sees the job, it counts for them (level, streak), not for the teacher
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=learner.headers).status_code == 200
    mine = client.get("/api/v1/jobs", headers=learner.headers).get_json()["items"]
    assert [j["id"] for j in mine] == [job["id"]]
    stats = client.get(f"/api/v1/users/{learner.id}/stats", headers=learner.headers).get_json()
    assert stats["assessments_taken"] == 1 and stats["current_streak"] == 1
    assert stats["levels"] == [
        {"language": "en", "level": job["result"]["cefr_level"], "source": "assessment"}
    ]
    teacher_stats = client.get(
        f"/api/v1/users/{teacher.id}/stats", headers=teacher.headers
    ).get_json()
    assert teacher_stats["assessments_taken"] == 0 and teacher_stats["levels"] == []
    # And job lists filter by learner; the webhook event names the learner
    by_learner = client.get(f"/api/v1/jobs?learner_id={learner.id}", headers=admin.headers)
    assert [j["id"] for j in by_learner.get_json()["items"]] == [job["id"]]
    assert (
        client.get(f"/api/v1/jobs?learner_id={teacher.id}", headers=admin.headers).get_json()[
            "items"
        ]
        == []
    )
    events = client.get(
        "/api/v1/events", headers=admin.headers, query_string={"job_id": job["id"]}
    ).get_json()["items"]
    assert [(e["type"], e["data"]["learner_id"]) for e in events] == [("job.succeeded", learner.id)]


def test_who_may_name_which_learner(client, accounts):
    # Given two organisations, a learner, a teacher and API keys with and without the scope
    admin = accounts.admin()
    alice, bob = accounts.member(admin, "learner"), accounts.member(admin, "learner")
    teacher = accounts.member(admin, "teacher")
    stranger = accounts.member(accounts.admin(), "learner")
    plain_key = accounts.api_key(admin, ["jobs:write"])
    acting_key = accounts.api_key(admin, ["jobs:write", "learners:write"])
    # When a learner names themself, it is accepted; naming another learner is 403
    own = client.post(WRITING, headers=alice.headers, json={**TEXT, "learner": alice.id})
    assert own.status_code == 202 and own.get_json()["learner_id"] == alice.id
    _problem(
        client.post(WRITING, headers=alice.headers, json={**TEXT, "learner": bob.id}),
        403,
        "learner_not_allowed",
    )
    # And an API key needs `learners:write` to name anyone
    _problem(
        client.post(WRITING, headers=plain_key, json={**TEXT, "learner": bob.id}),
        403,
        "insufficient_scope",
    )
    unnamed = client.post(WRITING, headers=plain_key, json=TEXT)
    assert unnamed.status_code == 202 and unnamed.get_json()["learner_id"] is None
    # And an unknown learner and another organisation's learner look the same: 422
    for ref in ("usr_nobody", stranger.id, {"external_id": "nobody", "lms": "moodle"}):
        body = _problem(
            client.post(WRITING, headers=teacher.headers, json={**TEXT, "learner": ref}),
            422,
            "learner_not_found",
        )
        assert "learner" in body["errors"]
    # And a malformed reference is a validation error
    response = client.post(
        WRITING, headers=teacher.headers, json={**TEXT, "learner": {"lms": "moodle"}}
    )
    assert response.status_code == 422
    # And a deactivated learner cannot be named
    client.delete(f"/api/v1/organisation/members/{bob.id}", headers=admin.headers)
    with db.session.begin():
        db.session.get(User, bob.id).is_active = False
    _problem(
        client.post(WRITING, headers=acting_key, json={**TEXT, "learner": bob.id}),
        422,
        "learner_inactive",
    )
    ok = client.post(WRITING, headers=acting_key, json={**TEXT, "learner": alice.id})
    assert ok.status_code == 202 and ok.get_json()["learner_id"] == alice.id


def test_a_partner_key_provisions_learners_and_submits_for_them(client, accounts):
    # Given a partner key with the learner scopes
    admin = accounts.admin()
    key = accounts.api_key(admin, ["jobs:write", "jobs:read", "learners:read", "learners:write"])
    # When it upserts a learner by its LMS id, twice
    made = client.put(
        "/api/v1/learners/lms/moodle-main/s-1001",
        headers=key,
        json={"name": "Ana Ruiz", "timezone": "Europe/Madrid", "target_languages": ["en"]},
    )
    assert made.status_code == 201, made.get_json()
    learner = made.get_json()
    assert learner["created"] is True and learner["email"] is None
    assert learner["identities"] == [{"lms": "moodle-main", "external_id": "s-1001"}]
    again = client.put(
        "/api/v1/learners/lms/moodle-main/s-1001",
        headers=key,
        json={"name": "Ana Ruiz López", "email": "ana@example.test"},
    )
    assert again.status_code == 200
    assert (again.get_json()["id"], again.get_json()["created"]) == (learner["id"], False)
    assert again.get_json()["name"] == "Ana Ruiz López"
    # Then it lists and reads them by LMS id, and submits for them by that id
    listed = client.get(
        "/api/v1/learners?lms=moodle-main&external_id=s-1001", headers=key
    ).get_json()
    assert [x["id"] for x in listed["items"]] == [learner["id"]]
    assert client.get("/api/v1/learners?lms=other", headers=key).get_json()["items"] == []
    read = client.get("/api/v1/learners/lms/moodle-main/s-1001", headers=key)
    assert read.get_json()["email"] == "ana@example.test"
    _problem(
        client.get("/api/v1/learners/lms/moodle-main/s-404", headers=key), 404, "learner_not_found"
    )
    job = client.post(
        WRITING,
        headers=key,
        json={**TEXT, "learner": {"external_id": "s-1001", "lms": "moodle-main"}},
    )
    assert job.status_code == 202 and job.get_json()["learner_id"] == learner["id"]
    # And a key without the scope, a learner, cannot provision
    reader = accounts.api_key(admin, ["learners:read"])
    _problem(
        client.put("/api/v1/learners/lms/moodle-main/s-2", headers=reader, json={}),
        403,
        "insufficient_scope",
    )
    student = accounts.member(admin, "learner")
    _problem(client.get("/api/v1/learners", headers=student.headers), 403, "insufficient_role")
    # And another organisation sees nothing of them
    other = accounts.admin()
    assert (
        client.get("/api/v1/learners?lms=moodle-main", headers=other.headers).get_json()["items"]
        == []
    )


def test_a_partner_records_study_activity_for_a_learner(client, accounts, vocab):
    # Given a provisioned learner and a word
    admin = accounts.admin()
    key = accounts.api_key(admin, ["learners:write", "learning:read"])
    learner = client.put(
        "/api/v1/learners/lms/canvas/42", headers=key, json={"name": "Kai"}
    ).get_json()
    word = vocab.word(admin, "ねこ")
    # When the key starts a session for them, answers twice and ends it
    base = f"/api/v1/learners/{learner['id']}/study-sessions"
    session = client.post(base, headers=key, json={"activity": "flashcards"})
    assert session.status_code == 201, session.get_json()
    session = session.get_json()
    assert session["user_id"] == learner["id"]
    for correct in (True, False):
        answered = client.post(
            f"{base}/{session['id']}/reviews",
            headers=key,
            json={"word_id": word["id"], "correct": correct},
        )
        assert answered.status_code == 201, answered.get_json()
    ended = client.post(f"{base}/{session['id']}/end", headers=key)
    assert ended.status_code == 200 and ended.get_json()["end_time"]
    # Then the learner's progress shows the session, the reviews and a streak day
    stats = client.get(f"/api/v1/users/{learner['id']}/stats", headers=key).get_json()
    assert (stats["sessions"], stats["reviews"], stats["correct_reviews"]) == (1, 2, 1)
    assert stats["current_streak"] == 1
    # And another organisation's learner is a 404 for this key
    outsider = accounts.member(accounts.admin(), "learner")
    _problem(
        client.post(f"/api/v1/learners/{outsider.id}/study-sessions", headers=key, json={}),
        404,
        "user_not_found",
    )
