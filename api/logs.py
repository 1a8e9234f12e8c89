"""JSON logs carrying the request id, user and organisation; secrets are masked."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
# Values that look like credentials are masked wherever they appear in a message.
_SECRET_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/=]+"),
    re.compile(r"lak_[A-Za-z0-9_\-]+"),
    re.compile(r"whsec_[A-Za-z0-9+/=]+"),
    re.compile(r"(?i)((?:password|secret|token|api[_-]?key)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"),
    re.compile(r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+"),
    # The local backend's signed URLs carry their token in the path (two parts, not a JWT).
    re.compile(r"(/media/local/)[^\s\"'?#]+"),
    # S3 presigned URLs: the signature and the credential scope.
    re.compile(r"(?i)(X-Amz-(?:Signature|Credential|Security-Token)=)[^\s&\"']+"),
]
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def redact(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "[redacted]", text)
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if has_request_context():
            entry["request_id"] = getattr(g, "request_id", None)
            principal = getattr(g, "principal", None)
            if principal is not None:
                entry["user_id"] = principal.user_id
                entry["api_key_id"] = principal.api_key_id
                entry["organisation_id"] = principal.organisation_id
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(level: str, as_json: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if as_json
        else RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler._platform = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    # Replace only the handler a previous app installed: others (pytest's capture, a
    # process manager's) stay.
    root.handlers[:] = [h for h in root.handlers if not getattr(h, "_platform", False)]
    root.addHandler(handler)
    root.setLevel(level)
    # Werkzeug's own access log would print query strings; the request log below replaces it.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # The scheduler would log every sweep (several a minute) at INFO; the sweepers log what they
    # actually do, and the executor's warnings (missed runs) and errors still come through.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)


def init_request_logging(app: Flask) -> None:
    access = logging.getLogger("api.access")

    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        # fullmatch: `$` alone would let a trailing newline into the logs.
        g.request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        request_id = getattr(g, "request_id", None) or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        if request.path not in ("/healthz", "/metrics"):
            elapsed = (time.perf_counter() - getattr(g, "started", time.perf_counter())) * 1000
            access.info(
                "%s %s %s",
                request.method,
                redact(request.path),
                response.status_code,
                extra={"status": response.status_code, "duration_ms": round(elapsed, 1)},
            )
        return response
