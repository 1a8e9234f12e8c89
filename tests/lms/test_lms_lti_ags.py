"""LTI AGS against a real LTI 1.3 platform implementation on loopback: the platform verifies
the tool's client assertion against the tool's JWKS fetched over HTTP, and takes line items
and scores through its AGS service."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from storage import lti
from storage.db import db
from storage.models.identity import User
from storage.models.lti import LtiPlatform
from tests.lms.lrs import TestLrsServer
from tests.lms.lti_platform import CLIENT_ID, DEPLOYMENT_ID, LmsPlatform
from tests.teachers.conftest import create_assignment, wait_for_batch

AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
WRITING = "/api/v1/assessments/writing"
TEXT = {
    "text": "Last summer I travelled to Valencia with two friends. We visited the old "
    "town, we ate paella near the beach and we practised our Spanish every day.",
    "language": "en",
}


@pytest.fixture
def tool_url(app) -> Iterator[str]:
    """The platform under test served over HTTP, so the LMS can fetch its JWKS."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def lms(tool_url) -> Iterator[LmsPlatform]:
    platform = LmsPlatform().start(tool_url)
    yield platform
    platform.stop()


def _register(client, admin, lms: LmsPlatform) -> dict:
    response = client.post(
        "/api/v1/lti/platforms",
        headers=admin.headers,
        json={
            "name": "Test LMS",
            "issuer": lms.url,
            "client_id": CLIENT_ID,
            "deployment_ids": [DEPLOYMENT_ID],
            "auth_login_url": f"{lms.url}/auth",
            "token_url": f"{lms.url}/token",
            "jwks_url": f"{lms.url}/jwks",
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _launch(lms: LmsPlatform, platform_id: str, sub: str) -> str:
    claims = lms.launch_claims(
        sub=sub,
        resource_link_id="rl-writing-1",
        title="Writing: a trip",
        custom={"task_type": "writing_assessment"},
    )
    upserted, _ = lti.record_launch(db.session, db.session.get(LtiPlatform, platform_id), claims)
    db.session.commit()
    return upserted.user.id


def _assess(client, headers, learner) -> dict:
    body = {**TEXT, "learner": learner} if learner else TEXT
    response = client.post(WRITING, headers={**headers, "Prefer": "wait=30"}, json=body)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "succeeded"
    return response.get_json()


def _scores(lms: LmsPlatform, count: int, seconds: float = 20) -> list[dict]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        scores = [s for items in lms.gradebook.scores.values() for s in items]
        if len(scores) >= count:
            return scores
        time.sleep(0.1)
    return [s for items in lms.gradebook.scores.values() for s in items]


def _ags_deliveries(client, admin) -> list[dict]:
    items = client.get("/api/v1/webhook-deliveries?per_page=100", headers=admin.headers).get_json()[
        "items"
    ]
    return [d for d in items if d["format"] == "lti_ags"]


def _settled(client, admin, seconds: float = 10) -> list[dict]:
    """The AGS deliveries, newest first, once none is pending or being sent."""
    deadline = time.monotonic() + seconds
    while True:
        found = _ags_deliveries(client, admin)
        if all(d["state"] not in ("pending", "sending") for d in found):
            return found
        if time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_a_launched_learner_is_graded_in_the_lms_gradebook(client, accounts, worker, lms):
    # Given an organisation that registered the LMS, and a learner launched from a link
    admin = accounts.admin()
    platform = _register(client, admin, lms)
    learner_id = _launch(lms, platform["id"], sub="lms-user-77")
    # When an assessment runs for that learner, named by their LMS id
    job = _assess(client, admin.headers, {"external_id": "lms-user-77", "lms": platform["id"]})
    assert job["learner_id"] == learner_id
    # Then the score is in the LMS's gradebook, on a line item bound to the resource link
    (score,) = _scores(lms, 1)
    (item,) = lms.gradebook.lineitems.values()
    assert item["resourceLinkId"] == "rl-writing-1" and item["label"] == "Writing: a trip"
    assert score["userId"] == "lms-user-77"
    assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
    assert score["scoreMaximum"] == 100 and 0 <= score["scoreGiven"] <= 100
    assert score["comment"].startswith("CEFR " + job["result"]["cefr_level"])
    # And the tool got one access token with its signed assertion, verified by the LMS
    assert lms.gradebook.token_requests == 1
    delivery = _settled(client, admin)[0]
    assert delivery["state"] == "succeeded" and delivery["url"].endswith("/scores")

    # When the line item is deleted in the LMS and the LMS fails once with 503
    lms.gradebook.lineitems.clear()
    lms.gradebook.fail_scores.append(503)
    _assess(client, admin.headers, learner_id)
    # Then the delivery is retried, the line item found again (recreated), nothing duplicated
    scores = _scores(lms, 2)
    assert len(scores) == 2 and len(lms.gradebook.lineitems) == 1
    second = _settled(client, admin)[0]
    assert second["state"] == "succeeded" and second["attempts"] == 2
    assert second["attempt_log"][0]["response_status"] == 503
    # And the cached access token was reused
    assert lms.gradebook.token_requests == 1


def test_a_refused_token_is_recorded_and_retried(client, accounts, worker, lms):
    # Given a registered LMS whose token endpoint refuses the tool twice
    admin = accounts.admin()
    platform = _register(client, admin, lms)
    learner_id = _launch(lms, platform["id"], sub="lms-user-9")
    lms.gradebook.fail_tokens.extend([401, 500])
    # When an assessment for the learner ends
    _assess(client, admin.headers, learner_id)
    # Then the grade arrives after the retries, with each refusal in the delivery log
    (score,) = _scores(lms, 1)
    assert score["userId"] == "lms-user-9"
    (delivery,) = _settled(client, admin)
    assert [a["response_status"] for a in delivery["attempt_log"]] == [401, 500, 200]
    assert "token request refused" in delivery["attempt_log"][0]["error_detail"]


def test_jwks_publishes_the_signing_key_and_keeps_a_rotated_one(client):
    # Given the tool's key set
    first = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert len(first) == 1 and first[0]["alg"] == "RS256" and first[0]["kid"]
    assert "d" not in first[0]  # never the private part
    # When the key is rotated
    lti.rotate_key(db.session)
    db.session.commit()
    keys = client.get("/.well-known/jwks.json").get_json()["keys"]
    # Then the new key signs and the old one is still published for the grace period
    assert len(keys) == 2 and keys[1]["kid"] == first[0]["kid"]
    assert lti.signing_key(db.session).kid == keys[0]["kid"]


def test_an_lms_launch_starts_the_task_and_the_grade_goes_back(client, accounts, worker, lms):
    # Given an organisation that registered the LMS
    admin = accounts.admin()
    _register(client, admin, lms)
    # When the LMS starts a launch: login initiation at the tool, the tool's authentication
    # request at the LMS, and the LMS's id_token posted back to the tool (as a browser does)
    start = lms.login_initiation(
        login_hint="lms-user-5",
        sub="lms-user-5",
        name="Kai Lee",
        resource_link_id="rl-w-2",
        title="Writing: my town",
        custom={"task_type": "writing_assessment"},
    )
    login = client.get("/lti/login", query_string=start)
    assert login.status_code == 302, login.get_data(as_text=True)
    assert login.headers["Location"].startswith(f"{lms.url}/auth?")
    form = requests.get(login.headers["Location"], timeout=10)
    assert form.status_code == 200, form.text
    form = form.json()
    assert form["launch_url"].endswith("/lti/launch")
    landed = client.post("/lti/launch", data={"id_token": form["id_token"], "state": form["state"]})
    # Then the tool lands the learner on the task, with a session of their own
    assert landed.status_code == 200, landed.get_data(as_text=True)
    page = landed.get_data(as_text=True)
    task = json.loads(html.unescape(re.search(r'data-task="([^"]*)"', page).group(1)))
    assert task["task_type"] == "writing_assessment" and "Writing: my town" in page
    learner = {"Authorization": f"Bearer {task['access_token']}"}
    me = client.get("/api/v1/auth/me", headers=learner).get_json()
    assert (me["id"], me["role"], me["name"]) == (task["learner_id"], "learner", "Kai Lee")
    # And the learner's own assessment is graded back to the LMS gradebook
    _assess(client, learner, None)
    (score,) = _scores(lms, 1)
    assert score["userId"] == "lms-user-5"
    (item,) = lms.gradebook.lineitems.values()
    assert item["resourceLinkId"] == "rl-w-2"
    # And a replayed id_token (its nonce used) is refused
    again = client.post("/lti/launch", data={"id_token": form["id_token"], "state": form["state"]})
    assert again.status_code == 401 and again.get_json()["code"] == "lti_launch_refused"


def _browser_launch(client, lms: LmsPlatform, **launch) -> object:
    """What a browser does between the LMS and the tool: login, authorise, post id_token."""
    login = client.get("/lti/login", query_string=lms.login_initiation(**launch))
    assert login.status_code == 302, login.get_data(as_text=True)
    form = requests.get(login.headers["Location"], timeout=10)
    assert form.status_code == 200, form.text
    form = form.json()
    return client.post("/lti/launch", data={"id_token": form["id_token"], "state": form["state"]})


def test_an_instructor_places_a_speaking_task_by_deep_linking(client, accounts, lms, catalogue):
    # Given a registered LMS and a speaking task of the catalogue
    admin = accounts.admin()
    _register(client, admin, lms)
    prompt = client.get(
        "/api/v1/speaking-prompts?language=es&per_page=1", headers=admin.headers
    ).get_json()["items"][0]
    # When an instructor opens the tool from the course's "add activity" (Deep Linking)
    picker = _browser_launch(client, lms, login_hint="teacher-1", sub="teacher-1", deep_link=True)
    assert picker.status_code == 200, picker.get_data(as_text=True)
    page = picker.get_data(as_text=True)
    assert prompt["id"] in page
    launch_id = re.search(r"name='launch_id' value='([^']+)'", page).group(1)
    # And picks the speaking task
    chosen = client.post("/lti/deep-link", data={"launch_id": launch_id, "task": prompt["id"]})
    assert chosen.status_code == 200, chosen.get_data(as_text=True)
    form = chosen.get_data(as_text=True)
    action = re.search(r'action="([^"]+)"', form).group(1)
    signed = re.search(r'name="JWT" value="([^"]+)"', form).group(1)
    # Then the LMS accepts the signed response (verified with the tool's JWKS) and places it
    placed = requests.post(action, data={"JWT": signed}, timeout=10)
    assert placed.status_code == 200, placed.text
    (item,) = lms.placements
    assert item["type"] == "ltiResourceLink" and item["url"].endswith("/lti/launch")
    assert item["custom"] == {"prompt_id": prompt["id"], "task_type": "speaking_assessment"}
    assert item["lineItem"]["scoreMaximum"] == 100
    # And a learner cannot open the picker
    learner_try = _browser_launch(
        client, lms, login_hint="s-1", sub="s-1", deep_link=True, instructor=False
    )
    assert learner_try.status_code == 403
    assert learner_try.get_json()["code"] == "lti_instructor_required"


def test_a_course_roster_syncs_its_learners_as_a_job(client, accounts, worker, lms):
    # Given a launched course whose LMS lists two learners and an instructor (NRPS)
    admin = accounts.admin()
    platform = _register(client, admin, lms)
    _launch(lms, platform["id"], sub="lms-user-1")
    learner_role = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
    lms.members.extend(
        [
            {"user_id": "lms-user-1", "roles": [learner_role], "name": "Ana Ruiz"},
            {
                "user_id": "lms-user-2",
                "roles": [learner_role],
                "name": "Bo Chen",
                "email": "bo@example.test",
            },
            {
                "user_id": "lms-teacher",
                "name": "Teacher",
                "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
            },
        ]
    )
    # When an admin synchronises the roster
    response = client.post(
        f"/api/v1/lti/platforms/{platform['id']}/roster-syncs",
        headers={**admin.headers, "Prefer": "wait=20"},
        json={"resource_link_id": "rl-writing-1"},
    )
    # Then the job lists the members and creates the missing learner only
    assert response.status_code == 200, response.get_json()
    job = response.get_json()
    assert job["status"] == "succeeded", job
    assert job["result"]["members"] == 3 and job["result"]["skipped"] == 1
    assert (job["result"]["learners_created"], job["result"]["learners_updated"]) == (1, 1)
    listed = client.get(f"/api/v1/learners?lms={platform['id']}", headers=admin.headers).get_json()[
        "items"
    ]
    assert sorted(x["identities"][0]["external_id"] for x in listed) == ["lms-user-1", "lms-user-2"]
    # And an unknown resource link is a 404
    missing = client.post(
        f"/api/v1/lti/platforms/{platform['id']}/roster-syncs",
        headers=admin.headers,
        json={"resource_link_id": "nope"},
    )
    assert missing.status_code == 404
    assert missing.get_json()["code"] == "lti_resource_link_not_found"


def test_a_teachers_review_replaces_the_ai_grade_in_the_gradebook(client, accounts, worker, lms):
    # Given a learner launched from the LMS's writing link, in a teacher's class
    admin = accounts.admin()
    platform = _register(client, admin, lms)
    learner_id = _launch(lms, platform["id"], sub="lms-user-88")
    learner_email = db.session.get(User, learner_id).email
    teacher = accounts.member(admin, "teacher")
    created = client.post(
        "/api/v1/classes", json={"name": "B1 writing", "language": "en"}, headers=teacher.headers
    )
    class_id = created.get_json()["id"]
    added = client.post(
        f"/api/v1/classes/{class_id}/members",
        headers=teacher.headers,
        json={"role": "learner", "user_ids": [learner_id]},
    )
    assert added.status_code == 200, added.get_json()
    assignment = create_assignment(client, teacher, class_id)
    # and the learner's text assessed in a batch, whose AI grade reached the gradebook
    sheet = io.StringIO()
    csv.writer(sheet).writerows([("learner", "text"), (learner_email, TEXT["text"])])
    media = client.post(
        "/api/v1/media",
        headers=teacher.headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(sheet.getvalue().encode()), "texts.csv")},
    )
    assert media.status_code == 201, media.get_json()
    batch = client.post(
        f"/api/v1/assignments/{assignment['id']}/batches",
        json={"texts_media_id": media.get_json()["id"]},
        headers=teacher.headers,
    )
    assert batch.status_code == 202, batch.get_json()
    assert (
        wait_for_batch(client, batch.headers["Location"], teacher.headers)["counts"]["succeeded"]
        == 1
    )
    (ai_score,) = _scores(lms, 1)
    assert ai_score["scoreMaximum"] == 100 and ai_score["userId"] == "lms-user-88"
    (result,) = client.get(
        f"/api/v1/assignments/{assignment['id']}/results", headers=teacher.headers
    ).get_json()["items"]
    assert result["ai_level"] != "C2"

    # When the teacher overrides the level with a comment
    reviewed = client.post(
        f"/api/v1/assignments/{assignment['id']}/results/{result['job_id']}/reviews",
        headers=teacher.headers,
        json={"level": "C2", "comment": "Reads as native prose."},
    )
    assert reviewed.status_code == 201, reviewed.get_json()

    # Then a newer score replaces the AI's in the same line item: the reviewed level on the
    # CEFR scale (the AI's overall no longer stands behind it), with the teacher's comment
    scores = _scores(lms, 2)
    assert len(scores) == 2 and len(lms.gradebook.lineitems) == 1
    review_score = max(scores, key=lambda s: s["timestamp"])
    assert review_score["timestamp"] > ai_score["timestamp"]
    assert (review_score["userId"], review_score["scoreGiven"], review_score["scoreMaximum"]) == (
        "lms-user-88",
        6,
        6,
    )
    assert review_score["comment"] == "CEFR C2. Reviewed by a teacher: Reads as native prose."
    deliveries = _settled(client, admin)
    assert [d["state"] for d in deliveries] == ["succeeded", "succeeded"]


def test_an_lms_key_set_on_an_internal_address_is_never_fetched(
    app, client, accounts, lms, monkeypatch
):
    # Given a registered LMS whose key set URL names a host that resolves to loopback, on a
    # platform that refuses internal addresses (production's default)
    admin = accounts.admin()
    platform = _register(client, admin, lms)
    row = db.session.get(LtiPlatform, platform["id"])
    row.jwks_url = lms.url.replace("127.0.0.1", "localhost") + "/jwks"
    db.session.commit()
    monkeypatch.setitem(
        app.extensions,
        "settings",
        app.extensions["settings"].replace(webhook_allow_private_networks=False),
    )

    # When a learner is launched from it
    landed = _browser_launch(
        client,
        lms,
        login_hint="lms-user-9",
        sub="lms-user-9",
        resource_link_id="rl-w-9",
        title="Writing",
        custom={"task_type": "writing_assessment"},
    )

    # Then the launch is refused before any request reaches the address, saying why
    assert landed.status_code == 401, landed.get_data(as_text=True)
    problem = landed.get_json()
    assert problem["code"] == "lti_launch_refused"
    assert "private_address_refused" in problem["detail"]


def test_a_learner_launched_into_a_speaking_task_is_graded_and_recorded(
    client, accounts, worker, lms, catalogue
):
    # Given an organisation that registered the LMS, and an xAPI endpoint for the LRS of that
    # LMS, whose learners it names by their LMS ids
    admin = accounts.admin()
    platform = _register(client, admin, lms)
    lrs = TestLrsServer()
    try:
        lrs.register(client, admin, lms_base_url=lms.url, actor_lms=platform["id"])

        # When the LMS launches a learner into a speaking task of the catalogue
        landed = _browser_launch(
            client,
            lms,
            login_hint="lms-user-31",
            sub="lms-user-31",
            name="Noor",
            resource_link_id="rl-speak-1",
            title="Speaking: introduce yourself",
            custom={"prompt_id": "spp_en_a1_1", "task_type": "speaking_assessment"},
        )
        assert landed.status_code == 200, landed.get_data(as_text=True)
        task = json.loads(
            html.unescape(re.search(r'data-task="([^"]*)"', landed.get_data(as_text=True)).group(1))
        )
        learner = {"Authorization": f"Bearer {task['access_token']}"}
        # and the learner records an answer, assessed for that task, and studies a word
        media = client.post(
            "/api/v1/media",
            headers=learner,
            content_type="multipart/form-data",
            data={
                "kind": "audio",
                "file": (io.BytesIO((AUDIO / "en_fluent.wav").read_bytes()), "answer.wav"),
            },
        )
        assert media.status_code == 201, media.get_json()
        answer = client.post(
            "/api/v1/assessments/speaking",
            headers={**learner, "Prefer": "wait=30"},
            json={"media_id": media.get_json()["id"], "prompt_id": "spp_en_a1_1"},
        )
        assert answer.status_code in (200, 202), answer.get_json()
        job = _wait_done(client, answer.get_json()["id"], learner)
        assert job["status"] == "succeeded", job["error"]
        assert job["learner_id"] == task["learner_id"]
        session = client.post(
            "/api/v1/study-sessions", headers=learner, json={"activity": "flashcards"}
        ).get_json()
        client.post(f"/api/v1/study-sessions/{session['id']}/end", headers=learner)

        # Then the score is in the LMS gradebook on the task's line item, for the LMS's user
        (score,) = _scores(lms, 1, seconds=60)
        (item,) = lms.gradebook.lineitems.values()
        assert item["resourceLinkId"] == "rl-speak-1"
        assert score["userId"] == "lms-user-31"
        assert score["comment"].startswith("CEFR " + job["result"]["cefr"]["level"])
        # And the LRS received the assessment and the study session as valid statements,
        # naming the learner by their LMS id
        deadline = time.monotonic() + 30
        while len(lrs.statements) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert lrs.refused == []
        verbs = sorted(s["verb"]["display"]["en-US"] for s in lrs.statements.values())
        assert verbs == ["completed", "scored"]
        assert {s["actor"]["account"]["name"] for s in lrs.statements.values()} == {"lms-user-31"}
    finally:
        lrs.stop()


def _wait_done(client, job_id: str, headers: dict, seconds: float = 300) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        job = client.get(f"/api/v1/jobs/{job_id}?wait=20", headers=headers).get_json()
        if job["status"] in ("succeeded", "failed", "canceled") or time.monotonic() > deadline:
            return job
