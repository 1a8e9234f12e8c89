"""Learning plans link the organisation's real lessons when it has content."""

from __future__ import annotations


def test_a_plan_links_published_lessons_not_yet_done(client, accounts, content, worker):
    # Given a published English course with grammar and reading lessons at A2, a B2 lesson,
    # a lesson the learner completed, and a draft course's lesson
    teacher = accounts.admin()
    learner = accounts.member(teacher, "learner")
    course = content.course(teacher, level_max="B2")
    chapter = content.chapter(teacher, course["id"], "Grammar")
    done = content.lesson(teacher, chapter["id"], "Articles", level="A2", skill="grammar")
    past = content.lesson(teacher, chapter["id"], "Past simple", level="A2", skill="grammar")
    story = content.lesson(teacher, chapter["id"], "A short story", level="B1", skill="reading")
    far = content.lesson(teacher, chapter["id"], "Debates", level="B2", skill="grammar")
    draft = content.course(teacher, published=False)
    hidden = content.lesson(
        teacher,
        content.chapter(teacher, draft["id"], "x")["id"],
        "Hidden",
        level="A2",
        skill="grammar",
    )
    client.post(
        f"/api/v1/lessons/{done['id']}/complete",
        headers=learner.headers,
        json={"time_spent_seconds": 60},
    )

    # When the learner asks for a plan from A2 to B1
    answer = client.post(
        "/api/v1/plans",
        headers={**learner.headers, "Prefer": "wait=30"},
        json={
            "language": "en",
            "current_level": "A2",
            "target_level": "B1",
            "goals": ["exam"],
            "minutes_per_week": 240,
            "weeks": 6,
        },
    )
    assert answer.status_code in (200, 202), answer.get_json()
    job = answer.get_json()
    if job["status"] != "succeeded":
        job = client.get(f"/api/v1/jobs/{job['id']}?wait=30", headers=learner.headers).get_json()
    assert job["status"] == "succeeded", job

    # Then its weeks link the lessons in range that are still to do, and nothing else
    linked = {x for w in job["result"]["schedule"] for s in w["sessions"] for x in s["lesson_ids"]}
    assert linked == {past["id"], story["id"]}
    assert not linked & {done["id"], far["id"], hidden["id"]}
    assert "2 lessons of the organisation's courses" in job["result"]["content"]
