"""Connection pool checks and rows kept through a commit, on the real PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.exc import OperationalError

from storage import authstate
from storage import jobs as job_service
from storage.db import db, insert_ignoring_conflict, kept_through_commit, ping_when_idle, utcnow
from storage.ids import new_id
from storage.models.identity import Organisation
from storage.models.jobs import Job
from storage.models.usage import UsageRecord
from tests.conftest import TEST_DATABASE_URL
from tests.factories import Accounts
from workers import engine as job_engine

SQLALCHEMY_URL = TEST_DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1)


def backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT pg_backend_pid()"))


def terminate(pid: int) -> None:
    """What a database restart does to a pooled connection."""
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.fixture
def one_connection_engine():
    engines = []

    def make(idle_seconds: float):
        engine = create_engine(SQLALCHEMY_URL, pool_size=1, max_overflow=0)
        ping_when_idle(engine, idle_seconds)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


def test_an_idle_connection_killed_by_the_database_is_replaced_unseen(one_connection_engine):
    # Given a pool whose connections are pinged once idle (here: always)
    engine = one_connection_engine(0.0)
    pid = backend_pid(engine)

    # When the database ends that connection while it sits in the pool
    terminate(pid)

    # Then the next checkout notices, reconnects, and the statement succeeds
    assert backend_pid(engine) != pid


def test_a_connection_used_a_moment_ago_is_not_pinged(one_connection_engine):
    # Given a pool that pings only connections idle for an hour, and a connection in it
    engine = one_connection_engine(3600.0)
    backend_pid(engine)
    statements: list[str] = []
    event.listen(
        engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_: statements.append(statement),
    )

    # When it is checked out again, Then only the caller's statement reaches the database
    backend_pid(engine)
    assert statements == ["SELECT pg_backend_pid()"]

    # And if the database ended it meanwhile, one statement fails, and the pool recovers
    pid = backend_pid(engine)
    terminate(pid)
    with pytest.raises(OperationalError) as failed:
        backend_pid(engine)
    assert failed.value.connection_invalidated
    assert backend_pid(engine) != pid


def test_a_request_on_a_connection_the_database_ended_is_a_503_then_recovers(app_with):
    # Given an API whose pool holds one connection, just used by a signed-in admin
    api = app_with()
    client = api.test_client()
    admin = Accounts(client).admin()
    with api.app_context():
        db.session.remove()
        db.engine.dispose()  # the pool starts empty: the next request opens one connection
    assert client.get("/api/v1/auth/me", headers=admin.headers).status_code == 200
    with api.app_context():
        pid = backend_pid(db.engine)

    # When the database ends it (a restart) right after
    terminate(pid)

    # Then the next request answers 503 with Retry-After, not a 500, and the one after works
    failed = client.get("/api/v1/auth/me", headers=admin.headers)
    assert failed.status_code == 503, failed.get_json()
    assert failed.get_json()["code"] == "database_unavailable"
    assert failed.headers["Retry-After"]
    assert client.get("/api/v1/auth/me", headers=admin.headers).status_code == 200


def test_a_row_kept_through_commit_is_read_without_a_select(app):
    # Given a job inserted by this transaction
    organisation = Organisation(id=new_id("org"), name="Kept")
    db.session.add(organisation)
    db.session.flush()
    job = job_service.create_job(
        db.session,
        job_engine.job_spec("ping"),
        organisation_id=organisation.id,
        input={"sleep_ms": 0},
    )
    statements: list[str] = []

    def record(_connection, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        # When it is committed inside kept_through_commit, with one value changed meanwhile
        with kept_through_commit(job, inserted=True) as kept:
            db.session.commit()
            kept["stage"] = "changed elsewhere"
        seen = {
            attr: getattr(job, attr)
            for attr in (
                "id",
                "status",
                "stage",
                "input",
                "result",
                "error",
                "enqueued_at",
                "created_at",
                "version",
            )
        }
    finally:
        event.remove(db.engine, "before_cursor_execute", record)

    # Then reading it cost no SELECT
    assert not [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # And it shows what the database holds, but for the value the block changed
    db.session.expire_all()
    stored = db.session.scalars(select(Job).where(Job.id == job.id)).one()
    for attr, value in seen.items():
        expected = "changed elsewhere" if attr == "stage" else getattr(stored, attr)
        assert value == expected, attr


def test_insert_ignoring_conflict_writes_once_and_is_compiled_once(app):
    # Given a finished job's usage row, written through the cached ON CONFLICT statement
    organisation = Organisation(id=new_id("org"), name="Metered")
    db.session.add(organisation)
    db.session.flush()
    now = utcnow()
    values = {
        "organisation_id": organisation.id,
        "job_id": new_id("job"),
        "learner_user_id": None,
        "job_type": "ping",
        "status": "succeeded",
        "day": now.date(),
        "created_at": now,
        "assessments": 1,
        "audio_seconds": 2.5,
        "llm_input_tokens": 0,
        "llm_output_tokens": 0,
        "kind": "job",
        "speech_seconds_in": 0.0,
        "characters_synthesised": 0,
        "partner_turns": 0,
        "realtime_sessions": 0,
    }
    table = UsageRecord.__table__
    first = insert_ignoring_conflict(
        db.session, table, values, conflict=("job_id",), returning="id"
    ).first()
    # When the same job's row is written again
    second = insert_ignoring_conflict(
        db.session, table, {**values, "assessments": 7}, conflict=("job_id",), returning="id"
    ).first()
    # Then the first wrote the row with its values and types, the second nothing
    assert first is not None and second is None
    # And the write is not taken for a change of users or tokens (which would empty every
    # API process's token cache at each finished job)
    assert authstate.changes.key not in db.session.info
    stored = db.session.scalars(
        select(UsageRecord).where(UsageRecord.job_id == values["job_id"])
    ).one()
    assert (stored.id, stored.assessments, stored.audio_seconds, stored.created_at) == (
        first[0],
        1,
        2.5,
        now,
    )
    # And a column whose default is Python's cannot be left out silently
    with pytest.raises(ValueError, match="created_at"):
        insert_ignoring_conflict(
            db.session,
            table,
            {k: v for k, v in values.items() if k != "created_at"},
            conflict=("job_id",),
        )
