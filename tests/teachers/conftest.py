"""Fixtures for teachers: a class with its teacher and learners, uploads, zips, waiting."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.factories import Account, Accounts

AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
API = "/api/v1"


@dataclass
class School:
    admin: Account
    teacher: Account
    learners: list[Account]
    class_id: str


def make_zip(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def assert_problem(answer: Any, status: int, code: str) -> dict:
    body = answer.get_json()
    assert answer.status_code == status, body
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert body["code"] == code, body
    return body


@pytest.fixture
def upload(client: FlaskClient) -> Callable[..., dict[str, Any]]:
    """`upload(account, data, "name.zip")`: POST /media and return the ready media item."""

    def post(account: Account, data: bytes, filename: str) -> dict[str, Any]:
        answer = client.post(
            f"{API}/media",
            data={"file": (io.BytesIO(data), filename)},
            headers=account.headers,
            content_type="multipart/form-data",
        )
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()

    return post


@pytest.fixture
def school(client: FlaskClient, accounts: Accounts) -> Callable[..., School]:
    """`school(learners=3)`: an organisation, a teacher with a class of learners."""

    def make(learners: int = 3) -> School:
        admin = accounts.admin()
        teacher = accounts.member(admin, "teacher")
        members = [accounts.member(admin, "learner") for _ in range(learners)]
        created = client.post(
            f"{API}/classes", json={"name": "5B English", "language": "en"}, headers=teacher.headers
        )
        assert created.status_code == 201, created.get_json()
        class_id = created.get_json()["id"]
        added = client.post(
            f"{API}/classes/{class_id}/members",
            headers=teacher.headers,
            json={"role": "learner", "emails": [m.email for m in members]},
        )
        assert added.status_code == 200, added.get_json()
        return School(admin, teacher, members, class_id)

    return make


def create_assignment(
    client: FlaskClient, teacher: Account, class_id: str, **fields: Any
) -> dict[str, Any]:
    body = {
        "class_id": class_id,
        "title": "My weekend",
        "kind": "writing",
        "language": "en",
        "level": "B1",
        "prompt_text": "Describe your last weekend.",
    }
    body.update(fields)
    answer = client.post(f"{API}/assignments", json=body, headers=teacher.headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def wait_for_batch(
    client: FlaskClient, location: str, headers: dict[str, str], seconds: float = 300
) -> dict[str, Any]:
    """Long-poll the batch until it is completed or failed."""
    deadline = time.monotonic() + seconds
    while True:
        answer = client.get(f"{location}?wait=30", headers=headers)
        assert answer.status_code == 200, answer.get_json()
        batch = answer.get_json()
        if batch["status"] in ("completed", "failed") or time.monotonic() > deadline:
            return batch


@pytest.fixture
def catalogue(app: Any) -> int:
    """The speaking catalogue, loaded again after the per-test truncation."""
    from storage.db import db
    from storage.speech.catalogue import sync_catalogue

    changed = sync_catalogue(db.session)
    db.session.commit()
    return changed
