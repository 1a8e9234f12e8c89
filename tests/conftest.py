"""Test harness: real PostgreSQL, real Redis, a real Dramatiq worker.

Each test starts from empty tables (TRUNCATE) and an empty Redis database. Point the suite
elsewhere with TEST_DATABASE_URL and TEST_REDIS_URL (one database per concurrent run).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import dramatiq
import psycopg
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from api import create_app  # noqa: E402
from core.settings import Settings  # noqa: E402
from storage.db import db  # noqa: E402
from tests.factories import Accounts  # noqa: E402

pytest_plugins: list[str] = ["tests.s3server", "tests.lms.lrs"]


def _per_worker(database_url: str, redis_url: str, worker: str) -> tuple[str, str]:
    """Under `pytest -n N` each xdist worker (gw0, gw1, ...) gets a database and a Redis
    database of its own: `<name>_gwK` and the Redis database K below the one configured."""
    if not worker:
        return database_url, redis_url
    index = int(worker.removeprefix("gw"))
    base, _, query = database_url.partition("?")
    database_url = f"{base}_{worker}" + (f"?{query}" if query else "")
    prefix, _, number = redis_url.rpartition("/")
    redis_db = int(number or 0) - index
    if redis_db < 0:
        raise RuntimeError(
            f"TEST_REDIS_URL {redis_url} leaves no Redis database for {worker}: "
            "point it at a higher database number or run fewer workers."
        )
    return database_url, f"{prefix}/{redis_db}"


TEST_DATABASE_URL, TEST_REDIS_URL = _per_worker(
    os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    os.environ.get("PYTEST_XDIST_WORKER", ""),
)


def _ensure_database(url: str) -> None:
    """Create the test database when missing (the suite may run on a fresh cluster)."""
    name = url.rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def pytest_sessionstart(session: pytest.Session) -> None:
    try:
        _ensure_database(TEST_DATABASE_URL)
        with psycopg.connect(TEST_DATABASE_URL, connect_timeout=5) as connection:
            connection.execute("SELECT 1")
    except Exception as exc:
        pytest.exit(f"PostgreSQL at {TEST_DATABASE_URL} is unreachable: {exc}", returncode=3)
    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        pytest.exit(f"Redis at {TEST_REDIS_URL} is unreachable: {exc}", returncode=3)


def make_settings(tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = dict(
        env="test",
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        data_dir=tmp,
        database_url=TEST_DATABASE_URL,
        redis_url=TEST_REDIS_URL,
        storage_backend="local",
        media_dir=tmp / "media",
        embedded_services=False,
        job_retry_min_backoff_ms=50,
        job_retry_max_backoff_ms=400,
        sweep_interval_seconds=1,
        webhook_allow_private_networks=True,
        webhook_retry_schedule=(0, 0.2, 0.5, 1.0),
        log_json=False,
        log_level="INFO",
        # The cheapest argon2id: hundreds of accounts are made; the cost is not under test.
        password_hash_time_cost=1,
        password_hash_memory_kib=32,
    )
    values.update(overrides)
    return Settings(**values).finalised()  # type: ignore[arg-type]


def reset_schema(app: Flask) -> None:
    """Drop everything and apply the migrations: tests run against the real schema path."""
    from flask_migrate import upgrade

    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"))
        upgrade(revision="head")


def truncate_all(app: Flask) -> None:
    """Empty every table. A connection left idle in a transaction by an earlier test's
    worker thread would block TRUNCATE: such sessions are ended first."""
    with app.app_context():
        db.session.remove()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND state LIKE 'idle in transaction%'"
                )
            )
            connection.execute(text("SET LOCAL lock_timeout = '20s'"))
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def _session_app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings, start_services=False)
    app.config["TESTING"] = True
    reset_schema(app)
    yield app
    app.extensions["runtime"].stop()


@pytest.fixture(scope="session")
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(TEST_REDIS_URL)


def use_app(app: Flask) -> None:
    """Bind the actors and the runtime back to `app` after another app was created."""
    from workers import runtime
    from workers.broker import install_broker

    rt = app.extensions["runtime"]
    install_broker(rt.broker, rt.settings)
    runtime._last = rt


@pytest.fixture
def app(_session_app: Flask, redis_client: redis.Redis) -> Iterator[Flask]:
    """The app with empty tables and an empty Redis database."""
    truncate_all(_session_app)
    redis_client.flushdb()
    use_app(_session_app)  # another app may have bound the actors meanwhile
    with _session_app.app_context():
        yield _session_app
        db.session.remove()


class IsolatedClient(FlaskClient):
    """Runs each request on a thread of its own, so it gets a fresh app context and database
    session torn down afterwards, as in production: a view that forgets to commit fails here
    instead of passing on the test's own session."""

    executor: ThreadPoolExecutor

    def open(self, *args: Any, **kwargs: Any) -> Any:
        return self.executor.submit(super().open, *args, **kwargs).result()


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="request") as executor:
        isolated = IsolatedClient(app, app.response_class, use_cookies=True)
        isolated.executor = executor
        yield isolated


@pytest.fixture
def accounts(client: FlaskClient) -> Accounts:
    return Accounts(client)


@pytest.fixture
def worker(app: Flask) -> Iterator[dramatiq.Worker]:
    """A real Dramatiq worker consuming the Redis broker in this process."""
    broker = app.extensions["runtime"].broker
    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    worker.start()
    yield worker
    _stop_worker(worker)


def _stop_worker(worker: dramatiq.Worker) -> None:
    """Ask running jobs to stop (they see it at their next stage), then stop the worker."""
    from storage.models.jobs import Job

    try:
        db.session.rollback()
        db.session.query(Job).filter(Job.status == "running").update({"cancel_requested": True})
        db.session.commit()
    except Exception:
        db.session.rollback()
    worker.stop(timeout=10_000)
    # Dramatiq never removes a stopped worker's middleware from the broker; the session's
    # broker outlives many workers.
    worker.broker.middleware[:] = [
        m for m in worker.broker.middleware if getattr(m, "worker", None) is not worker
    ]


@pytest.fixture
def app_with(app: Flask, tmp_path: Path) -> Iterator:
    """`app_with(llm_provider="openai", ...)`: another app on the same database and Redis
    with some settings changed. The default app is restored afterwards."""
    made: list[Flask] = []

    def make(**overrides: object) -> Flask:
        other = create_app(make_settings(tmp_path, **overrides), start_services=False)
        other.config["TESTING"] = True
        made.append(other)
        return other

    yield make
    for other in made:
        other.extensions["runtime"].stop()
    use_app(app)


@pytest.fixture
def start_worker() -> Iterator:
    """`start_worker(app)`: a real Dramatiq worker for an app made with `app_with`."""
    started: list[dramatiq.Worker] = []

    def start(for_app: Flask, threads: int = 2) -> dramatiq.Worker:
        worker = dramatiq.Worker(
            for_app.extensions["runtime"].broker, worker_threads=threads, worker_timeout=100
        )
        worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        _stop_worker(worker)


@pytest.fixture
def queue_worker(app: Flask) -> Iterator[Callable[..., dramatiq.Worker]]:
    """`queue_worker("transcription")`: a real worker that consumes only the queues named."""
    started: list[dramatiq.Worker] = []

    def start(*queues: str, for_app: Flask | None = None) -> dramatiq.Worker:
        rt = (for_app or app).extensions["runtime"]
        names = {rt.settings.queue(q) for q in queues}
        worker = dramatiq.Worker(rt.broker, queues=names, worker_threads=1, worker_timeout=100)
        worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop(timeout=10_000)
