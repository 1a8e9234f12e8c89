"""Courses, chapters (ordered, next/previous) and lessons through the API: authoring,
publishing and tenancy."""

from __future__ import annotations


def test_teacher_builds_a_course_and_a_learner_reads_it_once_published(client, accounts, content):
    # Given an organisation with a teacher and a learner, and a draft course
    admin = accounts.admin()
    teacher = accounts.member(admin, "teacher")
    learner = accounts.member(admin, "learner")
    course = content.course(teacher, published=False)
    chapter = content.chapter(teacher, course["id"], "Meeting people")
    lesson = content.lesson(teacher, chapter["id"], content="# Hello\n\nSay **hi**.")

    # Then the learner cannot see the draft or anything in it
    assert (
        client.get(f"/api/v1/courses/{course['id']}", headers=learner.headers).get_json()["code"]
        == "course_not_found"
    )
    assert client.get(f"/api/v1/lessons/{lesson['id']}", headers=learner.headers).status_code == 404
    listed = client.get("/api/v1/courses", headers=learner.headers).get_json()
    assert listed["items"] == []

    # When the teacher publishes it
    answer = client.patch(
        f"/api/v1/courses/{course['id']}", headers=teacher.headers, json={"status": "published"}
    )
    assert answer.status_code == 200, answer.get_json()

    # Then the learner lists and reads it, with the lesson's Markdown as written
    listed = client.get("/api/v1/courses", headers=learner.headers).get_json()
    assert [c["id"] for c in listed["items"]] == [course["id"]]
    read = client.get(f"/api/v1/lessons/{lesson['id']}", headers=learner.headers).get_json()
    assert read["content"] == "# Hello\n\nSay **hi**."
    outline = client.get(
        f"/api/v1/courses/{course['id']}/outline", headers=learner.headers
    ).get_json()
    assert outline["chapters"][0]["lessons"][0]["id"] == lesson["id"]
    # But a learner cannot author
    refused = client.post(
        "/api/v1/courses", headers=learner.headers, json={"title": "Mine", "language": "en"}
    )
    assert refused.status_code == 403
    assert refused.get_json()["code"] == "insufficient_role"


def test_another_organisation_sees_nothing(client, accounts, content):
    # Given a published course of one organisation
    teacher = accounts.admin()
    course = content.course(teacher)
    chapter = content.chapter(teacher, course["id"], "One")
    # When another organisation's admin asks for it
    stranger = accounts.admin()
    # Then it looks missing
    assert (
        client.get(f"/api/v1/courses/{course['id']}", headers=stranger.headers).status_code == 404
    )
    assert (
        client.get(f"/api/v1/chapters/{chapter['id']}", headers=stranger.headers).status_code == 404
    )
    assert (
        client.patch(
            f"/api/v1/courses/{course['id']}", headers=stranger.headers, json={"title": "Taken"}
        ).status_code
        == 404
    )
    assert client.get("/api/v1/courses", headers=stranger.headers).get_json()["items"] == []


def test_chapters_run_in_order_with_next_and_previous(client, accounts, content):
    # Given a course with three chapters, the third inserted at position 1
    teacher = accounts.admin()
    course = content.course(teacher)
    one = content.chapter(teacher, course["id"], "One")
    two = content.chapter(teacher, course["id"], "Two")
    zero = content.chapter(teacher, course["id"], "Zero", position=1)

    # Then the chapters list in order with their links
    listed = client.get(
        f"/api/v1/courses/{course['id']}/chapters", headers=teacher.headers
    ).get_json()["items"]
    assert [(c["title"], c["position"]) for c in listed] == [("Zero", 1), ("One", 2), ("Two", 3)]
    assert listed[0]["previous_chapter_id"] is None
    assert listed[0]["next_chapter_id"] == one["id"]
    assert listed[2]["next_chapter_id"] is None
    # And next/previous walk them, with a clear 404 at each end
    nxt = client.get(f"/api/v1/chapters/{zero['id']}/next", headers=teacher.headers)
    assert nxt.get_json()["id"] == one["id"]
    prev = client.get(f"/api/v1/chapters/{two['id']}/previous", headers=teacher.headers)
    assert prev.get_json()["id"] == one["id"]
    end = client.get(f"/api/v1/chapters/{two['id']}/next", headers=teacher.headers)
    assert (end.status_code, end.get_json()["code"]) == (404, "no_next_chapter")
    start = client.get(f"/api/v1/chapters/{zero['id']}/previous", headers=teacher.headers)
    assert (start.status_code, start.get_json()["code"]) == (404, "no_previous_chapter")

    # When a chapter is moved and another deleted, the positions stay 1..n
    moved = client.patch(
        f"/api/v1/chapters/{two['id']}", headers=teacher.headers, json={"position": 1}
    )
    assert moved.get_json()["position"] == 1
    assert (
        client.delete(f"/api/v1/chapters/{zero['id']}", headers=teacher.headers).status_code == 204
    )
    listed = client.get(
        f"/api/v1/courses/{course['id']}/chapters", headers=teacher.headers
    ).get_json()["items"]
    assert [(c["id"], c["position"]) for c in listed] == [(two["id"], 1), (one["id"], 2)]


def test_chapter_order_refuses_gaps_loops_and_cycles(client, accounts, content):
    # Given a course with chapters a, b, c
    teacher = accounts.admin()
    course = content.course(teacher)
    a, b, c = (content.chapter(teacher, course["id"], t)["id"] for t in "abc")
    path = f"/api/v1/courses/{course['id']}/chapters/order"

    def order(body: dict) -> tuple[int, str | None]:
        answer = client.put(path, headers=teacher.headers, json=body)
        return answer.status_code, answer.get_json().get("code")

    # Then a position past the end is a gap
    gap = client.post(
        f"/api/v1/courses/{course['id']}/chapters",
        headers=teacher.headers,
        json={"title": "far", "position": 9},
    )
    assert (gap.status_code, gap.get_json()["code"]) == (422, "chapter_position_gap")
    # And a list leaving one out, naming one twice, or naming a stranger is refused
    assert order({"chapter_ids": [a, b]}) == (422, "chapter_order_gap")
    assert order({"chapter_ids": [a, b, a, c]}) == (422, "chapter_order_duplicate")
    assert order({"chapter_ids": [a, b, "chp_other"]}) == (422, "chapter_order_unknown")
    # And links that loop or break apart are refused
    cycle = {"links": [{"id": a, "next": b}, {"id": b, "next": c}, {"id": c, "next": a}]}
    assert order(cycle) == (422, "chapter_order_cycle")
    detached = {"links": [{"id": a, "next": None}, {"id": b, "next": c}, {"id": c, "next": b}]}
    assert order(detached) == (422, "chapter_order_cycle")
    broken = {"links": [{"id": a, "next": None}, {"id": b, "next": c}, {"id": c, "next": None}]}
    assert order(broken) == (422, "chapter_order_gap")
    # And nothing moved
    listed = client.get(f"/api/v1/courses/{course['id']}/chapters", headers=teacher.headers)
    assert [x["id"] for x in listed.get_json()["items"]] == [a, b, c]

    # When valid links give c, a, b
    answer = client.put(
        path,
        headers=teacher.headers,
        json={"links": [{"id": a, "next": b}, {"id": c, "next": a}, {"id": b, "next": None}]},
    )
    # Then that is the order
    assert answer.status_code == 200, answer.get_json()
    assert [x["id"] for x in answer.get_json()["items"]] == [c, a, b]
    assert order({"chapter_ids": [b, c, a]}) == (200, None)


def test_course_checks_levels_and_prerequisites(client, accounts, content):
    teacher = accounts.admin()
    first = content.course(teacher)
    # A level range upside down, an unknown prerequisite, and a course needing itself
    bad = client.post(
        "/api/v1/courses",
        headers=teacher.headers,
        json={"title": "x", "language": "en", "level_min": "B2", "level_max": "A1"},
    )
    assert bad.get_json()["code"] == "course_level_range"
    unknown = client.post(
        "/api/v1/courses",
        headers=teacher.headers,
        json={"title": "x", "language": "en", "prerequisites": ["crs_nope"]},
    )
    assert unknown.get_json()["code"] == "course_prerequisite_unknown"
    own = client.patch(
        f"/api/v1/courses/{first['id']}",
        headers=teacher.headers,
        json={"prerequisites": [first["id"]]},
    )
    assert own.get_json()["code"] == "course_prerequisite_cycle"
    # A known prerequisite is kept
    second = content.course(teacher, prerequisites=[first["id"]])
    assert second["prerequisites"] == [first["id"]]


def test_a_lesson_names_only_media_of_its_organisation(client, accounts, content):
    teacher = accounts.admin()
    chapter = content.chapter(teacher, content.course(teacher)["id"], "One")
    answer = client.post(
        f"/api/v1/chapters/{chapter['id']}/lessons",
        headers=teacher.headers,
        json={"title": "With media", "media_ids": ["med_elsewhere"]},
    )
    assert (answer.status_code, answer.get_json()["code"]) == (422, "media_not_found")
    assert answer.get_json()["media_ids"] == ["med_elsewhere"]
