"""The schemathesis run with hostile values (tests/security/test_hostile_fuzz.py) on the
embedded default's database, SQLite, which stores and refuses other things than PostgreSQL
(integers past 64 bits, NUL characters, times out of range)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from flask import Flask
from flask_migrate import upgrade
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import DataGenerationMethod

from api import create_app
from api.jobs import submission
from api.tokens import issue_tokens
from storage.db import db
from storage.models.identity import User
from tests.conftest import make_settings
from tests.factories import Account, Accounts
from tests.security.test_hostile_fuzz import hostile_settings, send_hostile


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, Account]]:
    """The platform on a SQLite file and its admin, once for the module: a fresh database
    per operation would cost a migration run each."""
    folder: Path = tmp_path_factory.mktemp("embedded")
    settings_ = make_settings(folder, database_url=f"sqlite:///{folder / 'platform.db'}")
    app = create_app(settings_, start_services=False)
    app.config["TESTING"] = True
    with app.app_context():
        upgrade(revision="head")
    try:
        yield app, Accounts(app.test_client()).admin()
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        app.extensions["runtime"].stop()


@pytest.fixture
def api_schema(embedded: tuple[Flask, Account]):
    return schemathesis.from_wsgi("/api/v1/openapi.json", embedded[0])


@pytest.fixture(autouse=True)
def short_long_polls(monkeypatch):
    monkeypatch.setattr(submission, "MAX_WAIT", 1)


def _token(app: Flask, admin: Account) -> str:
    """A new session of the admin: an earlier example may have logged the last one out."""
    with app.app_context():
        tokens = issue_tokens(db.session.get(User, admin.id))
        db.session.commit()
        return tokens["access_token"]


schema = schemathesis.from_pytest_fixture(
    "api_schema", data_generation_methods=[DataGenerationMethod.positive]
)


@schema.parametrize()
@hostile_settings
@given(data=st.data())
def test_no_hostile_value_gets_a_server_error_on_sqlite(case, data, embedded):
    app, admin = embedded
    send_hostile(case, data.draw, _token(app, admin))
