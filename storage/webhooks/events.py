"""Events: written in the transaction of the change that causes them, with one delivery per
matching endpoint (and one to a job's callback URL). The deliveries are dispatched to the
broker after the commit by whoever registered a dispatcher (the webhook worker module); a
delivery whose message is lost is found again by the sweeper.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, insert, select
from sqlalchemy.orm import Session

from storage.db import after_commit, utcnow
from storage.ids import new_id
from storage.models.identity import User
from storage.models.jobs import Job
from storage.models.webhooks import EVENT_TYPES, WebhookDelivery, WebhookEndpoint, WebhookEvent
from storage.tenancy import tenant_select
from storage.webhooks import endpointcache

log = logging.getLogger(__name__)

# LMS formats carry learning records only (assessment results and teachers' reviews of them;
# for an LRS also study sessions and flashcard reviews); other events have no meaning for an
# LRS or a gradebook, so such endpoints never receive them.
FORMAT_EVENTS: dict[str, frozenset[str] | None] = {
    "standard": None,
    "xapi": frozenset(
        {
            "job.succeeded",
            "result.reviewed",
            "study.session.ended",
            "study.review.recorded",
            "quiz.graded",
            "lesson.completed",
            "course.completed",
            "webhook.test",
        }
    ),
    "lti_ags": frozenset({"job.succeeded", "result.reviewed", "webhook.test"}),
}

# How long events (with their delivery logs) stay readable for reconciliation.
EVENT_RETENTION_DAYS = 90
# The media area's bulk import job type; its success is also announced on its own.
MEDIA_IMPORT_JOB = "media_import"

Dispatcher = Callable[[list[str]], None]
_dispatchers: list[Dispatcher] = []


def set_dispatchers(dispatchers: list[Dispatcher]) -> None:
    """Each `dispatcher(delivery_ids)` is called after the commit that created the
    deliveries (see workers.wiring)."""
    _dispatchers[:] = dispatchers


def dispatch_after_commit(session: Session, delivery_ids: list[str]) -> None:
    if not delivery_ids:
        return

    def dispatch() -> None:
        for dispatcher in _dispatchers:
            dispatcher(list(delivery_ids))

    after_commit(session, dispatch)


def accepts(endpoint: WebhookEndpoint, event_type: str) -> bool:
    """Whether the endpoint subscribes to the event type and its format can carry it."""
    if endpoint.event_types and event_type not in endpoint.event_types:
        return False
    allowed = FORMAT_EVENTS.get(endpoint.format)
    return allowed is None or event_type in allowed


def new_delivery(
    event: WebhookEvent,
    *,
    url: str,
    endpoint_id: str | None,
    format: str,
    now: datetime | None = None,
) -> WebhookDelivery:
    return WebhookDelivery(
        id=new_id("whd"),
        organisation_id=event.organisation_id,
        event_id=event.id,
        endpoint_id=endpoint_id,
        url=url,
        format=format,
        state="pending",
        attempts=0,
        next_attempt_at=now or utcnow(),
        created_at=now or utcnow(),
    )


_INSERT_EVENT = insert(WebhookEvent)
# The organisation's enabled endpoints, built once (see tenant_select).
_ENABLED_ENDPOINTS = (
    tenant_select(WebhookEndpoint, bindparam("organisation_id"))
    .where(WebhookEndpoint.enabled.is_(True))
    .order_by(WebhookEndpoint.created_at)
)


def _enabled_endpoints(session: Session, organisation_id: str) -> list[WebhookEndpoint]:
    """The organisation's enabled endpoints; none without a query when this process knows
    it has none (storage.webhooks.endpointcache)."""
    cache = endpointcache.current()
    if cache is None:
        return list(session.scalars(_ENABLED_ENDPOINTS, {"organisation_id": organisation_id}))
    if cache.get(organisation_id) is False:
        return []
    generation = cache.generation  # an answer read before a change is not kept after it
    endpoints = list(session.scalars(_ENABLED_ENDPOINTS, {"organisation_id": organisation_id}))
    cache.put(organisation_id, bool(endpoints), generation)
    return endpoints


def record_event(
    session: Session,
    organisation_id: str,
    event_type: str,
    data: Mapping[str, Any],
    *,
    user_id: str | None = None,
    job_id: str | None = None,
    occurred_at: datetime | None = None,
    only_endpoint: WebhookEndpoint | None = None,
    callback_url: str | None = None,
) -> tuple[WebhookEvent, list[WebhookDelivery]]:
    """Write an event and its deliveries in the caller's transaction; they are sent once it
    commits. `only_endpoint` targets one endpoint (test messages); `callback_url` adds a
    delivery signed with the organisation's callback secret."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    now = utcnow()
    values = {
        "id": new_id("msg"),
        "organisation_id": organisation_id,
        "type": event_type,
        "data": dict(data),
        "user_id": user_id,
        "job_id": job_id,
        "created_at": occurred_at or now,
    }
    # One Core INSERT on the session's connection, in its transaction (the ORM's unit of
    # work for one row costs several times the statement); the caller gets the event as
    # an object outside the session, its deliveries name it by id.
    session.flush()  # rows the event names (a new user...) are written first
    session.connection().execute(_INSERT_EVENT, values)
    event = WebhookEvent(**values)
    if only_endpoint is not None:
        targets = [only_endpoint]
    else:
        targets = [
            ep for ep in _enabled_endpoints(session, organisation_id) if accepts(ep, event_type)
        ]
    deliveries = [
        new_delivery(event, url=ep.url, endpoint_id=ep.id, format=ep.format, now=now)
        for ep in targets
    ]
    if callback_url:
        deliveries.append(
            new_delivery(event, url=callback_url, endpoint_id=None, format="standard", now=now)
        )
    session.add_all(deliveries)
    session.flush()
    dispatch_after_commit(session, [d.id for d in deliveries])
    return event, deliveries


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def job_data(job: Job) -> dict[str, Any]:
    """The job's public representation, as GET /jobs/{id} shows it."""
    return {
        "id": job.id,
        "type": job.type,
        "status": job.status,
        "stage": job.stage,
        "progress": job.progress,
        "input": job.input,
        "result": job.result,
        "error": job.error,
        "attempts": job.attempts,
        "runs": job.runs,
        "callback_url": job.callback_url,
        "learner_id": job.learner_user_id,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "provider": job.provider,
        "model": job.model,
        "prompt_version": job.prompt_version,
    }


def _learner_of(session: Session, job: Job) -> str | None:
    """The learner a job is about: the one it recorded; for jobs from before learners were
    recorded, an explicit `learner_id` of the organisation in the input, else the owner."""
    if job.learner_user_id:
        return job.learner_user_id
    named = (job.input or {}).get("learner_id")
    if isinstance(named, str) and named:
        found = session.scalar(
            select(User.id).where(User.id == named, User.organisation_id == job.organisation_id)
        )
        if found:
            return found
    return job.owner_user_id


def on_job_terminal(session: Session, job: Job) -> None:
    """Terminal hook of the job engine: `job.succeeded | job.failed | job.canceled`, in the
    same transaction as the status change; and `media.import.completed` for a bulk import."""
    event, _ = record_event(
        session,
        job.organisation_id,
        f"job.{job.status}",
        job_data(job),
        user_id=_learner_of(session, job),
        job_id=job.id,
        occurred_at=job.finished_at,
        callback_url=job.callback_url,
    )
    # Grades for the LMS resource links the learner was launched from.
    from storage import lti

    dispatch_after_commit(session, [d.id for d in lti.grade_deliveries(session, event, job)])
    if job.type == MEDIA_IMPORT_JOB and job.status == "succeeded":
        # The counts only: an import can hold thousands of items, which the job shows.
        counts = (job.result or {}).get("counts", {})
        record_event(
            session,
            job.organisation_id,
            "media.import.completed",
            {"job_id": job.id, "counts": counts},
            user_id=job.owner_user_id,
            job_id=job.id,
            occurred_at=job.finished_at,
        )


def list_query(
    organisation_id: str,
    *,
    event_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    job_id: str | None = None,
) -> Select:
    """Events oldest first, so a partner reconciling pages forward through what it missed."""
    stmt = tenant_select(WebhookEvent, organisation_id)
    if event_type:
        stmt = stmt.where(WebhookEvent.type == event_type)
    if since:
        stmt = stmt.where(WebhookEvent.created_at >= since)
    if until:
        stmt = stmt.where(WebhookEvent.created_at < until)
    if job_id:
        stmt = stmt.where(WebhookEvent.job_id == job_id)
    return stmt.order_by(WebhookEvent.created_at, WebhookEvent.id)


def purge_older_than(session: Session, cutoff: datetime, *, batch: int = 5000) -> int:
    """Delete events created before `cutoff`, in batches so no lock is held for long;
    their deliveries and attempts go with them (ON DELETE CASCADE)."""
    removed = 0
    while True:
        ids = list(
            session.scalars(
                select(WebhookEvent.id).where(WebhookEvent.created_at < cutoff).limit(batch)
            )
        )
        if not ids:
            return removed
        session.execute(
            delete(WebhookEvent)
            .where(WebhookEvent.id.in_(ids))
            .execution_options(synchronize_session=False)
        )
        removed += len(ids)
