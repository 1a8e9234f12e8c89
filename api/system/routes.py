"""Liveness, readiness, metrics and the Swagger UI's static files."""

from __future__ import annotations

import hmac
import logging
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request, send_from_directory
from sqlalchemy import text

from api import settings
from api.errors import problem
from api.extensions import db
from storage.secrets import unknown_key_ids
from workers import runtime

log = logging.getLogger(__name__)

blp = Blueprint("system", __name__)


@blp.get("/healthz")
def healthz() -> Response:
    """The process is alive."""
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz() -> Response:
    """Database, Redis and the object store answer."""
    checks: dict[str, str] = {}
    failing: list[str] = []
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means "not ready"
        log.warning("readiness: database failed: %s", type(exc).__name__)
        db.session.rollback()
        checks["database"], failing = "unavailable", [*failing, "database"]
    if not failing:
        # Stored secrets sealed with a key no longer configured (SECRET_KEY rotated without
        # keeping the old one in ENCRYPTION_KEYS): every webhook would fail. Not ready, so a
        # rolling deploy with that mistake never takes traffic.
        unknown = unknown_key_ids(db.session, current_app.extensions["secret_box"])
        checks["encryption_keys"] = "ok" if not unknown else "stored secrets use unknown keys"
        if unknown:
            log.error(
                "readiness: stored secrets were encrypted with keys %s, which are not "
                "configured; put the old SECRET_KEY in ENCRYPTION_KEYS (README: Keys and "
                "their rotation)",
                ", ".join(sorted(unknown)),
            )
            failing = [*failing, "encryption_keys"]
    for name, check in runtime.readiness_checks().items():
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:
            log.warning("readiness: %s failed: %s", name, type(exc).__name__)
            checks[name], failing = "unavailable", [*failing, name]
    if failing:
        return problem(
            503,
            "dependency_unavailable",
            f"Not ready: {', '.join(failing)} unavailable.",
            checks=checks,
        )
    return jsonify(status="ready", checks=checks)


_LOOPBACK = ("127.0.0.1", "::1")


@blp.get("/metrics")
def metrics() -> Response:
    """Prometheus metrics of this process and of the job tables."""
    from workers.metrics import render_latest

    # The job gauges count every organisation's work: not for the open internet. Prometheus
    # scrapes with a bearer token (its `authorization` setting); without METRICS_TOKEN only
    # a scraper on the same machine may read it.
    token = settings().metrics_token
    if token:
        presented = request.headers.get("Authorization", "")
        if not hmac.compare_digest(presented.encode(), f"Bearer {token}".encode()):
            return problem(
                401,
                "unauthorized",
                "The metrics need the scrape token.",
                headers={"WWW-Authenticate": "Bearer"},
            )
    elif request.remote_addr not in _LOOPBACK:
        return problem(
            403,
            "forbidden",
            "The metrics are served to loopback callers only; "
            "set METRICS_TOKEN to scrape them from elsewhere.",
        )
    body, content_type = render_latest()
    return Response(body, content_type=content_type)


def _swagger_dir() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


@blp.get("/docs/assets/<path:filename>")
def swagger_assets(filename: str) -> Response:
    """Swagger UI served from the installed bundle, so /docs works without internet."""
    return send_from_directory(_swagger_dir(), filename, max_age=86400)
