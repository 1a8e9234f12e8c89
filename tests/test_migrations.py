"""The migrations are the schema's source: after `upgrade` (to their one head) nothing differs
from the models, and they apply on SQLite (embedded mode) too."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from api import create_app
from storage.db import db
from tests.conftest import make_settings, use_app


def _significant(diffs: list) -> list:
    # Server-side sequence defaults of integer primary keys are not modelled.
    return [d for d in diffs if not (isinstance(d, tuple) and d[0] == "remove_sequence")]


def test_postgresql_schema_matches_the_models(app):
    with db.engine.connect() as connection:
        diffs = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), db.metadata
        )
    assert _significant(diffs) == []


def test_migrations_apply_on_sqlite(app, tmp_path):
    embedded = create_app(
        make_settings(tmp_path, redis_url=None, database_url=""), start_services=False
    )
    try:
        with embedded.app_context():
            upgrade(revision="head")
            with db.engine.connect() as connection:
                tables = set(db.inspect(connection).get_table_names())
        assert {t.name for t in db.metadata.sorted_tables} <= tables
    finally:
        embedded.extensions["runtime"].stop()
        use_app(app)


def test_the_migrations_have_one_head():
    # Given the migration scripts
    scripts = ScriptDirectory(str(Path(__file__).resolve().parents[1] / "storage" / "migrations"))
    # Then they end in one head, so a plain `flask db upgrade` applies them all: a new
    # migration revises the current head rather than opening a branch of its own
    assert len(scripts.get_heads()) == 1, scripts.get_heads()
