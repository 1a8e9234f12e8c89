"""Extensions created once at import time and bound to an app by `create_app`."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from flask import current_app
from flask_jwt_extended import JWTManager
from flask_jwt_extended.config import config as jwt_config
from flask_migrate import Migrate
from flask_smorest import Api as SmorestApi
from flask_smorest.spec import prepare_response

from api.errors import PROBLEM_MIME, ProblemSchema
from storage.db import db

__all__ = ["api", "db", "jwt", "migrate"]


class Api(SmorestApi):
    """flask-smorest's Api, documenting every error as application/problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        import http

        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304) and status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM_MIME)
            elif not (100 <= status < 200) and status not in (204, 304):
                prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Error (application/problem+json)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MIME)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _register_error_handlers(self) -> None:
        # api.errors registers the platform's own handlers for every error.
        return None


class VerifiedTokens:
    """Encoded token -> its verified claims, for one app (one signing key).

    Verifying a token is a pure function of its text and the key, except for time: a token
    verified once stays valid until its `exp` (`nbf` and `iat` only become valid with
    time). flask-jwt-extended parses a presented token four times per request (claims and
    header unverified to pick the key, then verified); a client sends the same token on
    every request until it expires, so the verification is kept and only `exp` is
    checked again. Revocation is not kept here: it is checked on every request (see
    api.tokens.token_state)."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str, leeway: float) -> dict[str, Any] | None:
        with self._lock:
            claims = self._entries.get(token)
            if claims is None:
                return None
            exp = claims.get("exp")
            if exp is not None and exp <= time.time() - leeway:
                del self._entries[token]  # expired: the full decode says so, with its error
                return None
            self._entries.move_to_end(token)
        return dict(claims)

    def put(self, token: str, claims: dict[str, Any]) -> None:
        with self._lock:
            self._entries[token] = dict(claims)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


class JWT(JWTManager):
    """flask-jwt-extended's manager, keeping each app's verified tokens (VerifiedTokens)."""

    def init_app(self, app: Any, add_context_processor: bool = False) -> None:
        super().init_app(app, add_context_processor)
        app.extensions["verified_tokens"] = VerifiedTokens()

    def _decode_jwt_from_config(
        self, encoded_token: str, csrf_value: Any = None, allow_expired: bool = False
    ) -> dict:
        if csrf_value or allow_expired or not isinstance(encoded_token, str):
            return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        verified: VerifiedTokens = current_app.extensions["verified_tokens"]
        leeway = jwt_config.leeway
        claims = verified.get(encoded_token, leeway)
        if claims is None:
            claims = super()._decode_jwt_from_config(encoded_token)
            verified.put(encoded_token, claims)
        return claims


api = Api()
jwt = JWT()
migrate = Migrate()
