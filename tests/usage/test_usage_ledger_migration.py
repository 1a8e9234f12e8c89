"""Migration 0240 merges the conversation usage table into the usage ledger: its rows move
into `usage_records` as activity rows with the same sums, job rows are left as they were,
and a downgrade puts the sums back, on PostgreSQL and on SQLite (embedded mode)."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from api import create_app
from storage.db import db
from tests.conftest import TEST_DATABASE_URL, make_settings, use_app

BEFORE, AFTER = "0210", "0240"
CONVERSATION_ROWS = [  # (learner, day, metric, value)
    ("usr_a", "2026-11-02", "llm_input_tokens", 300.0),
    ("usr_a", "2026-11-02", "partner_turns", 4.0),
    ("usr_a", "2026-11-03", "speech_seconds_in", 61.5),
    (None, "2026-11-03", "realtime_sessions", 1.0),
    ("usr_b", "2026-11-03", "characters_synthesised", 420.0),
]


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield ""
        return
    name = f"test_migrate_{uuid.uuid4().hex[:10]}"
    admin_url = TEST_DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield TEST_DATABASE_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _seed(connection) -> None:
    connection.execute(
        text(
            "INSERT INTO organisations (id, name, created_at) VALUES "
            "('org_m', 'School', CURRENT_TIMESTAMP)"
        )
    )
    for user in ("usr_a", "usr_b"):
        connection.execute(
            text(
                "INSERT INTO users (id, organisation_id, email, password_hash, role, name, "
                "timezone, target_languages, is_active, created_at) VALUES (:id, 'org_m', :email, "
                "'x', 'learner', 'L', 'UTC', '[]', :active, CURRENT_TIMESTAMP)"
            ),
            {"id": user, "email": f"{user}@example.test", "active": True},
        )
    connection.execute(
        text(
            "INSERT INTO usage_records (organisation_id, job_id, learner_user_id, job_type, "
            "status, day, assessments, audio_seconds, llm_input_tokens, llm_output_tokens, "
            "created_at) VALUES ('org_m', 'job_1', 'usr_a', 'writing_assessment', 'succeeded', "
            ":day, 1, 0, 100, 20, CURRENT_TIMESTAMP)"
        ),
        {"day": "2026-11-02"},
    )
    for learner, day, metric, value in CONVERSATION_ROWS:
        connection.execute(
            text(
                "INSERT INTO conversation_usage (organisation_id, learner_user_id, day, metric, "
                "value) VALUES ('org_m', :learner, :day, :metric, :value)"
            ),
            {"learner": learner, "day": day, "metric": metric, "value": value},
        )


def _conversation_sums(connection) -> dict:
    rows = connection.execute(
        text("SELECT learner_user_id, day, metric, value FROM conversation_usage")
    ).all()
    return {(r[0], str(r[1]), r[2]): float(r[3]) for r in rows}


def test_conversation_usage_moves_into_the_ledger_and_back(app, tmp_path, database_url):
    migrating = create_app(
        make_settings(tmp_path, redis_url=None, database_url=database_url), start_services=False
    )
    try:
        with migrating.app_context():
            # Given the schema before the merge with job and conversation usage
            upgrade(revision=BEFORE)
            with db.engine.begin() as connection:
                _seed(connection)
                before = _conversation_sums(connection)
            # When the merge is applied
            upgrade(revision=AFTER)
            with db.engine.begin() as connection:
                tables = set(db.inspect(connection).get_table_names())
                rows = connection.execute(
                    text(
                        "SELECT kind, job_id, learner_user_id, day, llm_input_tokens, "
                        "partner_turns, speech_seconds_in, realtime_sessions, "
                        "characters_synthesised FROM usage_records ORDER BY kind, id"
                    )
                ).all()
            # Then the conversation table is gone and each of its rows is an activity row
            # with its value in its metric's column; the job row is as it was
            assert "conversation_usage" not in tables
            jobs = [r for r in rows if r.kind == "job"]
            activity = [r for r in rows if r.kind == "activity"]
            assert [(r.job_id, r.llm_input_tokens) for r in jobs] == [("job_1", 100)]
            assert len(activity) == len(CONVERSATION_ROWS)
            assert all(r.job_id is None for r in activity)
            moved = {}
            for r in activity:
                for metric in (
                    "llm_input_tokens",
                    "partner_turns",
                    "speech_seconds_in",
                    "realtime_sessions",
                    "characters_synthesised",
                ):
                    if getattr(r, metric):
                        moved[(r.learner_user_id, str(r.day), metric)] = float(getattr(r, metric))
            assert moved == before
            # And a downgrade puts the same sums back and leaves the job row
            downgrade(revision=BEFORE)
            with db.engine.begin() as connection:
                assert _conversation_sums(connection) == before
                assert connection.execute(
                    text("SELECT job_id FROM usage_records")
                ).scalars().all() == ["job_1"]
            upgrade(revision="head")
    finally:
        migrating.extensions["runtime"].stop()
        use_app(app)
