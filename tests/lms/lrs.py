"""A test Learning Record Store on loopback: it checks the LRS credentials and the xAPI
version header, parses every statement with the `tincan` library (and the spec rules that
library leaves out), stores statements by id, and never stores one id twice."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Iterator

import pytest
import tincan
from flask import Flask, Response, request
from werkzeug.serving import make_server


class TestLrsServer:
    __test__ = False

    def __init__(self, username: str = "lrs-key", password: str = "lrs-secret") -> None:
        self.expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self.statements: dict[str, dict] = {}
        self.received = 0
        self.refused: list[tuple[int, str]] = []
        self.fail_next: list[int] = []
        # OAuth2 client credentials the token endpoint accepts, and the tokens it issued.
        self.oauth_client = "Basic " + base64.b64encode(b"lrs-client:lrs-client-secret").decode()
        self.tokens: list[str] = []
        self.app = self._build()
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/xapi/statements"
        self.token_url = f"http://127.0.0.1:{self._server.server_port}/xapi/oauth/token"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()

    def register(self, client, admin, **fields) -> dict:
        """Register this LRS as the organisation's xAPI endpoint with its Basic credentials
        (`fields` add to or replace what is sent); the endpoint as the API answered."""
        body = {
            "url": self.url,
            "format": "xapi",
            "lms_base_url": "https://lms.example.test",
            "lrs_auth": {"scheme": "basic", "username": "lrs-key", "password": "lrs-secret"},
            **fields,
        }
        made = client.post("/api/v1/webhooks", headers=admin.headers, json=body)
        assert made.status_code == 201, made.get_json()
        return made.get_json()

    def _refuse(self, status: int, why: str) -> Response:
        self.refused.append((status, why))
        return Response(json.dumps({"error": why}), status=status, mimetype="application/json")

    def _build(self) -> Flask:
        app = Flask("test-lrs")

        @app.post("/xapi/statements")
        def statements() -> Response:
            self.received += 1
            if self.fail_next:
                return self._refuse(self.fail_next.pop(0), "unavailable")
            presented = request.headers.get("Authorization")
            bearer = presented is not None and presented.removeprefix("Bearer ") in self.tokens
            if presented != self.expected and not bearer:
                return self._refuse(401, "bad credentials")
            if request.headers.get("X-Experience-API-Version") != "1.0.3":
                return self._refuse(400, "X-Experience-API-Version 1.0.3 is required")
            body = request.get_json(silent=True)
            batch = body if isinstance(body, list) else [body]
            ids = []
            for raw in batch:
                try:
                    parsed = tincan.Statement.from_json(json.dumps(raw))
                    uuid.UUID(raw["id"])
                    score = raw.get("result", {}).get("score", {})
                    assert -1 <= score.get("scaled", 0) <= 1, "scaled out of range"
                    assert parsed.actor.account.name and parsed.actor.account.home_page
                    assert parsed.verb.id.startswith("http")
                except Exception as exc:  # a statement the library or the spec refuses
                    return self._refuse(400, f"invalid statement: {exc}")
                known = self.statements.get(raw["id"])
                if known is not None and known != raw:
                    return self._refuse(409, f"statement {raw['id']} exists with other content")
                self.statements[raw["id"]] = raw
                ids.append(raw["id"])
            return Response(json.dumps(ids), mimetype="application/json")

        @app.post("/xapi/oauth/token")
        def token() -> Response:
            if request.headers.get("Authorization") != self.oauth_client:
                return self._refuse(401, "invalid_client")
            if request.form.get("grant_type") != "client_credentials":
                return self._refuse(400, "unsupported_grant_type")
            issued = uuid.uuid4().hex
            self.tokens.append(issued)
            return Response(
                json.dumps({"access_token": issued, "token_type": "Bearer", "expires_in": 3600}),
                mimetype="application/json",
            )

        return app


@pytest.fixture
def lrs() -> Iterator[TestLrsServer]:
    server = TestLrsServer()
    yield server
    server.stop()
