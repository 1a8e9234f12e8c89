"""A real HTTP receiver on loopback for webhook tests.

Tests script the receiver's answers (status, headers, body, delay) and read back every
request it got; signatures are verified in the tests with the `standardwebhooks` reference
library, never with the platform's own code.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay: float = 0.0


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._answers: deque[Answer] = deque()
        self.default = Answer()
        self._lock = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(
        self,
        status: int = 200,
        headers: dict[str, str] | None = None,
        body: bytes = b"ok",
        delay: float = 0.0,
        times: int = 1,
    ) -> None:
        """Queue an answer for the next `times` requests; after the queue, 200 "ok"."""
        with self._lock:
            for _ in range(times):
                self._answers.append(Answer(status, dict(headers or {}), body, delay))

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until `count` requests have arrived (or fail after `timeout`)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"receiver got {len(self.requests)} requests, expected {count}"
                    )
                self._lock.wait(remaining)
            return list(self.requests)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.requests.append(
                        Received("POST", self.path, dict(self.headers.items()), body)
                    )
                    answer = receiver._answers.popleft() if receiver._answers else receiver.default
                    receiver._lock.notify_all()
                if answer.delay:
                    time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    for key, value in answer.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    # The client gave up (a timeout test); nothing left to answer.
                    pass

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        return Handler

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    try:
        yield server
    finally:
        server.stop()
