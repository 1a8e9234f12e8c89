"""Every error answer is application/problem+json with a stable code and the request id."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, g, json
from marshmallow import INCLUDE, Schema, fields
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from core.crypto import SecretUnreadable
from core.errors import PlatformError
from storage.db import db
from storage.errors import ServiceUnavailable, Unprocessable

log = logging.getLogger("api.errors")

PROBLEM_MIME = "application/problem+json"

# Stable codes for the HTTP errors raised by Flask, Werkzeug and flask-smorest themselves.
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    422: "validation_error",
    428: "precondition_required",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


class ProblemSchema(Schema):
    """RFC 9457 problem details, plus the platform's stable `code` and the request id."""

    class Meta:
        # Problems carry extension members (RFC 9457 section 3.2), e.g. the ids at fault.
        unknown = INCLUDE

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    code = fields.String(metadata={"description": "Stable machine-readable error code."})
    request_id = fields.String(allow_none=True)
    errors = fields.Dict(metadata={"description": "Per-field messages (validation errors)."})


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": getattr(g, "request_id", None),
    }
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIME)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten_messages(messages: Any) -> dict[str, Any]:
    """webargs nests messages by location ({"json": {"field": [...]}}); clients want fields."""
    if not isinstance(messages, dict):
        return {"_schema": messages}
    flat: dict[str, Any] = {}
    for location, per_field in messages.items():
        if isinstance(per_field, dict):
            flat.update(per_field)
        else:
            flat[location] = per_field
    return flat


def _json_decoding_failed(exc: BaseException | None) -> bool:
    # Outside debug, Flask hides Werkzeug's "Failed to decode JSON object" behind a bare
    # BadRequest raised from it; look through the chain.
    while exc is not None:
        if "JSON" in (getattr(exc, "description", "") or ""):
            return True
        exc = exc.__cause__
    return False


def handle_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = _HTTP_CODES.get(status, "http_error")
    detail = exc.description or HTTPStatus(status).description
    data = getattr(exc, "data", None) or {}
    extra: dict[str, Any] = {}
    messages = data.get("messages")
    if messages is not None:
        errors = _flatten_messages(messages)
        if status == 400 and any("Invalid JSON body" in str(m) for m in errors.values()):
            code, detail = "malformed_json", "The request body is not valid JSON."
        elif status == 422:
            detail = "The request has invalid or unknown fields."
            extra["errors"] = errors
        else:
            extra["errors"] = errors
    elif status == 400 and _json_decoding_failed(exc):
        code, detail = "malformed_json", "The request body is not valid JSON."
    elif status == 413:
        detail = "The request body is larger than this endpoint accepts."
    headers = {}
    if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    if status in (500,):
        detail = "The server failed to handle the request."
    return problem(status, code, detail, headers=headers, **extra)


_DERIVED_TITLES = {422: Unprocessable.title, 503: ServiceUnavailable.title}
# Members every problem has; an error's details never replace them.
_PROBLEM_MEMBERS = frozenset(ProblemSchema().fields) - {"errors"}


def handle_platform_error(exc: PlatformError) -> Response:
    """The one translation of the platform's errors into HTTP: a refusal's own status, else
    422 for work the input makes impossible and 503 for work worth trying again later."""
    # A class's title fits its own status; with another status given, use that status's
    # phrase; a status that follows from `retryable` reads as the refusals of that status do.
    if exc.status is None:
        title = _DERIVED_TITLES[exc.http_status]
    else:
        title = exc.title if exc.status == type(exc).status else None
    details = {k: v for k, v in exc.details.items() if k not in _PROBLEM_MEMBERS}
    return problem(
        exc.http_status, exc.code, exc.message, title=title, headers=exc.headers, **details
    )


def handle_data_error(exc: DataError) -> Response:
    # A value the request schema let through but the database refuses (a NUL character, a
    # number out of range): the request is at fault, not the server.
    log.warning("the database refused a value of the request: %s", type(exc.orig).__name__)
    db.session.rollback()  # the transaction is aborted: nothing more can run in it
    return problem(
        422,
        "invalid_value",
        "A value in the request cannot be stored or searched "
        "for (for example a NUL character or a number out of range).",
    )


def handle_database_unreachable(exc: DBAPIError) -> Response:
    """The database connection broke (a restart, a failover) or the database gave up on the
    statement: 503, and the client retries. A broken connection invalidates the pool, so the
    next request connects afresh."""
    if not exc.connection_invalidated and not isinstance(exc, OperationalError):
        return handle_unexpected(exc)
    log.warning("database unreachable: %s", type(exc.orig).__name__)
    db.session.rollback()
    return problem(
        503,
        "database_unavailable",
        "The database could not complete the request; try again shortly.",
        headers={"Retry-After": "2"},
    )


def handle_secret_unreadable(exc: SecretUnreadable) -> Response:
    """A stored secret no configured key opens: SECRET_KEY or ENCRYPTION_KEYS was changed
    without keeping the old key. The operator's fix, named; the organisation's request is
    not at fault, and a retry once the keys are restored succeeds (503, as /readyz says)."""
    log.error("a stored secret cannot be opened: %s", exc)
    db.session.rollback()
    return problem(
        503,
        "secret_unreadable",
        "A stored secret cannot be opened with the configured keys; the operator must "
        "restore the previous key (ENCRYPTION_KEYS, see the README on key rotation).",
    )


def handle_unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return handle_http_exception(exc)
    log.exception("unhandled error", extra={"error_type": type(exc).__name__})
    return problem(500, "internal_error", "The server failed to handle the request.")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(PlatformError, handle_platform_error)
    app.register_error_handler(DataError, handle_data_error)
    app.register_error_handler(DBAPIError, handle_database_unreachable)
    app.register_error_handler(SecretUnreadable, handle_secret_unreadable)
    app.register_error_handler(Exception, handle_unexpected)
