"""Webhooks: partner endpoints, the events they may receive, and each delivery's log.

A `WebhookEvent` is written in the same transaction as the change that caused it. Each
matching endpoint (and a job's callback URL) gets one `WebhookDelivery`, which the delivery
actor attempts on the retry schedule; every attempt is kept as a `WebhookAttempt`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.db import EncryptedString, JSONType, db
from storage.models.base import CreatedMixin, TenantMixin

EVENT_TYPES = (
    "job.succeeded",
    "job.failed",
    "job.canceled",
    "media.import.completed",
    "batch.completed",
    "result.reviewed",
    "streak.reset",
    "study.session.ended",
    "study.review.recorded",
    "quiz.graded",
    "lesson.completed",
    "course.completed",
    "badge.awarded",
    "webhook.test",
    "conversation.message",
)
FORMATS = ("standard", "xapi", "lti_ags")
# A pending delivery waits for its next attempt; `sending` is held by one worker.
DELIVERY_STATES = ("pending", "sending", "succeeded", "failed", "exhausted", "skipped", "canceled")
FINISHED_STATES = frozenset({"succeeded", "failed", "exhausted", "skipped", "canceled"})


class WebhookEndpoint(TenantMixin, CreatedMixin, db.Model):
    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(String(500), default="")
    # Event types this endpoint wants; empty means every type.
    event_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    format: Mapped[str] = mapped_column(String(16), default="standard")
    # The LMS's home page, used as the xAPI account homePage (default: the URL's origin).
    lms_base_url: Mapped[str | None] = mapped_column(Text)
    # xAPI: the LMS (an LTI platform id or a partner's `lms` name) whose ids for its learners
    # name the statements' actors, so the LRS can match them to its own users.
    actor_lms: Mapped[str | None] = mapped_column(String(64))
    # How an LRS wants the platform to authenticate (`basic` or `bearer`), and the
    # credentials ("user:password", or the token), stored encrypted.
    lrs_auth_scheme: Mapped[str | None] = mapped_column(String(16))
    lrs_credentials: Mapped[str | None] = mapped_column(EncryptedString())
    secret: Mapped[str] = mapped_column(EncryptedString())
    # Kept valid for an overlap period after a rotation; both sign until it expires.
    previous_secret: Mapped[str | None] = mapped_column(EncryptedString())
    previous_secret_expires_at: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[datetime | None]
    # Start of the current run of failed attempts; cleared by any success.
    failing_since: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]


class WebhookEvent(TenantMixin, CreatedMixin, db.Model):
    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_org_created", "organisation_id", "created_at"),)

    # `msg_…`: also the `webhook-id` header of every delivery of the event.
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    # The event's `data`; with `type` and `created_at` (the `timestamp`) it makes the
    # Standard Webhooks payload.
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # The learner the event is about (xAPI actor, LTI user), when there is one.
    user_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="SET NULL")
    )
    job_id: Mapped[str | None] = mapped_column(String(40), index=True)


class WebhookDelivery(TenantMixin, CreatedMixin, db.Model):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_state_next", "state", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True
    )
    # None for a job's callback URL, which is signed with the organisation's callback secret.
    endpoint_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    url: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(16), default="standard")
    # The exact bytes sent (rendered on the first attempt), so every retry is identical.
    body: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    enqueued_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(64))
    error_detail: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]
    # Set on a manual redelivery: the delivery it repeats.
    redelivery_of: Mapped[str | None] = mapped_column(String(40))
    # An LTI AGS score for a learner's resource link (sent with the LMS's access token).
    lti_link_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("lti_resource_links.id", ondelete="SET NULL")
    )

    event: Mapped[WebhookEvent] = relationship()
    attempt_log: Mapped[list[WebhookAttempt]] = relationship(
        back_populates="delivery", order_by="WebhookAttempt.number", cascade="all, delete-orphan"
    )


class WebhookAttempt(db.Model):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime]
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(64))
    error_detail: Mapped[str | None] = mapped_column(Text)
    # The address actually connected to (the guarded client reports it).
    address: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    next_attempt_at: Mapped[datetime | None]

    delivery: Mapped[WebhookDelivery] = relationship(back_populates="attempt_log")


class CallbackSecret(db.Model):
    """The organisation's secret for signing `callback_url` deliveries of its jobs."""

    __tablename__ = "callback_secrets"

    organisation_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(EncryptedString())
    previous_secret: Mapped[str | None] = mapped_column(EncryptedString())
    previous_secret_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
    # The secret is shown once: in the rotation answer, or on the first read when it was
    # created on demand by a job's callback.
    revealed_at: Mapped[datetime | None]
