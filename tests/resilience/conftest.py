"""Fixtures of the resilience tests: a private Redis that the test may stop, and worker and
scheduler processes that it may kill."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from storage.db import db
from storage.models.jobs import Job
from tests.conftest import TEST_DATABASE_URL
from tests.factories import Accounts
from tests.resilience.resilience_support import Fleet, RedisServer, platform_env


@dataclass
class Stack:
    """The API app (in this process) and the processes around it, on a private Redis."""

    app: Flask
    client: FlaskClient
    accounts: Accounts
    redis: RedisServer
    fleet: Fleet

    def status_counts(self) -> dict[str, int]:
        rows = db.session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
        db.session.rollback()  # end the snapshot: the next read sees the workers' commits
        return {status: count for status, count in rows}

    def jobs(self) -> list[Job]:
        jobs = list(db.session.scalars(select(Job).order_by(Job.created_at)))
        db.session.rollback()
        return jobs


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def stack(app_with, private_redis: RedisServer, tmp_path: Path) -> Iterator[Stack]:
    # Leases and the broker's dead-worker detection are shortened as in the processes' env.
    api_app = app_with(
        redis_url=private_redis.url,
        job_lease_seconds=5,
        broker_heartbeat_timeout_ms=3000,
        broker_maintenance_chance=100_000,
    )
    client = api_app.test_client()
    fleet = Fleet(platform_env(TEST_DATABASE_URL, private_redis.url, tmp_path), tmp_path)
    try:
        yield Stack(api_app, client, Accounts(client), private_redis, fleet)
    finally:
        fleet.stop()
        print(fleet.logs())  # shown by pytest when the test failed
