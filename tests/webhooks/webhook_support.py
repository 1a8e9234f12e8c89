"""Test helpers: a real HTTP receiver on loopback and the webhook API as partners call it.

Tests script the receiver's answers (status, headers, body, delay) and read back every
request it got; signatures are verified in the tests with the `standardwebhooks` reference
library, never with the platform's own code.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from storage import jobs as job_service
from storage.db import db
from storage.jobs import JobSpec


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
    # time.monotonic() at arrival, to compare the spacing of retries.
    at: float = 0.0


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        # Scripted answers per path (None: whichever request comes next).
        self._answers: dict[str | None, deque[Answer]] = {}
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
        path: str | None = None,
    ) -> None:
        """Queue an answer for the next `times` requests (to `path` only, when given);
        after the queue, the default answer (200 "ok")."""
        with self._lock:
            queue = self._answers.setdefault(path, deque())
            for _ in range(times):
                queue.append(Answer(status, dict(headers or {}), body, delay))

    def _next_answer(self, path: str) -> Answer:
        for key in (path, None):
            queue = self._answers.get(key)
            if queue:
                return queue.popleft()
        return self.default

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
                        Received(
                            "POST", self.path, dict(self.headers.items()), body, time.monotonic()
                        )
                    )
                    answer = receiver._next_answer(self.path)
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


class WebhookApi:
    """Calls to the webhook API as a partner would make them, with assertions on status."""

    def __init__(self, client) -> None:
        self.client = client

    def create(self, account, url: str, *, expect: int = 201, **fields: object) -> dict:
        response = self.client.post(
            "/api/v1/webhooks", json={"url": url, **fields}, headers=account.headers
        )
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    def ping(self, account, **fields: object) -> dict:
        response = self.client.post("/api/v1/jobs/ping", json=fields, headers=account.headers)
        assert response.status_code == 202, response.get_json()
        return response.get_json()

    def wait_job(self, account, job_id: str) -> dict:
        response = self.client.get(f"/api/v1/jobs/{job_id}?wait=30", headers=account.headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def deliveries(self, account, endpoint_id: str | None = None, **query: object) -> list[dict]:
        path = (
            f"/api/v1/webhooks/{endpoint_id}/deliveries"
            if endpoint_id
            else "/api/v1/webhook-deliveries"
        )
        response = self.client.get(
            path, query_string={"per_page": 100, **query}, headers=account.headers
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]

    def delivery(self, account, delivery_id: str) -> dict:
        response = self.client.get(
            f"/api/v1/webhook-deliveries/{delivery_id}", headers=account.headers
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def wait_delivery(
        self, account, delivery_id: str, states: tuple[str, ...], timeout: float = 20.0
    ) -> dict:
        """Poll until the delivery reaches one of `states` (the worker records an attempt
        just after the receiver answered, so there is no event to wait on)."""
        deadline = time.monotonic() + timeout
        while True:
            delivery = self.delivery(account, delivery_id)
            if delivery["state"] in states:
                return delivery
            if time.monotonic() > deadline:
                raise AssertionError(f"delivery stayed {delivery['state']}: {delivery}")
            time.sleep(0.05)

    def events(self, account, **query: object) -> list[dict]:
        response = self.client.get(
            "/api/v1/events", query_string={"per_page": 100, **query}, headers=account.headers
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]


def finish_assessment(
    organisation_id: str,
    learner_id: str,
    result: dict,
    job_input: dict | None = None,
    job_type: str = "assessment.speaking",
) -> str:
    """A job of `learner_id` (a speaking assessment unless told) that the engine completes
    with `result`: the job engine's terminal hook writes the events in that transaction."""
    spec = JobSpec(type=job_type, queue="scoring", actor="score_speaking")
    job = job_service.create_job(
        db.session,
        spec,
        organisation_id=organisation_id,
        input=job_input or {"media_id": "med_1", "language": "es"},
        owner_user_id=learner_id,
    )
    db.session.commit()
    claimed = job_service.claim(db.session, job.id, "run-1")
    job_service.complete(db.session, claimed, "run-1", result, provider="offline")
    db.session.commit()
    return job.id
