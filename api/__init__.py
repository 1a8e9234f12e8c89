"""The Flask application factory."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from api import authcache, cors, jsonguard, nostore, quotas, ratelimit, webhookcache
from api.errors import register_error_handlers
from api.extensions import api, db, jwt, migrate
from api.logs import configure_logging, init_request_logging
from core.crypto import SecretBox
from core.settings import Settings
from storage.db import lock_rows_on_sqlite, ping_when_idle

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "storage" / "migrations"


def create_app(config: Settings | None = None, *, start_services: bool | None = None) -> Flask:
    """Build the app. `start_services` starts the in-process worker and scheduler of
    embedded mode (default: on in embedded mode)."""
    settings = config or Settings.from_env()
    configure_logging(settings.log_level, settings.log_json)
    # The fitted CEFR model is loaded (and checked) once per process, before anything serves:
    # a missing or corrupt artefact stops start-up with its file named, never a silent fallback.
    from pipelines.cefr.model import default_model

    default_model()
    app = Flask(__name__)
    app.extensions["settings"] = settings
    app.extensions["secret_box"] = SecretBox(settings.encryption_keys or (settings.secret_key,))
    app.config.update(_flask_config(settings))

    db.init_app(app)
    _tune_engine(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    jwt.init_app(app)
    api.init_app(app)
    from api import tokens  # noqa: F401  (JWT callbacks)
    from api.resources import register_resources

    register_resources(app, api)
    register_error_handlers(app)
    init_request_logging(app)
    jsonguard.init_app(app)
    nostore.init_app(app)
    cors.init_app(app, settings)
    from api.cli import register_cli

    register_cli(app)

    from workers import runtime

    runtime.init_app(app, settings)
    ratelimit.init_app(app, settings.rates, app.extensions["runtime"].redis, settings.queue_prefix)
    authcache.init_app(app, settings.auth_cache_seconds)
    quotas.init_app(app, settings.plan_cache_seconds)
    webhookcache.init_app(app, settings.webhook_endpoint_cache_seconds)
    if settings.trusted_proxy_count:
        hops = settings.trusted_proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    if start_services is None:
        start_services = settings.embedded and settings.embedded_services
    if start_services:
        runtime.start_embedded_services(app)
    return app


def settings() -> Settings:
    """The settings of the current app."""
    return current_app.extensions["settings"]


def _flask_config(settings: Settings) -> dict[str, Any]:
    if settings.database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        _private_database_file(settings.database_url)
        engine_options: dict[str, Any] = {
            "connect_args": {"timeout": 30, "check_same_thread": False}
        }
    else:
        engine_options = {"pool_size": 10, "max_overflow": 20, "pool_recycle": 1800}
    return {
        "SECRET_KEY": settings.session_key,
        "SQLALCHEMY_DATABASE_URI": settings.database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "MAX_CONTENT_LENGTH": settings.max_request_bytes,
        "JWT_SECRET_KEY": settings.jwt_signing_key,
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(seconds=settings.access_token_ttl),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(seconds=settings.refresh_token_ttl),
        "JWT_TOKEN_LOCATION": ["headers"],
        "JWT_ERROR_MESSAGE_KEY": "detail",
        "API_TITLE": "Language assessment platform",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "api/v1/openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/docs/assets/",
        "API_SPEC_OPTIONS": {
            "info": {
                "description": "Speaking and writing assessment, transcription, hints, "
                "learning plans and learning records, run as jobs."
            },
        },
    }


def _private_database_file(url: str) -> None:
    """The embedded database holds password hashes and encrypted secrets: readable by its
    owner only. SQLite gives its -wal and -shm files the database file's mode."""
    path = url.split("///", 1)[1] if "///" in url else ""
    if not path or path.startswith(":memory:") or "?" in path:
        return
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.chmod(path + suffix, 0o600)


# A pooled connection idle this long is pinged before use (see storage.db.ping_when_idle).
POOL_PING_IDLE_SECONDS = 2.0


def _tune_engine(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        ping_when_idle(engine, POOL_PING_IDLE_SECONDS)
        return
    lock_rows_on_sqlite(engine)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
        # WAL lets the embedded worker write while the API reads; foreign keys are off
        # by default in SQLite.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
