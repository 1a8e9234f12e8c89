"""The job runner: every job actor is a thin function wrapped by `job_actor`.

The wrapper claims the job (queued -> running), keeps its lease alive, calls the handler
with a JobContext, and writes the outcome and status in one transaction. A transient
failure goes back to the broker with exponential backoff and jitter (Dramatiq's Retries
middleware); a permanent one fails the job at once with its code.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries, TimeLimit
from flask import current_app
from sqlalchemy.orm.exc import StaleDataError

from core.errors import PlatformError
from pipelines.errors import Canceled
from pipelines.llm import collect_usage
from storage import jobs as job_service
from storage.db import after_commit, db, kept_through_commit
from storage.ids import random_token
from storage.models.jobs import Job
from workers import metrics

log = logging.getLogger(__name__)

# Actors are declared against this placeholder and rebound by workers.broker.install_broker.
_PLACEHOLDER_BROKER = StubBroker(middleware=[Retries(), TimeLimit()])
_actors: dict[str, dramatiq.Actor] = {}
_logical_queues: dict[str, str] = {}
_job_types: dict[str, job_service.JobSpec] = {}


class RetryLater(Exception):
    """Raised by the wrapper so Dramatiq's Retries middleware redelivers with backoff."""


def _retry_when(_retries: int, exc: BaseException) -> bool:
    return isinstance(exc, RetryLater)


@dataclass(frozen=True)
class Outcome:
    """What a handler returns: the result and what produced it."""

    result: dict[str, Any]
    provider: str | None = None
    model: str | None = None
    prompt_version: str | None = None


@dataclass(frozen=True)
class Continue:
    """What a handler returns to hand the job to the next stage's actor."""

    actor: str
    stage: str
    progress: int
    checkpoint: dict[str, Any] = field(default_factory=dict)


@dataclass
class JobContext:
    job: Job
    run_token: str
    _beat: Heartbeat

    @property
    def input(self) -> dict[str, Any]:
        return self.job.input

    @property
    def checkpoint(self) -> dict[str, Any]:
        return self.job.checkpoint or {}

    @property
    def settings(self) -> Any:
        return current_app.extensions["settings"]

    @property
    def session(self) -> Any:
        return db.session

    def report(self, stage: str, progress: int) -> None:
        """Record the stage and progress; raises Canceled when a cancel was requested."""
        self._beat.report(stage, progress)
        if self._beat.cancel_requested:
            raise Canceled()


class Heartbeat:
    """Keeps the job's lease alive from a thread, on its own connection, and records the
    handler's progress: a new stage at once, progress within a stage at most every
    PROGRESS_INTERVAL seconds (a held-back value goes out with the next beat)."""

    PROGRESS_INTERVAL = 0.5

    def __init__(self, app: Any, job_id: str, run_token: str, lease_seconds: int) -> None:
        self.app, self.job_id, self.run_token = app, job_id, run_token
        self.interval = max(1.0, lease_seconds / 3)
        self.cancel_requested = False
        self.owned = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)
        self._lock = threading.Lock()
        self._stage: str | None = None
        self._written_at = 0.0
        self._pending: int | None = None

    def report(self, stage: str, progress: int) -> None:
        with self._lock:
            now = time.monotonic()
            if stage == self._stage and now - self._written_at < self.PROGRESS_INTERVAL:
                self._pending = progress
                return
            if _holds_sqlite_write_lock():
                # The handler's own transaction holds SQLite's one write lock (it wrote, or
                # read a row for update): a write on the heartbeat's connection would wait
                # for this very thread. The stage goes out with the next beat instead.
                self._stage, self._pending = stage, progress
                return
            self._stage, self._written_at, self._pending = stage, now, None
        self.beat(stage=stage, progress=progress)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def beat(self, *, stage: str | None = None, progress: int | None = None) -> None:
        # One autocommit statement on a connection of its own: the job's session may be in
        # the middle of the handler's transaction.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            owned, cancel = job_service.heartbeat(
                connection, self.job_id, self.run_token, stage=stage, progress=progress
            )
        # No change notification: a long poll answers only once the job has ended, so
        # waking it for a stage would only make it read the row again.
        self.owned, self.cancel_requested = owned, cancel

    def _run(self) -> None:
        with self.app.app_context():
            while not self._stop.wait(self.interval):
                with self._lock:
                    stage, progress, self._pending = self._stage, self._pending, None
                    self._written_at = time.monotonic()
                try:
                    if progress is None:
                        self.beat()
                    else:
                        self.beat(stage=stage, progress=progress)
                except Exception:  # a missed beat is retried at the next interval
                    log.warning("job %s: heartbeat failed", self.job_id, exc_info=True)


def _holds_sqlite_write_lock() -> bool:
    """Whether this thread's session holds SQLite's write lock (PostgreSQL has no such
    lock: rows are locked one by one)."""
    session = db.session()  # this thread's session, out of its registry
    if not session.in_transaction() or session.get_bind().dialect.name != "sqlite":
        return False
    driver = session.connection().connection.dbapi_connection
    return bool(driver is not None and driver.in_transaction)


Handler = Callable[[JobContext], "Outcome | Continue | dict[str, Any]"]


def job_actor(
    job_type: str | None,
    *,
    name: str,
    queue: str,
    max_attempts: int = 3,
    lease_seconds: int = 120,
    time_limit_ms: int = 15 * 60 * 1000,
) -> Callable[[Handler], dramatiq.Actor]:
    """Declare a job actor. `job_type` registers the job type this actor starts (None for
    the later stages of a multi-stage job)."""

    def decorator(handler: Handler) -> dramatiq.Actor:
        def run(job_id: str) -> None:
            run_job(job_id, handler, name)

        run.__name__ = name
        actor = dramatiq.actor(
            run,
            actor_name=name,
            queue_name=queue,
            broker=_PLACEHOLDER_BROKER,
            max_retries=max_attempts,
            retry_when=_retry_when,
            time_limit=time_limit_ms,
        )
        _actors[name] = actor
        _logical_queues[name] = queue
        if job_type is not None:
            _job_types[job_type] = job_service.JobSpec(
                type=job_type,
                queue=queue,
                actor=name,
                max_attempts=max_attempts,
                lease_seconds=lease_seconds,
            )
        return actor

    return decorator


def plain_actor(*, name: str, queue: str, **options: Any) -> Callable[[Callable], dramatiq.Actor]:
    """Declare an actor that is not a job (webhook delivery...), bound like job actors."""

    def decorator(fn: Callable) -> dramatiq.Actor:
        actor = dramatiq.actor(
            fn, actor_name=name, queue_name=queue, broker=_PLACEHOLDER_BROKER, **options
        )
        _actors[name] = actor
        _logical_queues[name] = queue
        return actor

    return decorator


def all_actors() -> list[dramatiq.Actor]:
    return list(_actors.values())


def logical_queue(actor_name: str) -> str:
    return _logical_queues[actor_name]


def job_spec(job_type: str) -> job_service.JobSpec:
    """The spec of a job type, with its queue name as configured."""
    spec = _job_types[job_type]
    settings = current_app.extensions["settings"]
    # JOB_LEASE_SECONDS caps every actor's lease: how long a dead worker's job stays running.
    lease = min(spec.lease_seconds, settings.job_lease_seconds)
    return job_service.JobSpec(
        type=spec.type,
        queue=settings.queue(spec.queue),
        actor=spec.actor,
        max_attempts=spec.max_attempts,
        lease_seconds=lease,
    )


def job_types() -> list[str]:
    return sorted(_job_types)


def actor_queue(actor_name: str) -> str:
    return _actors[actor_name].queue_name


def _job_fields(job: Job) -> dict[str, Any]:
    """What every log line of a job carries, read once while the row is loaded."""
    return {
        "job_id": job.id,
        "job_type": job.type,
        "queue": job.queue,
        "attempt": job.attempts,
        "run": job.runs,
        "stage": job.stage,
    }


def _log_job(
    message: str,
    fields: dict[str, Any],
    *,
    event: str,
    started: float | None = None,
    level: int = logging.INFO,
    **more: Any,
) -> None:
    """One line per job event, its fields as JSON keys (job id, type, queue, attempt, stage,
    duration)."""
    extra = {"event": event, **fields, **more}
    if started is not None:
        extra["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
    log.log(level, "job %s (%s) %s", fields["job_id"], fields["job_type"], message, extra=extra)


def run_job(job_id: str, handler: Handler, actor_name: str) -> None:
    session = db.session
    run_token = random_token(12)
    # The claim is one conditional statement, committed at once: in autocommit it is one
    # round trip instead of three (BEGIN, UPDATE, COMMIT).
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    job = job_service.claim(session, job_id, run_token)
    if job is None:
        session.rollback()
        log.info("job %s: not queued any more, message skipped", job_id)
        return
    fields = _job_fields(job)
    with kept_through_commit(job):  # the handler reads the claimed row without a SELECT
        session.commit()
    job_type = job.type
    started = time.perf_counter()
    _log_job("started", fields, event="job.started", actor=actor_name)
    beat = Heartbeat(
        current_app._get_current_object(), job_id, run_token, job.lease_seconds
    ).start()
    from workers.runtime import notify_job, send_job

    after_commit(session, lambda: notify_job(job_id), key=("notify", job_id))
    try:
        with collect_usage() as llm_usage:
            outcome = handler(JobContext(job, run_token, beat))
    except Canceled:
        session.rollback()
        job = session.get(Job, job_id)
        job_service.mark_canceled(session, job, run_token)
        after_commit(session, lambda: notify_job(job_id), key=("notify", job_id))
        session.commit()
        _log_job("canceled", fields, event="job.canceled", started=started)
        metrics.job_finished(job_type, "canceled", time.perf_counter() - started)
        return
    except PlatformError as exc:  # a pipeline's failure or a refusal met on the way
        session.rollback()
        _record_failure(
            job_id, run_token, exc.code, exc.message, exc.retryable, exc.details, started, fields
        )
        return
    except Exception as exc:
        session.rollback()
        log.exception("job %s: unexpected error in %s", job_id, actor_name)
        _record_failure(
            job_id,
            run_token,
            "internal_error",
            f"The job failed unexpectedly ({type(exc).__name__}).",
            True,
            None,
            started,
            fields,
        )
        return
    finally:
        beat.stop()

    # The outcome is written by one conditional statement (this run must still own the
    # row), in the transaction that holds what the handler added. When that write is
    # dropped, so is the rest of the transaction: the rows the handler added belong to an
    # outcome that was not recorded (the job's learner was erased while it ran, or a run
    # that took over the job after its lease expired records its own).
    try:
        written = _write_outcome(session, job_id, run_token, outcome, llm_usage)
    except StaleDataError:
        # A row the handler changed was deleted under it (its learner erased): dropped like
        # the outcome, unless this run still owns the job (a failure of its own).
        session.rollback()
        if job_service.still_owned(session, job_id, run_token):
            raise
        written = None
    if written is None:
        session.rollback()
        _log_job(
            "gone (its learner was erased) or taken over by another run, outcome dropped",
            fields,
            event="job.gone",
            started=started,
        )
        return
    if isinstance(outcome, Continue):
        after_commit(session, lambda: send_job(job_id, outcome.actor, actor_queue(outcome.actor)))
        session.commit()
        _log_job(
            f"stage done, continues to {outcome.stage}",
            fields,
            event="job.continued",
            started=started,
            next_stage=outcome.stage,
        )
        return
    after_commit(session, lambda: notify_job(job_id), key=("notify", job_id))
    session.commit()
    metrics.job_finished(job_type, "succeeded", time.perf_counter() - started)
    _log_job("succeeded", fields, event="job.succeeded", started=started)


def _write_outcome(
    session: Any,
    job_id: str,
    run_token: str,
    outcome: Outcome | Continue | dict[str, Any],
    llm_usage: dict[str, int],
) -> Job | None:
    """Record the handler's outcome (the next stage, or the result) if this run still owns
    the job; None, with nothing written, when it does not."""
    job = session.get(Job, job_id)
    if job is None:
        return None
    if llm_usage:  # summed over the job's stages, for usage metering
        job.llm_usage = _added(job.llm_usage, llm_usage)
    if isinstance(outcome, Continue):
        moved = job_service.continue_to(
            session,
            job,
            run_token,
            queue=actor_queue(outcome.actor),
            actor=outcome.actor,
            stage=outcome.stage,
            progress=outcome.progress,
            checkpoint=outcome.checkpoint,
        )
        return job if moved else None
    if isinstance(outcome, dict):
        outcome = Outcome(outcome)
    done = job_service.complete(
        session,
        job,
        run_token,
        outcome.result,
        provider=outcome.provider,
        model=outcome.model,
        prompt_version=outcome.prompt_version,
    )
    return job if done else None


def _added(total: dict[str, Any] | None, more: dict[str, int]) -> dict[str, int]:
    summed = dict(total or {})
    for key, value in more.items():
        summed[key] = int(summed.get(key, 0)) + value
    return summed


def _record_failure(
    job_id: str,
    run_token: str,
    code: str,
    message: str,
    retryable: bool,
    details: dict[str, Any] | None,
    started: float,
    fields: dict[str, Any],
) -> None:
    from workers.runtime import notify_job

    session = db.session
    job = session.get(Job, job_id)
    if job is None:  # erased with its learner while it ran
        session.rollback()
        _log_job(
            f"gone (its learner was erased), {code} dropped",
            fields,
            event="job.gone",
            started=started,
        )
        return
    verdict = job_service.fail(
        session, job, run_token, code=code, message=message, retryable=retryable, details=details
    )
    after_commit(session, lambda: notify_job(job_id), key=("notify", job_id))
    attempts, max_attempts, job_type = job.attempts, job.max_attempts, job.type
    session.commit()
    if verdict == "retry":
        _log_job(
            f"{code}, retrying (attempt {attempts} of {max_attempts})",
            fields,
            event="job.retrying",
            started=started,
            level=logging.WARNING,
            code=code,
        )
        raise RetryLater(f"{code}: {message}")
    if verdict == "failed":
        _log_job(
            f"failed with {code}",
            fields,
            event="job.failed",
            started=started,
            level=logging.WARNING,
            code=code,
        )
        metrics.job_finished(job_type, "failed", time.perf_counter() - started)
