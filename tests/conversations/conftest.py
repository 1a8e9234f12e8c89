"""Helpers for conversation tests: starting a session, taking turns, learner speech made by
espeak-ng and uploaded through the media API."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.factories import Account
from tests.speech.conftest import upload, wait_for_job  # noqa: F401 (the upload fixture)
from tests.webhooks.conftest import receiver  # noqa: F401 (the receiver fixture)

API = "/api/v1/conversations"


class Talk:
    """A learner's side of a conversation, through the API."""

    def __init__(self, client: FlaskClient, account: Account) -> None:
        self.client, self.account = client, account

    def start(self, expect: int = 201, **body: Any) -> dict[str, Any]:
        answer = self.client.post(f"{API}/sessions", json=body, headers=self.account.headers)
        assert answer.status_code == expect, answer.get_json()
        return answer.get_json()

    def job(self, job_id: str) -> dict[str, Any]:
        return wait_for_job(self.client, f"/api/v1/jobs/{job_id}", self.account.headers)

    def opening(self, session: dict[str, Any]) -> dict[str, Any]:
        job = self.job(session["last_job_id"])
        assert job["status"] == "succeeded", job["error"]
        return job["result"]["reply"]

    def say(self, session_id: str, text: str) -> dict[str, Any]:
        """Send a written turn and wait for its job."""
        answer = self.client.post(
            f"{API}/sessions/{session_id}/text", json={"text": text}, headers=self.account.headers
        )
        assert answer.status_code == 202, answer.get_json()
        return wait_for_job(self.client, answer.headers["Location"], self.account.headers)

    def speak(self, session_id: str, media_id: str) -> dict[str, Any]:
        answer = self.client.post(
            f"{API}/sessions/{session_id}/audio",
            json={"media_id": media_id},
            headers=self.account.headers,
        )
        assert answer.status_code == 202, answer.get_json()
        return wait_for_job(self.client, answer.headers["Location"], self.account.headers)

    def session(self, session_id: str) -> dict[str, Any]:
        answer = self.client.get(f"{API}/sessions/{session_id}", headers=self.account.headers)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()

    def messages(self, session_id: str) -> list[dict[str, Any]]:
        answer = self.client.get(
            f"{API}/sessions/{session_id}/messages?per_page=100", headers=self.account.headers
        )
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()["items"]

    def end(self, session_id: str) -> dict[str, Any]:
        answer = self.client.post(f"{API}/sessions/{session_id}/end", headers=self.account.headers)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()


@pytest.fixture
def talk(client: FlaskClient) -> Callable[[Account], Talk]:
    return lambda account: Talk(client, account)


def espeak_wav(text: str, voice: str = "en-us", words_per_minute: int = 140) -> bytes:
    """The learner's turn as speech: espeak-ng reads the text into a WAV file."""
    done = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(words_per_minute), "--stdout"],
        input=text.encode(),
        capture_output=True,
        check=True,
        timeout=60,
    )
    return done.stdout


def silence_wav(seconds: float = 3.0, rate: int = 16000) -> bytes:
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()
