"""Per-process wiring: broker, notifier, Redis client, and the embedded worker and scheduler."""

from __future__ import annotations

import atexit
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import dramatiq
import redis
from flask import Flask, current_app, has_app_context
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from core.settings import Settings
from storage import jobs as job_service
from storage.db import after_commit, autocommit_connection, utcnow
from storage.models.jobs import Job
from workers import metrics
from workers.broker import build_broker, install_broker
from workers.notify import LocalNotifier, RedisNotifier

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    broker: dramatiq.Broker
    notifier: LocalNotifier | RedisNotifier
    redis: redis.Redis | None = None
    object_store: Any = None
    readiness: dict[str, Callable[[], Any]] = field(default_factory=dict)
    services: dict[str, Any] = field(default_factory=dict)
    stoppers: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        while self.stoppers:
            try:
                self.stoppers.pop()()
            except Exception:
                log.warning("runtime: stopping a service failed", exc_info=True)


_last: Runtime | None = None


def init_app(app: Flask, settings: Settings, *, with_prometheus: bool = False) -> Runtime:
    global _last
    import workers.actors  # noqa: F401  (declares every actor)

    broker = build_broker(settings, app, with_prometheus=with_prometheus)
    install_broker(broker, settings)
    client = None
    if settings.redis_url:
        client = redis.Redis.from_url(
            settings.redis_url, socket_connect_timeout=2, socket_timeout=10
        )
        notifier: LocalNotifier | RedisNotifier = RedisNotifier(client, settings.queue_prefix)
    else:
        notifier = LocalNotifier()
    runtime = Runtime(settings=settings, broker=broker, notifier=notifier, redis=client)
    if client is not None:
        runtime.readiness["redis"] = client.ping
    runtime.object_store = _build_object_store(settings)
    runtime.readiness["object_store"] = runtime.object_store.ping
    app.extensions["runtime"] = runtime
    _last = runtime
    from storage import identity
    from workers import wiring

    identity.configure_password_hashing(
        settings.password_hash_time_cost, settings.password_hash_memory_kib
    )
    wiring.wire()
    return runtime


def _build_object_store(settings: Settings) -> Any:
    from storage.objectstore import ObjectStoreConfig, ObjectStoreError, build_object_store

    store = build_object_store(
        ObjectStoreConfig(
            backend=settings.storage_backend,
            endpoint=settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            region=settings.s3_region,
            bucket=settings.s3_bucket,
            secure=settings.s3_secure,
            public_endpoint=settings.s3_public_endpoint,
            local_root=settings.media_dir,
            public_base_url=settings.public_base_url,
            signing_secret=settings.url_signing_key,
        )
    )
    try:
        store.ensure_bucket()
    except ObjectStoreError as exc:  # readiness reports it until the store is back
        log.warning("object store not reachable at start-up: %s", exc)
    return store


def object_store() -> Any:
    """The configured object store (S3/MinIO or local disk)."""
    return get().object_store


def get() -> Runtime:
    if has_app_context() and "runtime" in current_app.extensions:
        return current_app.extensions["runtime"]
    if _last is None:
        raise RuntimeError("the platform runtime is not initialised")
    return _last


def readiness_checks() -> dict[str, Callable[[], Any]]:
    return dict(get().readiness)


def notify_job(job_id: str) -> None:
    try:
        get().notifier.publish(job_id)
    except Exception:  # a missed wake-up only delays a long poll until its timeout
        log.warning("job %s: change notification failed", job_id, exc_info=True)


def broker_send(job_id: str, actor_name: str, queue_name: str) -> bool:
    """Send a job's message; False when the broker is unreachable (the sweeper re-sends)."""
    message = dramatiq.Message(
        queue_name=queue_name, actor_name=actor_name, args=(job_id,), kwargs={}, options={}
    )
    try:
        get().broker.enqueue(message)
    except Exception as exc:
        log.warning(
            "job %s: broker send failed (%s); the sweeper will re-send it",
            job_id,
            type(exc).__name__,
        )
        return False
    return True


def send_job(
    job_id: str, actor_name: str, queue_name: str, connection: Connection | None = None
) -> datetime | None:
    """Send now and record `enqueued_at` (on `connection`, in autocommit, or on a connection
    of its own); returns it, or None when the broker is unreachable (the sweeper re-sends)."""
    if not broker_send(job_id, actor_name, queue_name):
        return None
    enqueued_at = utcnow()
    # One statement in autocommit: no BEGIN and COMMIT round trips on the submission path.
    if connection is not None:
        job_service.mark_enqueued(connection, job_id, enqueued_at)
        return enqueued_at
    with autocommit_connection() as own:
        job_service.mark_enqueued(own, job_id, enqueued_at)
    return enqueued_at


def insert_and_send(job: Job, on_committed: Callable[[str], None]) -> datetime | None:
    """Store a job made by storage.jobs.new_job and send it, for a caller with no
    transaction open: the INSERT runs as one autocommit statement (committed when it
    returns: one round trip where BEGIN, INSERT, COMMIT take three), then the message is
    sent and `enqueued_at` written on the same connection. Returns `enqueued_at` (None: not
    sent; the sweeper sends it). `on_committed(job_id)` runs between the commit and the
    send."""
    statement, values = job_service.insert_statement(job)
    with autocommit_connection() as connection:
        connection.execute(statement, values)
        on_committed(job.id)
        sent = send_job(job.id, job.actor, job.queue, connection=connection)
    metrics.job_submitted(job.type)
    return sent


def enqueue_after_commit(session: Session, job: Job) -> Callable[[], datetime | None]:
    """Enqueue after commit, never before: the worker must find the row. Returns a function
    that tells, after the commit, when the message was sent (None: not sent)."""
    job_id, actor, queue, job_type = job.id, job.actor, job.queue, job.type
    sent: list[datetime | None] = [None]

    def send() -> None:
        sent[0] = send_job(job_id, actor, queue)

    after_commit(session, send)
    after_commit(session, lambda: metrics.job_submitted(job_type))
    return lambda: sent[0]


def start_embedded_services(app: Flask) -> None:
    """Embedded mode: a Dramatiq worker and the scheduler inside this process."""
    runtime = app.extensions["runtime"]
    threads = runtime.settings.embedded_worker_threads
    # The pronunciation decoder holds the interpreter lock for seconds: in a child process
    # it does not stall the API's answers (a batch's long poll) in this one.
    from pipelines.pronunciation.align import decode_in_child_process
    from pipelines.pronunciation.child import child_aligner

    decode_in_child_process()
    runtime.stoppers += [lambda: decode_in_child_process(False), child_aligner().close]
    worker = dramatiq.Worker(runtime.broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    runtime.stoppers.append(worker.stop)
    from workers.scheduler import start_background_scheduler

    scheduler = start_background_scheduler(app)
    runtime.stoppers.append(lambda: scheduler.shutdown(wait=False))
    atexit.register(runtime.stop)
    log.info(
        "embedded worker (%s threads) and scheduler started",
        runtime.settings.embedded_worker_threads,
    )
