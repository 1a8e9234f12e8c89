"""Assessed items: a written answer is graded by a writing assessment job, a spoken one by a
speaking assessment job, and the attempt finishes exactly once when the last job ends."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from storage import jobs as job_service
from storage.db import db
from storage.models.content import Attempt
from storage.models.jobs import Job
from storage.models.webhooks import WebhookEvent

AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
WRITING = [
    {
        "id": f"w{n}",
        "type": "free_writing",
        "language": "en",
        "points": 2,
        "prompt": "Describe your weekend.",
    }
    for n in range(4)
]
TEXT = "Last weekend I visited my grandmother. We cooked dinner and talked for hours."


def _graded_events(attempt_id: str) -> list[WebhookEvent]:
    db.session.rollback()
    return [
        e
        for e in db.session.scalars(select(WebhookEvent).where(WebhookEvent.type == "quiz.graded"))
        if e.data["attempt_id"] == attempt_id
    ]


def _wait_graded(client, attempt_id: str, headers: dict, seconds: float = 300) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        attempt = client.get(f"/api/v1/attempts/{attempt_id}", headers=headers).get_json()
        if attempt["status"] == "graded" or time.monotonic() > deadline:
            return attempt
        time.sleep(0.3)


def test_jobs_ending_at_the_same_moment_finish_the_attempt_once(
    app: Flask, client, accounts, content
):
    # Given an attempt with four written answers, whose four jobs are queued (no worker)
    teacher = accounts.admin()
    learner = accounts.member(teacher, "learner")
    items = [
        {"id": "mc", "type": "multiple_choice", "options": ["a", "b"], "correct": [1]},
        *WRITING,
    ]
    exercise_id = content.tree(teacher, items=items)["exercise"]["id"]
    answers = {"mc": 1, **{item["id"]: TEXT for item in WRITING}}
    posted = client.post(
        f"/api/v1/exercises/{exercise_id}/attempts",
        headers=learner.headers,
        json={"answers": answers},
    )
    assert posted.status_code == 201, posted.get_json()
    attempt = posted.get_json()
    assert attempt["status"] == "grading" and attempt["pending_items"] == 4
    assert len(attempt["job_ids"]) == 4
    jobs = {
        job_id: client.get(f"/api/v1/jobs/{job_id}", headers=learner.headers).get_json()
        for job_id in attempt["job_ids"]
    }
    assert {j["type"] for j in jobs.values()} == {"writing_assessment"}
    assert {j["learner_id"] for j in jobs.values()} == {learner.id}

    # When four threads finish the four jobs at the same moment, each in its own transaction
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def finish(job_id: str, overall: int) -> None:
        try:
            with app.app_context():
                token = f"tok-{job_id[-6:]}"
                job = job_service.claim(db.session, job_id, token)
                db.session.commit()
                barrier.wait(timeout=30)
                job = db.session.get(Job, job_id)
                assert job_service.complete(
                    db.session, job, token, {"scores": {"overall": overall}}
                )
                db.session.commit()
                db.session.remove()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    scores = dict(zip(attempt["job_ids"], (100, 50, 75, 25), strict=True))
    threads = [threading.Thread(target=finish, args=item) for item in scores.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []

    # Then the attempt is graded once, with every item's points
    final = client.get(f"/api/v1/attempts/{attempt['id']}", headers=learner.headers).get_json()
    assert final["status"] == "graded" and final["pending_items"] == 0
    assert final["score"] == 1 + 2 * (1.0 + 0.5 + 0.75 + 0.25)
    assert final["max_score"] == 9
    assessed = [r for r in final["results"] if r["type"] == "free_writing"]
    assert {r["status"] for r in assessed} == {"graded"}
    assert sorted(r["score"] for r in assessed) == [0.5, 1.0, 1.5, 2.0]
    assert len(_graded_events(attempt["id"])) == 1


def test_written_and_spoken_answers_are_graded_by_the_workers(client, accounts, content, worker):
    # Given a quiz with a choice, a written answer and a reading aloud
    teacher = accounts.admin()
    learner = accounts.member(teacher, "learner")
    reference = "The weather was cold, so we stayed at home and read our books."
    items = [
        {"id": "mc", "type": "multiple_choice", "options": ["a", "b"], "correct": [0]},
        {
            "id": "write",
            "type": "free_writing",
            "language": "en",
            "prompt": "Describe your weekend.",
        },
        {
            "id": "speak",
            "type": "speaking",
            "language": "en",
            "mode": "reading",
            "prompt": "Read the sentence aloud.",
            "reference_text": reference,
        },
    ]
    exercise_id = content.tree(teacher, items=items)["exercise"]["id"]
    # And the learner's recording, uploaded through the media API
    uploaded = client.post(
        "/api/v1/media",
        headers=learner.headers,
        content_type="multipart/form-data",
        data={
            "kind": "audio",
            "file": (io.BytesIO((AUDIO / "en_reading.wav").read_bytes()), "reading.wav"),
        },
    )
    assert uploaded.status_code == 201, uploaded.get_json()

    # When the learner submits, with real workers running
    posted = client.post(
        f"/api/v1/exercises/{exercise_id}/attempts",
        headers=learner.headers,
        json={
            "answers": {"mc": 0, "write": TEXT, "speak": {"media_id": uploaded.get_json()["id"]}}
        },
    )
    assert posted.status_code == 201, posted.get_json()
    attempt = posted.get_json()
    assert attempt["status"] == "grading" and attempt["score"] is None

    # Then the workers grade both assessed items and the attempt ends graded
    final = _wait_graded(client, attempt["id"], learner.headers)
    assert final["status"] == "graded", final
    by_item = {r["item_id"]: r for r in final["results"]}
    assert by_item["mc"]["score"] == 1
    for item_id, job_type in (("write", "writing_assessment"), ("speak", "speaking_assessment")):
        job = client.get(
            f"/api/v1/jobs/{by_item[item_id]['job_id']}", headers=learner.headers
        ).get_json()
        assert job["type"] == job_type and job["status"] == "succeeded", job
        overall = job["result"]["scores"]["overall"]
        assert by_item[item_id]["status"] == "graded"
        assert by_item[item_id]["score"] == round(overall / 100, 4)
    assert final["score"] == round(sum(r["score"] for r in final["results"]), 4)
    assert len(_graded_events(attempt["id"])) == 1
    db.session.rollback()
    assert db.session.get(Attempt, attempt["id"]).graded_at is not None


def test_a_spoken_answer_must_be_the_learners_recording(client, accounts, content):
    teacher = accounts.admin()
    learner = accounts.member(teacher, "learner")
    items = [{"id": "speak", "type": "speaking", "language": "en", "prompt": "Talk."}]
    exercise_id = content.tree(teacher, items=items)["exercise"]["id"]
    path = f"/api/v1/exercises/{exercise_id}/attempts"
    missing = client.post(
        path, headers=learner.headers, json={"answers": {"speak": {"media_id": "med_nope"}}}
    )
    assert missing.status_code == 404
    wrong = client.post(path, headers=learner.headers, json={"answers": {"speak": "hello"}})
    assert (wrong.status_code, wrong.get_json()["code"]) == (422, "answer_invalid")
