"""The job service: every state change of a job goes through here.

The row is the source of truth; a broker message only carries the job id. Each change is a
conditional UPDATE, so two workers holding the same message never both run or finish a job.
Functions take the session and never commit.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Insert,
    Select,
    Update,
    bindparam,
    delete,
    func,
    insert,
    inspect,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from storage.db import utcnow
from storage.errors import Conflict
from storage.ids import new_id
from storage.models.jobs import TERMINAL_STATUSES, IdempotencyRecord, Job
from storage.tenancy import tenant_select

log = logging.getLogger(__name__)

# Called inside the transaction that moves a job to a terminal state (webhook events,
# streaks...). Hooks must only add rows to the session; they run before the commit.
TerminalHook = Callable[[Session, Job], None]
_terminal_hooks: list[TerminalHook] = []


_JOB_COLUMNS = tuple(Job.__mapper__.column_attrs)


def set_terminal_hooks(hooks: list[TerminalHook]) -> None:
    """What runs in the transaction that ends a job, in this order (see workers.wiring)."""
    _terminal_hooks[:] = hooks


@dataclass(frozen=True)
class JobSpec:
    """What the engine needs to know of a job type to create one."""

    type: str
    queue: str
    actor: str
    max_attempts: int = 3
    lease_seconds: int = 120


def new_job(
    spec: JobSpec,
    *,
    organisation_id: str,
    input: dict[str, Any],
    owner_user_id: str | None = None,
    owner_api_key_id: str | None = None,
    learner_user_id: str | None = None,
    idempotency_key: str | None = None,
    callback_url: str | None = None,
) -> Job:
    """A queued job, not yet in any session; its learner is the owner unless another is
    named. Every column is set but the JSON ones left NULL (None would store JSON `null`),
    so the object reads as the row will be stored (see insert_statement)."""
    return Job(
        id=new_id("job"),
        type=spec.type,
        queue=spec.queue,
        actor=spec.actor,
        status="queued",
        stage="queued",
        progress=0,
        input=input,
        organisation_id=organisation_id,
        owner_user_id=owner_user_id,
        owner_api_key_id=owner_api_key_id,
        learner_user_id=learner_user_id or owner_user_id,
        idempotency_key=idempotency_key,
        callback_url=callback_url,
        run_token=None,
        cancel_requested=False,
        max_attempts=spec.max_attempts,
        lease_seconds=spec.lease_seconds,
        attempts=0,
        runs=0,
        enqueued_at=None,
        started_at=None,
        heartbeat_at=None,
        finished_at=None,
        provider=None,
        model=None,
        prompt_version=None,
        created_at=utcnow(),
        version=1,
    )


def create_job(session: Session, spec: JobSpec, **fields: Any) -> Job:
    """A queued job (see new_job), added to the session and flushed."""
    job = new_job(spec, **fields)
    session.add(job)
    session.flush()
    return job


def insert_statement(job: Job) -> tuple[Insert, dict[str, Any]]:
    """The INSERT of a job made by new_job, and its parameters, to run as a statement of its
    own (one round trip, no unit of work); the object stays out of every session."""
    given = inspect(job).dict
    values = {attr.key: given[attr.key] for attr in _JOB_COLUMNS if attr.key in given}
    return insert(Job), values


def mark_enqueued(connection: Connection, job_id: str, enqueued_at: datetime) -> None:
    """Record that the message was sent (a fast worker may have claimed the job already)."""
    connection.execute(_MARK_ENQUEUED, {"job_id": job_id, "enqueued_at": enqueued_at})


# Statements run for every job, built once: building an UPDATE and its cache key costs more
# CPU than the round trip. Values come as bound parameters. They are Core statements on the
# jobs table, run on the session's connection: the ORM's UPDATE ... RETURNING of an entity
# costs about three times the CPU of the statement itself; the row it returns is put on the
# session's Job object by _as_loaded instead.
_JOBS = Job.__table__
_COLUMN_OF = tuple((attr.key, attr.columns[0]) for attr in _JOB_COLUMNS)

_CLAIM = (
    update(_JOBS)
    .where(_JOBS.c.id == bindparam("job_id"), _JOBS.c.status == "queued")
    .values(
        status="running",
        run_token=bindparam("run_token"),
        attempts=_JOBS.c.attempts + 1,
        runs=_JOBS.c.runs + 1,
        started_at=func.coalesce(_JOBS.c.started_at, bindparam("now")),
        heartbeat_at=bindparam("now"),
        version=_JOBS.c.version + 1,
    )
    .returning(*_JOBS.c)
)


_MARK_ENQUEUED = (
    update(_JOBS)
    .where(_JOBS.c.id == bindparam("job_id"), _JOBS.c.enqueued_at.is_(None))
    .values(enqueued_at=bindparam("enqueued_at"))
)


def _as_loaded(session: Session, row: Any) -> Job:
    """The session's Job for `row` (a whole jobs row), its columns set as loaded from the
    database: the object already in the session when there is one, else a new one added
    to it as persistent."""
    mapping = row._mapping
    job = session.identity_map.get(identity_key(Job, (mapping[_JOBS.c.id],)))
    fresh = job is None
    if fresh:
        job = Job.__mapper__.class_manager.new_instance()
    for key, column in _COLUMN_OF:
        set_committed_value(job, key, mapping[column])
    if fresh:
        make_transient_to_detached(job)
        session.add(job)
    return job


def claim(session: Session, job_id: str, run_token: str) -> Job | None:
    """queued -> running, for one holder only. None when the job is not queued any more
    (finished, canceled, or claimed by another delivery of the same message)."""
    # RETURNING: the claimed row comes back with the update, one round trip.
    session.flush()
    row = (
        session.connection()
        .execute(_CLAIM, {"job_id": job_id, "run_token": run_token, "now": utcnow()})
        .first()
    )
    return None if row is None else _as_loaded(session, row)


def _owned_update(job: Job, run_token: str):
    return (
        update(Job)
        .where(Job.id == job.id, Job.run_token == run_token, Job.status == "running")
        .execution_options(synchronize_session=False)
    )


def still_owned(session: Session, job_id: str, run_token: str) -> bool:
    """Whether the run holding `run_token` still owns the job (read now, not from the
    session's copy)."""
    return (
        session.scalar(
            select(Job.id).where(
                Job.id == job_id, Job.run_token == run_token, Job.status == "running"
            )
        )
        is not None
    )


@functools.cache
def _heartbeat_statement(stage: bool, progress: bool) -> Update:
    values: dict[str, Any] = {"heartbeat_at": bindparam("now")}
    if stage:
        values["stage"] = bindparam("stage")
    if progress:
        values["progress"] = bindparam("progress")
    if stage or progress:
        values["version"] = Job.version + 1
    return (
        update(Job)
        .where(
            Job.id == bindparam("job_id"),
            Job.run_token == bindparam("token"),
            Job.status == "running",
        )
        .values(**values)
        .returning(Job.cancel_requested)
    )


def heartbeat(
    session: Session | Connection,
    job_id: str,
    run_token: str,
    *,
    stage: str | None = None,
    progress: int | None = None,
) -> tuple[bool, bool]:
    """Extend the lease (and record progress). Returns (still_owned, cancel_requested)."""
    params: dict[str, Any] = {"now": utcnow(), "job_id": job_id, "token": run_token}
    if stage is not None:
        params["stage"] = stage
    if progress is not None:
        params["progress"] = max(0, min(100, progress))
    result = session.execute(_heartbeat_statement(stage is not None, progress is not None), params)
    row = result.first()
    if row is None:
        return False, False
    return True, bool(row[0])


def _finish(session: Session, job: Job, run_token: str, **values: Any) -> bool:
    values.setdefault("finished_at", utcnow())
    return _finished(
        session,
        job,
        session.scalars(
            _owned_update(job, run_token)
            .values(version=Job.version + 1, **values)
            .returning(Job)
            .execution_options(populate_existing=True)
        ).first(),
    )


def _finished(session: Session, job: Job, row: Job | None) -> bool:
    if row is None:
        log.warning("job %s: outcome dropped, another run owns it", job.id)
        return False
    for hook in _terminal_hooks:
        hook(session, job)
    return True


# The success of every job, built once (see _CLAIM); the constants stay literals, so the
# emptied JSON columns are SQL NULL.
_COMPLETE = (
    update(_JOBS)
    .where(
        _JOBS.c.id == bindparam("job_id"),
        _JOBS.c.run_token == bindparam("token"),
        _JOBS.c.status == "running",
    )
    .values(
        status="succeeded",
        result=bindparam("result", type_=_JOBS.c.result.type),
        error=None,
        progress=100,
        stage="done",
        provider=bindparam("provider"),
        model=bindparam("model"),
        prompt_version=bindparam("prompt_version"),
        checkpoint=None,
        finished_at=bindparam("now"),
        version=_JOBS.c.version + 1,
    )
    .returning(*_JOBS.c)
)


def complete(
    session: Session,
    job: Job,
    run_token: str,
    result: dict[str, Any],
    *,
    provider: str | None = None,
    model: str | None = None,
    prompt_version: str | None = None,
) -> bool:
    if result is None:  # a bound None would be stored as JSON null
        return _finish(
            session,
            job,
            run_token,
            status="succeeded",
            result=None,
            error=None,
            progress=100,
            stage="done",
            provider=provider,
            model=model,
            prompt_version=prompt_version,
            checkpoint=None,
        )
    session.flush()  # what the handler changed on the session is written first
    row = (
        session.connection()
        .execute(
            _COMPLETE,
            {
                "job_id": job.id,
                "token": run_token,
                "result": result,
                "provider": provider,
                "model": model,
                "prompt_version": prompt_version,
                "now": utcnow(),
            },
        )
        .first()
    )
    return _finished(session, job, None if row is None else _as_loaded(session, row))


def fail(
    session: Session,
    job: Job,
    run_token: str,
    *,
    code: str,
    message: str,
    retryable: bool,
    details: dict[str, Any] | None = None,
) -> str:
    """Record a failure. A retryable one with attempts left goes back to `queued` and the
    caller lets the broker redeliver it after a backoff: returns "retry". Otherwise the job
    fails for good: returns "failed" ("dropped" when another run owns the job)."""
    error = {"code": code, "message": message, "retryable": retryable}
    if details:
        error["details"] = details
    if retryable and job.attempts < job.max_attempts:
        result = session.execute(
            _owned_update(job, run_token).values(
                status="queued",
                error=error,
                run_token=None,
                stage="retrying",
                enqueued_at=utcnow(),
                version=Job.version + 1,
            )
        )
        return "retry" if result.rowcount == 1 else "dropped"
    if not retryable:
        error["retryable"] = False
    finished = _finish(session, job, run_token, status="failed", error=error, stage="failed")
    return "failed" if finished else "dropped"


def mark_canceled(session: Session, job: Job, run_token: str) -> bool:
    return _finish(
        session,
        job,
        run_token,
        status="canceled",
        stage="canceled",
        error={"code": "canceled", "message": "The job was canceled.", "retryable": False},
    )


def continue_to(
    session: Session,
    job: Job,
    run_token: str,
    *,
    queue: str,
    actor: str,
    stage: str,
    progress: int,
    checkpoint: dict[str, Any],
) -> bool:
    """Hand the job to the next stage's actor (on another queue): running -> queued.
    Attempts count per stage, so each stage has the job type's whole retry budget."""
    result = session.execute(
        _owned_update(job, run_token).values(
            status="queued",
            queue=queue,
            actor=actor,
            stage=stage,
            progress=progress,
            checkpoint=checkpoint,
            run_token=None,
            enqueued_at=None,
            attempts=0,
            version=Job.version + 1,
        )
    )
    return result.rowcount == 1


def cancel(session: Session, job: Job) -> Job:
    """A queued job is canceled at once; a running one is asked to stop at its next stage."""
    if job.status in TERMINAL_STATUSES:
        raise Conflict(f"The job is already {job.status}.", code="job_not_cancelable")
    if job.status == "queued":
        result = session.execute(
            update(Job)
            .where(Job.id == job.id, Job.status == "queued")
            .values(
                status="canceled",
                stage="canceled",
                finished_at=utcnow(),
                cancel_requested=True,
                version=Job.version + 1,
                error={"code": "canceled", "message": "The job was canceled.", "retryable": False},
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            session.refresh(job)
            for hook in _terminal_hooks:
                hook(session, job)
            return job
    session.execute(
        update(Job)
        .where(Job.id == job.id, Job.status == "running")
        .values(cancel_requested=True, version=Job.version + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(job)
    return job


def retry(session: Session, job: Job, first_actor: str, first_queue: str) -> Job:
    """Run a failed or canceled job again from its first stage."""
    if job.status not in ("failed", "canceled"):
        raise Conflict("Only failed or canceled jobs can be retried.", code="job_not_retryable")
    job.status, job.stage, job.progress = "queued", "queued", 0
    job.attempts, job.error, job.result, job.checkpoint = 0, None, None, None
    job.finished_at = job.enqueued_at = job.started_at = job.heartbeat_at = None
    job.run_token, job.cancel_requested = None, False
    job.actor, job.queue = first_actor, first_queue
    job.version += 1
    session.flush()
    return job


# Sweepers: run by the scheduler; safe on several replicas (SKIP LOCKED).


def take_unsent(session: Session, *, grace_seconds: int = 10, limit: int = 500) -> list[Job]:
    """Queued jobs whose message was never sent (the broker was down at submission)."""
    cutoff = utcnow() - timedelta(seconds=grace_seconds)
    stmt = (
        select(Job)
        .where(Job.status == "queued", Job.enqueued_at.is_(None), Job.created_at < cutoff)
        .order_by(Job.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))


def take_sent_queued(
    session: Session, *, after: tuple[datetime, str] | None = None, limit: int = 500
) -> list[Job]:
    """Queued jobs whose message was sent, oldest first, after the `(created_at, id)` given:
    what a broker that lost its data no longer holds."""
    stmt = select(Job).where(Job.status == "queued", Job.enqueued_at.is_not(None))
    if after is not None:
        stmt = stmt.where(tuple_(Job.created_at, Job.id) > tuple_(*after))
    stmt = stmt.order_by(Job.created_at, Job.id).limit(limit).with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def requeue_stale(session: Session, *, now: datetime | None = None, limit: int = 500) -> list[Job]:
    """Running jobs whose worker stopped heart-beating (killed): back to queued, or failed
    when no attempts are left. Returns the re-queued ones (to be sent after commit)."""
    now = now or utcnow()
    stmt = (
        select(Job)
        .where(Job.status == "running")
        .order_by(Job.heartbeat_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    requeued: list[Job] = []
    for job in session.scalars(stmt):
        if job.heartbeat_at is None or job.heartbeat_at > now - timedelta(
            seconds=job.lease_seconds
        ):
            continue
        token = job.run_token or ""
        if job.attempts >= job.max_attempts:
            _finish(
                session,
                job,
                token,
                status="failed",
                stage="failed",
                error={
                    "code": "worker_lost",
                    "retryable": True,
                    "message": "The worker running the job stopped responding too many times.",
                },
            )
            continue
        job.status, job.run_token, job.enqueued_at, job.stage = "queued", None, None, "requeued"
        job.version += 1
        requeued.append(job)
    session.flush()
    return requeued


def requeue_matching(
    session: Session,
    *,
    organisation_id: str | None,
    statuses: list[str],
    job_type: str | None = None,
    created_before: datetime | None = None,
    limit: int = 1000,
) -> list[Job]:
    """Operators: put failed/canceled (or stuck queued) jobs back in the queue."""
    stmt = select(Job).where(Job.status.in_(statuses))
    if organisation_id:
        stmt = stmt.where(Job.organisation_id == organisation_id)
    if job_type:
        stmt = stmt.where(Job.type == job_type)
    if created_before:
        stmt = stmt.where(Job.created_at < created_before)
    stmt = stmt.order_by(Job.created_at).limit(limit).with_for_update(skip_locked=True)
    jobs = list(session.scalars(stmt))
    for job in jobs:
        if job.status in ("failed", "canceled"):
            retry(session, job, job.actor, job.queue)
        else:
            job.enqueued_at = None
            job.version += 1
    session.flush()
    return jobs


def list_query(
    organisation_id: str,
    *,
    status: str | None = None,
    job_type: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    owner_user_id: str | None = None,
    learner_user_id: str | None = None,
) -> Select:
    """`owner_user_id`: the jobs a user submitted or that are about them (a learner's view)."""
    stmt = tenant_select(Job, organisation_id).order_by(Job.created_at.desc(), Job.id.desc())
    if status:
        stmt = stmt.where(Job.status == status)
    if job_type:
        stmt = stmt.where(Job.type == job_type)
    if created_after:
        stmt = stmt.where(Job.created_at >= created_after)
    if created_before:
        stmt = stmt.where(Job.created_at < created_before)
    if owner_user_id:
        stmt = stmt.where(
            or_(Job.owner_user_id == owner_user_id, Job.learner_user_id == owner_user_id)
        )
    if learner_user_id:
        stmt = stmt.where(Job.learner_user_id == learner_user_id)
    return stmt


@dataclass(frozen=True)
class QueueCounts:
    queue: str
    queued: int
    running: int
    unsent: int
    oldest_queued_seconds: float | None


def queue_counts(session: Session, organisation_id: str | None = None) -> list[QueueCounts]:
    stmt = (
        select(
            Job.queue,
            Job.status,
            func.count(),
            func.min(Job.created_at),
            func.count().filter(Job.enqueued_at.is_(None)),
        )
        .where(Job.status.in_(("queued", "running")))
        .group_by(Job.queue, Job.status)
    )
    if organisation_id:
        stmt = stmt.where(Job.organisation_id == organisation_id)
    now = utcnow()
    per_queue: dict[str, dict[str, Any]] = {}
    for queue, status, count, oldest, unsent in session.execute(stmt):
        entry = per_queue.setdefault(
            queue, {"queued": 0, "running": 0, "unsent": 0, "oldest": None}
        )
        entry[status] = count
        if status == "queued":
            entry["unsent"] = unsent
            entry["oldest"] = (now - oldest).total_seconds() if oldest else None
    return [
        QueueCounts(q, e["queued"], e["running"], e["unsent"], e["oldest"])
        for q, e in sorted(per_queue.items())
    ]


def purge_idempotency_records(session: Session) -> int:
    """Drop Idempotency-Key records past their retention."""
    result = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.expires_at < utcnow())
    )
    return result.rowcount or 0
