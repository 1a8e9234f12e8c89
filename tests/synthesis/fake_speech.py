"""A local HTTP server speaking the OpenAI speech API (`POST /v1/audio/speech`), for the real
`openai` client: it records each request's JSON and answers raw PCM or an error."""

from __future__ import annotations

import json
import math
import struct
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.scripted_http import Scripted, ScriptedServer


def tone_pcm(seconds: float, sample_rate: int = 24000, hz: float = 220.0) -> bytes:
    """A sine tone as 16-bit mono PCM: audio the test can measure the length of."""
    count = int(seconds * sample_rate)
    return b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / sample_rate)))
        for i in range(count)
    )


def pcm(seconds: float) -> Scripted:
    return Scripted(200, {}, raw=tone_pcm(seconds), content_type="audio/pcm")


def error(status: int, message: str) -> Scripted:
    return Scripted(status, {"error": {"message": message, "type": "server_error"}})


class FakeSpeechServer(ScriptedServer):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[dict[str, Any]] = []

    def record(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        self.requests.append({"path": handler.path, **json.loads(body or b"{}")})
