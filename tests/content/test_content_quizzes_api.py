"""Exercises and quizzes: items checked when authored, objective items graded in the
submitting request, attempts with limits, best and latest score, and 4xx for bad answers."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.db import db
from storage.models.content import Attempt
from storage.models.webhooks import WebhookEvent
from tests.content.conftest import CORRECT, objective_items


def _twenty_items() -> list[dict]:
    items = []
    for n in range(5):
        for item in objective_items():
            items.append({**item, "id": f"{item['id']}{n}"})
    return items


def _events(kind: str) -> list[WebhookEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(WebhookEvent).where(WebhookEvent.type == kind)))


def test_twenty_objective_items_are_graded_in_one_request(client, accounts, content):
    # Given a published quiz of 20 objective items, five of each type
    teacher = accounts.admin()
    learner = accounts.member(teacher, "learner")
    tree = content.tree(teacher, items=_twenty_items())
    exercise_id = tree["exercise"]["id"]
    # And answers: all right in round 0, with the gap variants and sloppy typing; one wrong
    # gap in round 1, a wrong choice in round 2, a half-wrong matching in round 3, a wrong
    # order in round 4
    answers = {}
    for n in range(5):
        answers.update({f"{k}{n}": v for k, v in CORRECT.items()})
    answers["gap0"] = ["'m", "  IS. "]
    answers["gap1"] = ["am", "are"]
    answers["mc2"] = 1
    answers["match3"] = [2, 1, 0]
    answers["ord4"] = [0, 1, 2, 3]

    # When the learner submits them
    answer = client.post(
        f"/api/v1/exercises/{exercise_id}/attempts",
        headers=learner.headers,
        json={"answers": answers},
    )

    # Then the attempt is graded in the answer
    assert answer.status_code == 201, answer.get_json()
    attempt = answer.get_json()
    assert attempt["status"] == "graded"
    assert attempt["pending_items"] == 0
    assert attempt["max_score"] == 20
    by_item = {r["item_id"]: r for r in attempt["results"]}
    assert by_item["gap0"]["correct"] is True
    assert by_item["gap1"]["parts"] == [True, False] and by_item["gap1"]["score"] == 0.5
    assert by_item["mc2"]["score"] == 0
    assert by_item["match3"]["parts"] == [True, False, False]
    assert by_item["ord4"]["correct"] is False
    expected = 20 - 0.5 - 1 - 2 / 3 - 1
    assert abs(attempt["score"] - expected) < 1e-3
    assert attempt["percent"] == round(100 * expected / 20, 1)
    assert attempt["passed"] is True
    # And quiz.graded was recorded once, for the learner
    graded = _events("quiz.graded")
    assert [(e.user_id, e.data["attempt_id"]) for e in graded] == [(learner.id, attempt["id"])]


def test_attempt_limit_and_best_and_latest_scores(client, accounts, content):
    # Given a quiz allowing two attempts
    teacher = accounts.admin()
    learner = accounts.member(teacher, "learner")
    exercise_id = content.tree(teacher, max_attempts=2)["exercise"]["id"]
    path = f"/api/v1/exercises/{exercise_id}/attempts"
    # When the learner gets everything right, then half of it
    first = client.post(path, headers=learner.headers, json={"answers": CORRECT})
    second = client.post(
        path, headers=learner.headers, json={"answers": {"mc": 0, "gap": ["am", "is"]}}
    )
    assert (first.status_code, second.status_code) == (201, 201)
    # Then a third is refused with the limit named
    third = client.post(path, headers=learner.headers, json={"answers": CORRECT})
    assert third.status_code == 409
    assert third.get_json()["code"] == "attempt_limit_reached"
    assert third.get_json()["max_attempts"] == 2
    # And the summary gives the best and the latest score
    summary = client.get(path, headers=learner.headers).get_json()
    assert summary["attempts_used"] == 2 and summary["attempts_left"] == 0
    assert summary["best_percent"] == 100.0
    assert summary["best_attempt_id"] == first.get_json()["id"]
    assert summary["latest_percent"] == 50.0
    assert summary["latest_attempt_id"] == second.get_json()["id"]
    assert [a["number"] for a in summary["items"]] == [2, 1]
    # And the teacher reads the learner's attempts; another learner cannot
    assert (
        client.get(f"{path}?learner_id={learner.id}", headers=teacher.headers).get_json()[
            "attempts_used"
        ]
        == 2
    )
    other = accounts.member(teacher, "learner")
    refused = client.get(f"{path}?learner_id={learner.id}", headers=other.headers)
    assert refused.get_json()["code"] == "not_your_record"


def test_answers_of_the_wrong_type_are_refused_and_nothing_is_recorded(client, accounts, content):
    teacher = accounts.admin()
    learner = accounts.member(teacher, "learner")
    exercise_id = content.tree(teacher)["exercise"]["id"]
    path = f"/api/v1/exercises/{exercise_id}/attempts"
    # When answers have the wrong shapes
    bad = client.post(
        path,
        headers=learner.headers,
        json={"answers": {"mc": "Bonjour", "gap": "am", "ord": [0, 1, 9], "match": [True, 0, 1]}},
    )
    # Then each is named with its problem
    assert bad.status_code == 422
    body = bad.get_json()
    assert body["code"] == "answer_invalid"
    assert sorted(p["item_id"] for p in body["items"]) == ["gap", "match", "mc", "ord"]
    # And an item the quiz does not have is refused too
    unknown = client.post(path, headers=learner.headers, json={"answers": {"zz": 1}})
    assert unknown.get_json()["code"] == "answer_unknown_item"
    # And no attempt was used
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_authoring_refuses_items_without_a_correct_answer(client, accounts, content):
    teacher = accounts.admin()
    tree = content.tree(teacher)
    path = f"/api/v1/lessons/{tree['lesson']['id']}/exercises"
    cases = [
        (
            {"type": "multiple_choice", "options": ["a", "b"], "correct": []},
            "exercise_no_correct_answer",
        ),
        ({"type": "gap_fill", "text": "x ___", "gaps": [[" "]]}, "exercise_no_correct_answer"),
        ({"type": "gap_fill", "text": "no gap here", "gaps": [["a"]]}, "exercise_invalid"),
        (
            {"type": "ordering", "options": ["a", "b"], "correct_order": [0, 0]},
            "exercise_no_correct_answer",
        ),
        (
            {
                "type": "matching",
                "left": ["a", "b"],
                "right": ["c", "d"],
                "pairs": [[0, 0], [1, 0]],
            },
            "exercise_invalid",
        ),
        ({"type": "speaking", "language": "en", "mode": "reading"}, "exercise_invalid"),
        ({"type": "essay"}, "exercise_invalid"),
    ]
    for item, code in cases:
        answer = client.post(path, headers=teacher.headers, json={"title": "Bad", "items": [item]})
        assert (answer.status_code, answer.get_json()["code"]) == (422, code), item
        assert answer.get_json()["items"][0]["item_id"] == "i1"


def test_learners_see_exercises_without_answers_and_only_when_published(client, accounts, content):
    # Given a published and a draft course of one organisation
    teacher = accounts.admin()
    learner = accounts.member(teacher, "learner")
    public = content.tree(teacher)
    draft = content.tree(teacher, published=False)
    # Then the learner reads the public quiz without its answers, the teacher with them
    seen = client.get(
        f"/api/v1/exercises/{public['exercise']['id']}", headers=learner.headers
    ).get_json()
    items = {i["id"]: i for i in seen["items"]}
    assert "correct" not in items["mc"] and "gaps" not in items["gap"]
    assert items["gap"]["gap_count"] == 2
    assert "pairs" not in items["match"] and "correct_order" not in items["ord"]
    authored = client.get(
        f"/api/v1/exercises/{public['exercise']['id']}", headers=teacher.headers
    ).get_json()
    assert authored["items"][0]["correct"] == [0]
    # And submitting to the draft, or to another organisation's quiz, is a 404
    hidden = client.post(
        f"/api/v1/exercises/{draft['exercise']['id']}/attempts",
        headers=learner.headers,
        json={"answers": CORRECT},
    )
    assert (hidden.status_code, hidden.get_json()["code"]) == (404, "exercise_not_found")
    stranger = accounts.admin()
    foreign = client.post(
        f"/api/v1/exercises/{public['exercise']['id']}/attempts",
        headers=stranger.headers,
        json={"answers": CORRECT},
    )
    assert foreign.status_code == 404
