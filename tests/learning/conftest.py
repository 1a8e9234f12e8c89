"""Fixtures of the learning-records tests: a clock the tests move, and vocabulary helpers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from storage.learning import events


class Clock:
    """The time the API and services see; tests set and advance it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment

    def advance(self, **delta: float) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now


@pytest.fixture
def clock(app: Flask) -> Iterator[Clock]:
    clock = Clock(datetime(2024, 6, 1, 12, 0, tzinfo=UTC))
    app.extensions["clock"] = clock
    yield clock
    app.extensions.pop("clock", None)


@pytest.fixture
def captured_events() -> Iterator[list[dict]]:
    """Learning events, captured instead of handed to the webhooks area."""
    seen: list[dict] = []

    def sink(session, organisation_id, event_type, data, *, user_id=None, occurred_at=None):
        seen.append(
            {
                "organisation_id": organisation_id,
                "type": event_type,
                "data": data,
                "user_id": user_id,
            }
        )

    events.set_event_sink(sink)
    yield seen
    events.set_event_sink(None)


class Vocabulary:
    """Words and groups created through the API."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def group(self, author, name: str = "Basic Greetings", language: str = "ja") -> dict:
        response = self.client.post(
            "/api/v1/word-groups", headers=author.headers, json={"name": name, "language": language}
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def word(self, author, term: str, **fields: object) -> dict:
        body = {"language": "ja", "term": term, **fields}
        response = self.client.post("/api/v1/words", headers=author.headers, json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()


@pytest.fixture
def vocab(client: FlaskClient) -> Vocabulary:
    return Vocabulary(client)
