"""Learning-content events reach a Learning Record Store as xAPI statements."""

from __future__ import annotations

import time

from tests.content.conftest import CORRECT


def test_quiz_lesson_and_course_reach_the_lrs(client, accounts, content, worker, lrs):
    # Given an xAPI endpoint with the LRS's credentials, and a one-lesson course with a quiz
    admin = accounts.admin()
    lrs.register(client, admin)
    learner = accounts.member(admin, "learner")
    tree = content.tree(admin)

    # When the learner passes the quiz and completes the lesson (and so the course)
    attempt = client.post(
        f"/api/v1/exercises/{tree['exercise']['id']}/attempts",
        headers=learner.headers,
        json={"answers": CORRECT},
    ).get_json()
    client.post(
        f"/api/v1/lessons/{tree['lesson']['id']}/complete",
        headers=learner.headers,
        json={"time_spent_seconds": 125},
    )

    # Then three valid statements arrive: scored the quiz, completed the lesson and the course
    deadline = time.monotonic() + 30
    while len(lrs.statements) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert lrs.refused == []
    statements = list(lrs.statements.values())
    verbs = sorted(
        (s["verb"]["display"]["en-US"], s["object"]["id"].rsplit("/", 2)[-2]) for s in statements
    )
    assert verbs == [("completed", "courses"), ("completed", "lessons"), ("scored", "exercises")]
    scored = next(s for s in statements if s["verb"]["display"]["en-US"] == "scored")
    assert scored["actor"]["account"] == {
        "homePage": "https://lms.example.test",
        "name": learner.id,
    }
    assert scored["result"]["score"] == {
        "scaled": 1.0,
        "raw": 4.0,
        "min": 0,
        "max": attempt["max_score"],
    }
    assert scored["result"]["success"] is True
    lesson = next(s for s in statements if s["object"]["id"].endswith(tree["lesson"]["id"]))
    assert lesson["result"]["duration"] == "PT2M5S"
    assert lesson["context"]["contextActivities"]["parent"][0]["id"].endswith(tree["course"]["id"])
