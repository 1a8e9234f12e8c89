"""Fixtures of the learning-content tests: courses built through the API."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.factories import Account
from tests.learning.conftest import clock  # noqa: F401  (the learning tests' moving clock)


def objective_items() -> list[dict[str, Any]]:
    """One item of each objective type."""
    return [
        {
            "id": "mc",
            "type": "multiple_choice",
            "prompt": "Hello in French?",
            "options": ["Bonjour", "Merci", "Au revoir"],
            "correct": [0],
        },
        {
            "id": "gap",
            "type": "gap_fill",
            "text": "I ___ a student. She ___ happy.",
            "gaps": [["am", "'m"], ["is", "'s"]],
        },
        {
            "id": "ord",
            "type": "ordering",
            "prompt": "Make a sentence.",
            "options": ["name", "My", "is", "Ada"],
            "correct_order": [1, 0, 2, 3],
        },
        {
            "id": "match",
            "type": "matching",
            "prompt": "Match the opposites.",
            "left": ["big", "hot", "old"],
            "right": ["cold", "young", "small"],
            "pairs": [[0, 2], [1, 0], [2, 1]],
        },
    ]


CORRECT = {"mc": 0, "gap": ["am", "is"], "ord": [1, 0, 2, 3], "match": [2, 0, 1]}


class Content:
    """Courses, chapters, lessons and exercises created through the API."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def _post(self, author: Account, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.client.post(f"/api/v1{path}", headers=author.headers, json=body)
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()

    def course(self, author: Account, *, published: bool = True, **fields: Any) -> dict:
        body = {
            "title": "English for travellers",
            "language": "en",
            "level_min": "A1",
            "level_max": "A2",
            "status": "published" if published else "draft",
            **fields,
        }
        return self._post(author, "/courses", body)

    def chapter(self, author: Account, course_id: str, title: str, **fields: Any) -> dict:
        return self._post(author, f"/courses/{course_id}/chapters", {"title": title, **fields})

    def lesson(
        self, author: Account, chapter_id: str, title: str = "Greetings", **fields: Any
    ) -> dict:
        body = {"title": title, "level": "A1", "skill": "speaking", "content": "# Hello", **fields}
        return self._post(author, f"/chapters/{chapter_id}/lessons", body)

    def exercise(self, author: Account, lesson_id: str, items: list[dict], **fields: Any) -> dict:
        body = {"title": "Check yourself", "kind": "quiz", "items": items, **fields}
        return self._post(author, f"/lessons/{lesson_id}/exercises", body)

    def tree(
        self,
        author: Account,
        *,
        published: bool = True,
        items: list[dict] | None = None,
        **exercise: Any,
    ) -> dict[str, dict]:
        """A course with one chapter, one lesson and one exercise."""
        course = self.course(author, published=published)
        chapter = self.chapter(author, course["id"], "Meeting people")
        lesson = self.lesson(author, chapter["id"])
        found = self.exercise(author, lesson["id"], items or objective_items(), **exercise)
        return {"course": course, "chapter": chapter, "lesson": lesson, "exercise": found}


@pytest.fixture
def content(client: FlaskClient) -> Content:
    return Content(client)
