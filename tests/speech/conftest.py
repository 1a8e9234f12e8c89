"""Fixtures for the speech API: recordings uploaded through the media API, the speaking
catalogue, job waiting, and workers that consume only some queues."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from storage.db import db
from storage.speech.catalogue import sync_catalogue
from tests.factories import Account

AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio"


@pytest.fixture
def catalogue(app: Flask) -> int:
    """The speaking catalogue, loaded again after the per-test truncation."""
    changed = sync_catalogue(db.session)
    db.session.commit()
    return changed


@pytest.fixture
def upload(client: FlaskClient) -> Callable[..., dict[str, Any]]:
    """`upload(account, "en_reading.wav")` (a fixture clip) or `upload(account, data=b"...",
    filename="x.png", kind=None)`: POST /media and return the ready media item."""

    def post(
        account: Account,
        name: str | None = None,
        *,
        data: bytes | None = None,
        filename: str | None = None,
        kind: str | None = "audio",
    ) -> dict[str, Any]:
        body = data if data is not None else (AUDIO / str(name)).read_bytes()
        form: dict[str, Any] = {} if kind is None else {"kind": kind}
        form["file"] = (io.BytesIO(body), filename or str(name))
        answer = client.post(
            "/api/v1/media", data=form, headers=account.headers, content_type="multipart/form-data"
        )
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()

    return post


def wait_for_job(
    client: FlaskClient, location: str, headers: dict[str, str], seconds: float = 240
) -> dict[str, Any]:
    """Long-poll the job until it is terminal (30 s per request, `seconds` in all)."""
    deadline = time.monotonic() + seconds
    while True:
        answer = client.get(f"{location}?wait=30", headers=headers)
        assert answer.status_code == 200, answer.get_json()
        job = answer.get_json()
        if job["status"] in ("succeeded", "failed", "canceled") or time.monotonic() > deadline:
            return job


def poll_until(
    read: Callable[[], dict[str, Any]], done: Callable[[dict[str, Any]], bool], seconds: float = 240
) -> dict[str, Any]:
    """Read until `done` holds; for intermediate states, which long polling does not wait on."""
    deadline = time.monotonic() + seconds
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)
