"""Study sessions and reviews: portal shapes, scheduling of reviews, stats, and who may read
whose records."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from storage.db import db
from storage.models.learning import WordMemory

SESSION_KEYS = {
    "id",
    "user_id",
    "group_id",
    "group_name",
    "activity",
    "start_time",
    "end_time",
    "review_items_count",
    "success_rate",
}


def start(client, learner, group_id=None, activity="flashcards") -> dict:
    response = client.post(
        "/api/v1/study-sessions",
        headers=learner.headers,
        json={"group_id": group_id, "activity": activity},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def answer(client, learner, session_id: str, word_id: str, correct: bool):
    return client.post(
        f"/api/v1/study-sessions/{session_id}/reviews",
        headers=learner.headers,
        json={"word_id": word_id, "correct": correct},
    )


def test_a_session_in_the_portal_shapes(client, accounts, vocab, clock):
    # Given a learner in New York, a group "Basic Greetings" with two words
    admin = accounts.admin()
    learner = accounts.member(admin, "learner", timezone="America/New_York")
    group = vocab.group(admin, "Basic Greetings")
    hello = vocab.word(admin, "こんにちは", groups=[group["id"]])
    thanks = vocab.word(admin, "ありがとう", groups=[group["id"]])
    # When they start a session at 2025-02-08 22:20:23 UTC
    clock.set(datetime(2025, 2, 8, 22, 20, 23, tzinfo=UTC))
    session = start(client, learner, group["id"])
    # Then it has the portal's fields, with times on the learner's clock
    assert set(session) == SESSION_KEYS
    assert session["start_time"] == "2025-02-08T17:20:23-05:00"
    assert (
        session["group_name"],
        session["end_time"],
        session["review_items_count"],
        session["success_rate"],
    ) == ("Basic Greetings", None, 0, 0.0)
    # When they answer five times (four right) over ten minutes
    answers = [(hello, True), (thanks, True), (hello, False), (thanks, True), (hello, True)]
    for word, correct in answers:
        clock.advance(minutes=2)
        response = answer(client, learner, session["id"], word["id"], correct)
        # Then each answer is acknowledged in exactly the portal's shape
        assert response.status_code == 201
        assert response.get_json() == {
            "success": True,
            "session_id": session["id"],
            "word_id": word["id"],
            "correct": correct,
        }
    ended = client.post(f"/api/v1/study-sessions/{session['id']}/end", headers=learner.headers)
    assert ended.status_code == 200
    # And the history lists the session in the portal's {"user_id", "study_sessions"} shape
    history = client.get(f"/api/v1/users/{learner.id}/study-sessions", headers=learner.headers)
    body = history.get_json()
    assert set(body) == {"user_id", "study_sessions", "pagination"}
    assert body["user_id"] == learner.id
    assert body["pagination"] == {
        "current_page": 1,
        "total_pages": 1,
        "total_items": 1,
        "items_per_page": 20,
    }
    assert body["study_sessions"] == [
        {
            "id": session["id"],
            "user_id": learner.id,
            "group_id": group["id"],
            "group_name": "Basic Greetings",
            "activity": "flashcards",
            "start_time": "2025-02-08T17:20:23-05:00",
            "end_time": "2025-02-08T17:30:23-05:00",
            "review_items_count": 5,
            "success_rate": 80.0,
        }
    ]
    # And no answer is taken once the session has ended
    late = answer(client, learner, session["id"], hello["id"], True)
    assert late.status_code == 409 and late.get_json()["code"] == "session_ended"


def test_reviews_schedule_words_with_sm2_and_list_what_is_due(client, accounts, vocab, clock):
    # Given a learner and two words they have never studied
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    neko = vocab.word(admin, "ねこ")
    inu = vocab.word(admin, "いぬ")
    session = start(client, learner)["id"]

    def due(query: str = "") -> list[tuple[str, int | None]]:
        body = client.get(f"/api/v1/words/due?{query}", headers=learner.headers).get_json()
        return [
            (item["term"], item["memory"] and item["memory"]["interval_days"])
            for item in body["items"]
        ]

    # Then nothing is due yet, but both are new
    assert due() == []
    assert due("include_new=true") == [("いぬ", None), ("ねこ", None)]
    # When ねこ is answered right and いぬ wrong
    answer(client, learner, session, neko["id"], True)
    answer(client, learner, session, inu["id"], False)
    # Then both come back in a day (SM-2: first interval 1 day; a lapse restarts at 1 day)
    assert due() == []
    clock.advance(hours=23, minutes=59)
    assert due() == []
    clock.advance(minutes=1)
    assert sorted(due()) == [("いぬ", 1), ("ねこ", 1)]
    # When ねこ is recalled each time it falls due
    for expected in (6, 15, 38):
        answer(client, learner, session, neko["id"], True)
        clock.advance(days=expected, minutes=-1)
        assert ("ねこ", expected) not in due()
        clock.advance(minutes=1)
        # Then it falls due again after SM-2's next interval: 6, 15, then 38 days
        assert ("ねこ", expected) in due()
    # And with an interval of 38 days ねこ counts as mastered; いぬ is long overdue
    stats = client.get(f"/api/v1/users/{learner.id}/stats", headers=learner.headers).get_json()
    assert (stats["words_studied"], stats["words_mastered"]) == (2, 1)
    assert due()[0] == ("いぬ", 1)
    assert (stats["reviews"], stats["correct_reviews"], stats["accuracy"]) == (5, 4, 80.0)


def test_a_correct_answer_before_the_word_is_due_does_not_advance_it(
    client, accounts, vocab, clock
):
    # Given a learner who answered a word right once
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    word = vocab.word(admin, "みず")
    session = start(client, learner)["id"]
    answer(client, learner, session, word["id"], True)
    # When they answer it right again in the same sitting
    clock.advance(minutes=5)
    answer(client, learner, session, word["id"], True)
    # Then it is still due in one day, not six
    clock.advance(days=1)
    due = client.get("/api/v1/words/due", headers=learner.headers).get_json()["items"]
    assert [
        (item["id"], item["memory"]["interval_days"], item["memory"]["reviews"]) for item in due
    ] == [(word["id"], 1, 2)]


def test_stats_count_sessions_minutes_and_accuracy(client, accounts, vocab, clock):
    # Given a learner with two sessions: 10 minutes (ended) and 4 minutes (still open)
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    word = vocab.word(admin, "やま")
    first = start(client, learner)["id"]
    clock.advance(minutes=10)
    answer(client, learner, first, word["id"], True)
    client.post(f"/api/v1/study-sessions/{first}/end", headers=learner.headers)
    clock.advance(hours=2)
    second = start(client, learner)["id"]
    clock.advance(minutes=4)
    answer(client, learner, second, word["id"], False)
    # When the stats are read
    stats = client.get(f"/api/v1/users/{learner.id}/stats", headers=learner.headers).get_json()
    # Then they hold the streak at the top level and the totals
    assert stats == {
        **stats,
        "user_id": learner.id,
        "current_streak": 1,
        "longest_streak": 1,
        "sessions": 2,
        "minutes_studied": 14.0,
        "reviews": 2,
        "correct_reviews": 1,
        "accuracy": 50.0,
        "words_studied": 1,
        "words_mastered": 0,
        "assessments_taken": 0,
        "levels": [],
    }


def test_learners_see_only_their_own_records(client, accounts, vocab):
    # Given two learners and a teacher of one organisation, and a teacher of another
    admin = accounts.admin()
    alice = accounts.member(admin, "learner")
    bob = accounts.member(admin, "learner")
    teacher = accounts.member(admin, "teacher")
    outsider = accounts.member(accounts.admin(), "teacher")
    word = vocab.word(admin, "はな")
    session = start(client, alice)["id"]
    answer(client, alice, session, word["id"], True)
    sessions_url = f"/api/v1/users/{alice.id}/study-sessions"
    # Then Bob cannot read Alice's sessions, session, stats or streak, nor answer in her session
    for url in (
        sessions_url,
        f"/api/v1/study-sessions/{session}",
        f"/api/v1/users/{alice.id}/stats",
        f"/api/v1/users/{alice.id}/streak",
    ):
        refused = client.get(url, headers=bob.headers)
        assert refused.status_code == 403, url
        assert refused.get_json()["code"] == "not_your_record"
    assert answer(client, bob, session, word["id"], True).status_code == 403
    # And a teacher of another organisation gets 404, as if Alice did not exist
    for url in (
        sessions_url,
        f"/api/v1/study-sessions/{session}",
        f"/api/v1/users/{alice.id}/stats",
    ):
        assert client.get(url, headers=outsider.headers).status_code == 404, url
    # And her own teacher and admin read them
    for reader in (teacher, admin):
        listed = client.get(sessions_url, headers=reader.headers).get_json()
        assert [s["id"] for s in listed["study_sessions"]] == [session]
    # But a teacher cannot answer in her session
    response = answer(client, teacher, session, word["id"], True)
    assert response.status_code == 403 and response.get_json()["code"] == "not_your_session"


def test_session_inputs_are_checked(client, accounts, vocab):
    # Given a learner, a word of another organisation and a group of another organisation
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    other = accounts.admin()
    foreign_word = vocab.word(other, "そら")
    foreign_group = vocab.group(other)
    # Then a session on another organisation's group is 404
    response = client.post(
        "/api/v1/study-sessions", headers=learner.headers, json={"group_id": foreign_group["id"]}
    )
    assert response.status_code == 404 and response.get_json()["code"] == "word_group_not_found"
    session = start(client, learner)["id"]
    # And answering with another organisation's word is 404
    response = answer(client, learner, session, foreign_word["id"], True)
    assert response.status_code == 404 and response.get_json()["code"] == "word_not_found"
    # And `correct` must be a JSON boolean
    for value in ("yes", 1, None):
        response = client.post(
            f"/api/v1/study-sessions/{session}/reviews",
            headers=learner.headers,
            json={"word_id": foreign_word["id"], "correct": value},
        )
        assert response.status_code == 422, value
    # And API keys cannot hold study sessions (they belong to a learner)
    key = accounts.api_key(admin, ["learning:read", "learning:write"])
    assert client.post("/api/v1/study-sessions", headers=key, json={}).status_code == 403


def test_simultaneous_answers_are_all_counted(client, accounts, vocab):
    # Given a learner's session and a word they have never reviewed
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    word = vocab.word(admin, "ほし")
    session = start(client, learner)["id"]
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def send(correct: bool) -> None:
        barrier.wait()
        statuses.append(answer(client, learner, session, word["id"], correct).status_code)

    # When four answers arrive at once (the first review of the word among them)
    threads = [threading.Thread(target=send, args=(n % 2 == 0,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # Then all four are recorded on the session and in the word's memory
    assert statuses == [201] * 4
    record = client.get(f"/api/v1/study-sessions/{session}", headers=learner.headers).get_json()
    assert (record["review_items_count"], record["success_rate"]) == (4, 50.0)
    memory = db.session.get(WordMemory, (learner.id, word["id"]), populate_existing=True)
    assert memory.reviews == 4
    stats = client.get(f"/api/v1/users/{learner.id}/stats", headers=learner.headers).get_json()
    assert (stats["reviews"], stats["words_studied"], stats["current_streak"]) == (4, 1, 1)


def test_reviews_on_three_days_in_a_row_earn_the_streak_badge_once(client, accounts, vocab, clock):
    # Given a learner who has done nothing but review a word
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    word = vocab.word(admin, "こんにちは")
    clock.set(datetime(2025, 3, 1, 12, 0, tzinfo=UTC))
    # When they review it on three days in a row (twice on the last)
    for day in (1, 2, 3, 3):
        clock.set(datetime(2025, 3, day, 12, day, tzinfo=UTC))
        session = start(client, learner)
        assert answer(client, learner, session["id"], word["id"], True).status_code == 201
    # Then the review itself earned the three-day streak badge, once
    badges = client.get(f"/api/v1/users/{learner.id}/badges", headers=learner.headers)
    assert badges.status_code == 200, badges.get_json()
    codes = [item["badge"] for item in badges.get_json()["items"]]
    assert codes.count("streak_3") == 1 and "streak_7" not in codes
