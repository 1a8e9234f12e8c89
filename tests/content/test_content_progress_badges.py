"""Progress through lessons and courses (streaks, stats, events), badges awarded once, and
recommendations with their reasons."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from storage.content import badges
from storage.db import db
from storage.models.content import BadgeAward
from storage.models.learning import LearningProfile
from storage.models.webhooks import WebhookEvent
from tests.content.conftest import CORRECT


def _events(kind: str) -> list[WebhookEvent]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(WebhookEvent).where(WebhookEvent.type == kind).order_by(WebhookEvent.created_at)
        )
    )


def _complete(client, account, lesson_id: str, **body) -> dict:
    answer = client.post(
        f"/api/v1/lessons/{lesson_id}/complete", headers=account.headers, json=body
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_completing_lessons_completes_the_course_once(client, accounts, content, clock):
    # Given a course of two chapters with a lesson each
    teacher = accounts.admin()
    learner = accounts.member(teacher, "learner")
    course = content.course(teacher)
    one = content.lesson(teacher, content.chapter(teacher, course["id"], "One")["id"])
    two = content.lesson(teacher, content.chapter(teacher, course["id"], "Two")["id"])

    # When the learner completes the first lesson, twice, on one day
    _complete(client, learner, one["id"], time_spent_seconds=600, score=80)
    again = _complete(client, learner, one["id"], time_spent_seconds=300, score=60)
    # Then the time adds up, the best score stays, and lesson.completed was recorded once
    assert again["time_spent_seconds"] == 900 and again["score"] == 80
    assert [e.data["lesson_id"] for e in _events("lesson.completed")] == [one["id"]]
    assert _events("course.completed") == []
    progress = client.get(
        f"/api/v1/progress/{learner.id}/courses/{course['id']}", headers=learner.headers
    ).get_json()
    assert (progress["lessons_completed"], progress["percent"]) == (1, 50.0)
    assert [c["completed"] for c in progress["chapters"]] == [True, False]

    # When they complete the second lesson the next day
    clock.advance(days=1)
    _complete(client, learner, two["id"], time_spent_seconds=120)
    # Then the course is completed, once, and counted in the stats and the streak
    completed = _events("course.completed")
    assert [(e.user_id, e.data["course_id"], e.data["time_spent_seconds"]) for e in completed] == [
        (learner.id, course["id"], 1020)
    ]
    listed = client.get(
        f"/api/v1/progress/{learner.id}/courses", headers=learner.headers
    ).get_json()["items"]
    assert [(c["course_id"], c["completed"]) for c in listed] == [(course["id"], True)]
    stats = client.get(f"/api/v1/users/{learner.id}/stats", headers=learner.headers).get_json()
    assert stats["lessons_completed"] == 2
    assert stats["minutes_studied"] == 17.0
    assert stats["current_streak"] == 2
    # And the badges for a first lesson and a completed course were awarded
    held = client.get(f"/api/v1/users/{learner.id}/badges", headers=learner.headers)
    assert {b["badge"] for b in held.get_json()["items"]} == {"first_lesson", "course_completed"}
    assert sorted(e.data["badge"] for e in _events("badge.awarded")) == [
        "course_completed",
        "first_lesson",
    ]
    # And another learner cannot read this learner's progress
    other = accounts.member(teacher, "learner")
    refused = client.get(f"/api/v1/progress/{learner.id}/courses", headers=other.headers)
    assert refused.get_json()["code"] == "not_your_record"


def test_a_perfect_quiz_earns_its_badge_once(client, accounts, content):
    teacher = accounts.admin()
    learner = accounts.member(teacher, "learner")
    exercise_id = content.tree(teacher)["exercise"]["id"]
    for _ in range(2):
        answer = client.post(
            f"/api/v1/exercises/{exercise_id}/attempts",
            headers=learner.headers,
            json={"answers": CORRECT},
        )
        assert answer.get_json()["percent"] == 100.0
    assert [e.data["badge"] for e in _events("badge.awarded")] == ["perfect_quiz"]


def test_concurrent_events_award_a_badge_once(app, accounts, content, clock):
    # Given a learner who has completed a lesson (no badge yet recorded for it)
    teacher = accounts.admin()
    learner = accounts.member(teacher, "learner")
    rule = badges.BY_CODE["first_lesson"]
    barrier = threading.Barrier(6)
    results: list[bool] = []
    errors: list[BaseException] = []

    # When six transactions award the same badge at the same moment
    def award() -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                results.append(
                    badges.award(
                        db.session,
                        teacher.organisation_id,
                        learner.id,
                        rule,
                        {"event": "test"},
                        clock.now,
                    )
                )
                db.session.commit()
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=award) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    # Then exactly one of them awarded it, and one event says so
    assert errors == []
    assert sorted(results) == [False] * 5 + [True]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(BadgeAward)) == 1
    assert len(_events("badge.awarded")) == 1


def test_recommendations_give_their_reasons(client, accounts, content, clock):
    # Given a course with an A1 speaking lesson, an A2 grammar lesson and a B2 lesson
    teacher = accounts.admin()
    learner = accounts.member(teacher, "learner")
    course = content.course(teacher, level_max="B2")
    chapter = content.chapter(teacher, course["id"], "All")
    a1 = content.lesson(teacher, chapter["id"], "Hello", level="A1", skill="speaking")
    a2 = content.lesson(teacher, chapter["id"], "Past tense", level="A2", skill="grammar")
    b2 = content.lesson(teacher, chapter["id"], "Debating", level="B2", skill="speaking")
    # And a learner at A1 in English who started the course
    db.session.add(
        LearningProfile(
            id="prf_test",
            user_id=learner.id,
            language="en",
            level="A1",
            organisation_id=learner.organisation_id,
            goals=[],
        )
    )
    db.session.commit()
    _complete(client, learner, a1["id"], time_spent_seconds=60)
    clock.advance(hours=1)

    # When they ask what to do next
    items = client.get("/api/v1/recommendations", headers=learner.headers).get_json()["items"]
    # Then the next lesson of the started course comes first, with its reason
    assert items[0]["id"] == a2["id"] and items[0]["reason_code"] == "unfinished_course"
    assert "started" in items[0]["reason"]
    # And completed lessons and those beyond the next level are left out
    ids = [i["id"] for i in items]
    assert a1["id"] not in ids and b2["id"] not in ids
    # And a failed quiz with attempts left is recommended again, with the score
    exercise = content.exercise(
        teacher,
        a2["id"],
        [{"id": "mc", "type": "multiple_choice", "options": ["a", "b"], "correct": [0]}],
        max_attempts=3,
    )
    client.post(
        f"/api/v1/exercises/{exercise['id']}/attempts",
        headers=learner.headers,
        json={"answers": {"mc": 1}},
    )
    items = client.get("/api/v1/recommendations", headers=learner.headers).get_json()["items"]
    retry = [i for i in items if i["reason_code"] == "quiz_to_retry"]
    assert [i["id"] for i in retry] == [exercise["id"]]
    assert "0 %" in retry[0]["reason"]
