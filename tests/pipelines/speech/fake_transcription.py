"""A local HTTP server speaking the OpenAI audio transcription API, for the real `openai` client.

It parses the multipart upload like the real service, records each request (form fields and
the uploaded file) and answers from a script of (status, body, headers, delay). Loopback only.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Upload:
    path: str
    fields: dict[str, list[str]]
    filename: str
    file: bytes
    authorization: str


def verbose_json(words: list[tuple[str, float, float]], language: str = "english") -> Scripted:
    """A 200 answer in OpenAI's verbose_json shape, one segment per sentence-ending word."""
    segments, current = [], []
    for word in words:
        current.append(word)
        if word[0].endswith((".", "?", "!")) or word is words[-1]:
            segments.append(
                {
                    "id": len(segments),
                    "seek": 0,
                    "start": current[0][1],
                    "end": current[-1][2],
                    "text": " " + " ".join(w[0] for w in current),
                    "tokens": [1, 2, 3],
                    "temperature": 0.0,
                    "avg_logprob": -0.12,
                    "compression_ratio": 1.1,
                    "no_speech_prob": 0.01,
                }
            )
            current = []
    body = {
        "task": "transcribe",
        "language": language,
        "duration": words[-1][2] + 0.3 if words else 1.0,
        "text": " ".join(w[0] for w in words),
        "words": [{"word": w[0].strip(".,?!"), "start": w[1], "end": w[2]} for w in words],
        "segments": segments,
    }
    return Scripted(200, body)


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Scripted:
    return Scripted(status, {"error": {"message": message, "type": "server_error"}}, headers or {})


class FakeTranscriptionServer:
    """`with FakeTranscriptionServer() as server:`; give `server.base_url` to the client."""

    def __init__(self) -> None:
        self.script: deque[Scripted] = deque()
        self.uploads: list[Upload] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("content-length", 0))
                upload = _parse_multipart(
                    self.path, self.headers.get("content-type", ""), self.rfile.read(length)
                )
                upload.authorization = self.headers.get("authorization", "")
                with outer._lock:
                    outer.uploads.append(upload)
                    answer = outer.script.popleft() if outer.script else error(500, "no script")
                if answer.delay:
                    time.sleep(answer.delay)
                payload = json.dumps(answer.body).encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    for key, value in answer.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def push(self, *answers: Scripted) -> None:
        self.script.extend(answers)

    def __enter__(self) -> FakeTranscriptionServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _parse_multipart(path: str, content_type: str, body: bytes) -> Upload:
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, list[str]] = {}
    filename, file = "", b""
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename():
            filename, file = part.get_filename(), part.get_payload(decode=True)
        else:
            fields.setdefault(name, []).append(part.get_payload(decode=True).decode())
    return Upload(path=path, fields=fields, filename=filename, file=file, authorization="")
