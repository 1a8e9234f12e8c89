"""Jobs (the source of truth for every piece of AI work) and idempotency records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import JSONType, db
from storage.models.base import CreatedMixin, TenantMixin

JOB_STATUSES = ("queued", "running", "succeeded", "failed", "canceled")
TERMINAL_STATUSES = frozenset({"succeeded", "failed", "canceled"})


class Job(TenantMixin, CreatedMixin, db.Model):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_org_created", "organisation_id", "created_at"),
        Index("ix_jobs_status_enqueued", "status", "enqueued_at"),
        Index("ix_jobs_status_heartbeat", "status", "heartbeat_at"),
        Index("ix_jobs_org_finished", "organisation_id", "finished_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    type: Mapped[str] = mapped_column(String(64), index=True)
    # The queue and actor that run the job's current stage (a job may move across queues).
    queue: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    stage: Mapped[str | None] = mapped_column(String(64))
    progress: Mapped[int] = mapped_column(Integer, default=0)
    input: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # What earlier stages handed to later ones; not part of the public representation.
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Runs of the current stage (its retry budget is max_attempts); `runs` counts every run
    # of every stage, so a retry or a crash stays visible after the job moved on.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    lease_seconds: Mapped[int] = mapped_column(Integer, default=120)
    # Set on each claim; only the holder of the current token may write the outcome.
    run_token: Mapped[str | None] = mapped_column(String(40))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_user_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    owner_api_key_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("api_keys.id", ondelete="SET NULL")
    )
    # The learner the job is about: the caller, or a learner named by staff or an API key.
    learner_user_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    callback_url: Mapped[str | None] = mapped_column(Text)
    enqueued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    provider: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(200))
    prompt_version: Mapped[str | None] = mapped_column(String(64))
    # What the submission counted against quotas (storage.quotas), given back on failure.
    quota_charge: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Tokens a remote LLM reported using for this job, summed over its calls.
    llm_usage: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Bumped by the job service on every change; the ETag of the job's representation.
    version: Mapped[int] = mapped_column(Integer, default=1)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


class IdempotencyRecord(TenantMixin, CreatedMixin, db.Model):
    """The first answer to a job-creating POST with an Idempotency-Key header."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("organisation_id", "principal_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    principal_id: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="in_flight")
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    response_headers: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    locked_until: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
