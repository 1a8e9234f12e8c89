"""A loopback HTTP server that answers from a script, for real client libraries in tests.

Subclasses say how to record a request (`record`); answers are (status, JSON body, headers,
delay), given in order with `push`. It binds 127.0.0.1 on a free port.
"""

from __future__ import annotations

import abc
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # A body that is not JSON (audio from a speech API): sent as is, with this content type.
    raw: bytes | None = None
    content_type: str = "application/json"


class ScriptedServer(abc.ABC):
    """`with Server() as server:`; give `server.base_url` to the client."""

    path_prefix = "/v1"

    def __init__(self) -> None:
        self.script: deque[Scripted] = deque()
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                with outer._lock:
                    outer.record(self, body)
                    answer = outer.script.popleft() if outer.script else outer.unscripted()
                if answer.delay:
                    time.sleep(answer.delay)
                payload = answer.raw if answer.raw is not None else json.dumps(answer.body).encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("content-type", answer.content_type)
                    self.send_header("content-length", str(len(payload)))
                    for key, value in answer.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up (timeout tests): nobody to answer

            def log_message(self, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @abc.abstractmethod
    def record(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        """Keep what a test wants to check of one request (called under the lock)."""

    def unscripted(self) -> Scripted:
        return Scripted(500, {"error": {"message": "no script", "type": "server_error"}})

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{self.path_prefix}"

    def push(self, *answers: Scripted) -> None:
        self.script.extend(answers)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
