"""Batch assessment: many recordings or texts for one assignment, one job per item."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import JSONType, db
from storage.models.base import CreatedMixin, TenantMixin

# expanding: the source is being unpacked into items; running: item jobs are out;
# completed: every item has an outcome; failed: the source itself could not be used.
BATCH_STATUSES = ("expanding", "running", "completed", "failed")
# An item is `error` when it never became a job; otherwise its job's status is its status.
ITEM_STATUSES = ("error", "queued", "running", "succeeded", "failed", "canceled")


class Batch(TenantMixin, CreatedMixin, db.Model):
    __tablename__ = "batches"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    assignment_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default="expanding")
    source: Mapped[dict] = mapped_column(JSONType, default=dict)
    expand_job_id: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[dict | None] = mapped_column(JSONType)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[datetime | None]


class BatchItem(CreatedMixin, db.Model):
    __tablename__ = "batch_items"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("batches.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(1024))
    line: Mapped[int | None] = mapped_column(Integer)
    learner_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="SET NULL")
    )
    media_id: Mapped[str | None] = mapped_column(String(40))
    job_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("jobs.id", ondelete="SET NULL"), index=True
    )
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
