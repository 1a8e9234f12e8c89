"""Fixtures for the security probes: the platform on PostgreSQL (the default `app`) and on
embedded SQLite, and a way to fire requests at the same moment from real threads."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from api import create_app
from storage.db import db
from tests.conftest import make_settings, use_app
from tests.factories import Accounts
from tests.media.conftest import media_env, media_samples  # noqa: F401  (shared fixtures)


@pytest.fixture
def sqlite_app(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """The platform on a fresh embedded SQLite file (Redis stays, emptied by `app`)."""
    settings = make_settings(tmp_path, database_url=f"sqlite:///{tmp_path / 'platform.db'}")
    embedded = create_app(settings, start_services=False)
    embedded.config["TESTING"] = True
    with embedded.app_context():
        upgrade(revision="head")
    try:
        yield embedded
    finally:
        with embedded.app_context():
            db.session.remove()
            db.engine.dispose()
        embedded.extensions["runtime"].stop()
        use_app(app)


@pytest.fixture(params=["postgresql", "sqlite"])
def any_app(request: pytest.FixtureRequest, app: Flask) -> Flask:
    """The platform on each database it runs on."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_app")
    return app


@pytest.fixture
def any_client(any_app: Flask) -> FlaskClient:
    return any_app.test_client()


@pytest.fixture
def any_accounts(any_client: FlaskClient) -> Accounts:
    return Accounts(any_client)


def at_once(
    app: Flask, calls: list[Callable[[FlaskClient], Any]], timeout: float = 60
) -> list[Any]:
    """Run each call on its own thread and test client, released together by a barrier;
    their results in order (an exception is returned, not raised)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[FlaskClient], Any]) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout)
            results[index] = call(client)
        except Exception as exc:  # reported to the test, which asserts on it
            results[index] = exc

    threads = [
        threading.Thread(target=run, args=(i, call), daemon=True) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results
