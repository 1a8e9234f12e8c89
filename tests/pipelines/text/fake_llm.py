"""A local HTTP server speaking the OpenAI chat completions API, for the real `openai` client.

Tests script its answers (status, JSON body, headers) in order; it records every request.
Only loopback: the server binds 127.0.0.1 on a free port.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.scripted_http import Scripted, ScriptedServer

__all__ = ["FakeOpenAI", "Scripted", "completion", "error", "json_completion"]


def completion(content: str, model: str = "test-model") -> Scripted:
    """A 200 chat completion whose message content is `content`."""
    return Scripted(
        200,
        {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        },
    )


def json_completion(data: dict[str, Any], model: str = "test-model") -> Scripted:
    return completion(json.dumps(data, ensure_ascii=False), model)


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Scripted:
    return Scripted(
        status,
        {"error": {"message": message, "type": "invalid_request_error", "code": None}},
        headers or {},
    )


class FakeOpenAI(ScriptedServer):
    """Start with `with FakeOpenAI() as server:`; `server.base_url` goes to the client."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        super().__init__()

    def record(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        self.requests.append(json.loads(body or b"{}"))
        self.paths.append(handler.path)

    def __enter__(self) -> FakeOpenAI:
        super().__enter__()
        return self
