"""Delivery bookkeeping: claim an attempt, record its outcome, redeliver, find lost ones.

A delivery is claimed with a conditional UPDATE (pending -> sending), so two copies of its
broker message never send it twice at once; `locked_until` lets the sweeper recover one
whose worker died mid-attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from storage.db import utcnow
from storage.errors import Conflict
from storage.models.webhooks import (
    FINISHED_STATES,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from storage.tenancy import get_owned, tenant_select
from storage.webhooks.events import new_delivery

# A message may arrive a little before the planned time (clock granularity, jitter).
EARLY_TOLERANCE = timedelta(seconds=1)


def get_delivery(session: Session, organisation_id: str, delivery_id: str) -> WebhookDelivery:
    return get_owned(
        session, WebhookDelivery, delivery_id, organisation_id, what="webhook_delivery"
    )


def claim(
    session: Session, delivery_id: str, *, lease_seconds: float, now: datetime | None = None
) -> WebhookDelivery | None:
    """pending -> sending for one holder, counting the attempt. None when the delivery is
    not due, already taken or finished."""
    now = now or utcnow()
    result = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.state == "pending",
            or_(
                WebhookDelivery.next_attempt_at.is_(None),
                WebhookDelivery.next_attempt_at <= now + EARLY_TOLERANCE,
            ),
        )
        .values(
            state="sending",
            attempts=WebhookDelivery.attempts + 1,
            locked_until=now + timedelta(seconds=lease_seconds),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    return session.get(WebhookDelivery, delivery_id, populate_existing=True)


@dataclass(frozen=True)
class AttemptRecord:
    url: str
    started_at: datetime
    status: int | None
    body: str
    duration_ms: int
    error: str | None
    detail: str | None
    address: str | None


def record_attempt(
    session: Session,
    delivery: WebhookDelivery,
    attempt: AttemptRecord,
    *,
    state: str,
    next_attempt_at: datetime | None = None,
    reason: str | None = None,
) -> WebhookAttempt:
    """Log the attempt and move the delivery to `state` (pending again when retrying)."""
    outcome = "succeeded" if state == "succeeded" else ("retry" if state == "pending" else state)
    row = WebhookAttempt(
        delivery_id=delivery.id,
        number=delivery.attempts,
        url=attempt.url,
        started_at=attempt.started_at,
        response_status=attempt.status,
        response_body=attempt.body,
        duration_ms=attempt.duration_ms,
        error=attempt.error,
        error_detail=attempt.detail,
        address=attempt.address,
        outcome=outcome,
        next_attempt_at=next_attempt_at,
    )
    session.add(row)
    delivery.state = state
    delivery.last_attempt_at = attempt.started_at
    delivery.response_status = attempt.status
    delivery.response_body = attempt.body
    delivery.duration_ms = attempt.duration_ms
    delivery.error = attempt.error
    delivery.error_detail = (
        attempt.detail if attempt.error else (None if state == "succeeded" else reason)
    )
    delivery.next_attempt_at = next_attempt_at
    delivery.locked_until = None
    delivery.enqueued_at = None
    if state in FINISHED_STATES:
        delivery.finished_at = utcnow()
    session.flush()
    return row


def finish_without_attempt(
    session: Session, delivery: WebhookDelivery, *, state: str, error: str, detail: str
) -> None:
    """End a claimed delivery that was not sent (endpoint gone or disabled, nothing to send);
    the claim's attempt count is given back."""
    delivery.state = state
    delivery.attempts = max(0, delivery.attempts - 1)
    delivery.error, delivery.error_detail = error, detail
    delivery.next_attempt_at = delivery.locked_until = None
    delivery.finished_at = utcnow()
    session.flush()


def redeliver(session: Session, delivery: WebhookDelivery) -> WebhookDelivery:
    """A new delivery of the same message (same `webhook-id`, same body) to the same place."""
    if delivery.state not in FINISHED_STATES:
        raise Conflict("The delivery is still in progress.", code="delivery_in_progress")
    if delivery.state == "skipped":
        raise Conflict(
            "The event has no payload in this endpoint's format.", code="delivery_not_applicable"
        )
    url = delivery.url
    if delivery.endpoint_id is not None:
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        if endpoint is None or not endpoint.enabled:
            raise Conflict(
                "The webhook endpoint is disabled; enable it first.", code="webhook_disabled"
            )
        url = endpoint.url
    copy = new_delivery(
        delivery.event, url=url, endpoint_id=delivery.endpoint_id, format=delivery.format
    )
    copy.body, copy.content_type = delivery.body, delivery.content_type
    copy.redelivery_of, copy.lti_link_id = delivery.id, delivery.lti_link_id
    session.add(copy)
    session.flush()
    return copy


def mark_enqueued(session: Session, delivery_ids: list[str]) -> None:
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(delivery_ids), WebhookDelivery.state == "pending")
        .values(enqueued_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def take_lost(
    session: Session,
    *,
    unsent_grace_seconds: int = 10,
    lost_grace_seconds: int = 900,
    limit: int = 500,
    now: datetime | None = None,
) -> list[WebhookDelivery]:
    """Deliveries whose message went missing: due and never sent (the broker was down),
    due long ago and still pending (the broker lost the message), or `sending` past their
    lease (the worker died; they go back to pending and the attempt stays counted)."""
    now = now or utcnow()
    pending = WebhookDelivery.state == "pending"
    stmt = (
        select(WebhookDelivery)
        .where(
            or_(
                pending
                & WebhookDelivery.enqueued_at.is_(None)
                & (
                    WebhookDelivery.next_attempt_at <= now - timedelta(seconds=unsent_grace_seconds)
                ),
                pending
                & (WebhookDelivery.next_attempt_at <= now - timedelta(seconds=lost_grace_seconds)),
                (WebhookDelivery.state == "sending") & (WebhookDelivery.locked_until < now),
            )
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    lost = list(session.scalars(stmt))
    for delivery in lost:
        if delivery.state == "sending":
            delivery.state, delivery.locked_until = "pending", None
            delivery.next_attempt_at = now
    session.flush()
    return lost


def list_query(
    organisation_id: str,
    *,
    endpoint_id: str | None = None,
    event_id: str | None = None,
    state: str | None = None,
    callbacks_only: bool = False,
) -> Select:
    stmt = tenant_select(WebhookDelivery, organisation_id)
    if endpoint_id:
        stmt = stmt.where(WebhookDelivery.endpoint_id == endpoint_id)
    if callbacks_only:
        stmt = stmt.where(
            WebhookDelivery.endpoint_id.is_(None), WebhookDelivery.lti_link_id.is_(None)
        )
    if event_id:
        stmt = stmt.where(WebhookDelivery.event_id == event_id)
    if state:
        stmt = stmt.where(WebhookDelivery.state == state)
    return stmt.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
