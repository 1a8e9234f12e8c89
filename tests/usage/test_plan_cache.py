"""An organisation's plan is read once and reused by an API process (PLAN_CACHE_SECONDS)
for its quota checks, and a plan change is seen by the next request: at once in the process
that committed it (through any session), and in the others as soon as it is announced on
Redis."""

from __future__ import annotations

import time

import redis
from sqlalchemy import event, text, update

from api import cachesync
from api import quotas as plan_quotas
from storage.db import db
from storage.models.identity import Organisation, User
from tests.api.apihelpers import assert_problem
from tests.usage.test_quotas import put_on
from tests.usage.test_usage import set_plan

SPEECH = {"text": "Hola", "language": "es"}


def speak(client, who):
    return client.post("/api/v1/speech/synthesize", json=SPEECH, headers=who.headers)


def test_the_plan_is_read_once_and_then_reused(app, accounts):
    # Given an organisation on the school plan
    admin = accounts.admin()
    set_plan(app, admin.organisation_id, "school")
    statements: list[str] = []

    def count(_conn, _cursor, sql, *_args) -> None:
        statements.append(sql)

    # When its plan is asked for three times, with commits between that change no plan (a
    # textual statement names no table; a member's name)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        plans = [plan_quotas.plan_of(admin.organisation_id)]
        db.session.execute(text("SELECT 1"))
        db.session.commit()
        db.session.get(User, admin.id).name = "Renamed"
        db.session.commit()
        plans += [plan_quotas.plan_of(admin.organisation_id) for _ in range(2)]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # Then it was read from the database once
    assert plans == ["school"] * 3
    assert len([sql for sql in statements if "organisations.plan" in sql]) == 1, statements


def test_a_plan_change_is_seen_by_the_next_request(app, client, accounts):
    # Given an organisation on the school plan whose plan a request has just read
    admin = accounts.admin()
    set_plan(app, admin.organisation_id, "school")
    assert speak(client, admin).status_code == 202
    # When an operator puts it on the free plan (which has no speech synthesis)
    set_plan(app, admin.organisation_id, "free")
    # Then the very next request is refused
    body = assert_problem(speak(client, admin), 403, "feature_not_in_plan")
    assert body["plan"] == "free"
    # And a plan changed by a bulk update through the ORM is seen at once too
    put_on(admin.organisation_id, "school")
    assert speak(client, admin).status_code == 202
    # And so is the default plan again
    set_plan(app, admin.organisation_id, "default")
    assert speak(client, admin).status_code == 202
    assert plan_quotas.plan_of(admin.organisation_id) == "unlimited"


def test_a_plan_change_announced_by_another_process_is_heard(app, client, accounts):
    # Given an organisation on the school plan whose plan a request has just read
    admin = accounts.admin()
    set_plan(app, admin.organisation_id, "school")
    assert speak(client, admin).status_code == 202
    # When another process puts it on the free plan (a write this process does not see)
    # and announces it on Redis, as every process does after such a commit
    with db.engine.begin() as connection:
        connection.execute(
            update(Organisation).where(Organisation.id == admin.organisation_id).values(plan="free")
        )
    runtime = app.extensions["runtime"]
    publisher = redis.Redis.from_url(runtime.settings.redis_url)
    publisher.publish(cachesync.channel(runtime.settings.queue_prefix, plan_quotas.CHANNEL), "x")
    # Then a request is refused as soon as the announcement is heard
    deadline = time.monotonic() + 4  # under PLAN_CACHE_SECONDS: the announcement, not expiry
    while speak(client, admin).status_code == 202:
        assert time.monotonic() < deadline, "the announcement did not empty the cache"
        time.sleep(0.05)
    assert_problem(speak(client, admin), 403, "feature_not_in_plan")
