"""The audit log: one append-only row per admin or teacher action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import JSONType, db, utcnow
from storage.models.base import TenantMixin


class AuditRecord(TenantMixin, db.Model):
    """Who did what to which target, when and from where, with a before/after summary that
    holds no secret and no personal data (ids, roles, names of settings; never an email,
    a password, a key or a signing secret). Kept apart from retention: the sweeper and the
    erasure of a learner never delete these rows; on PostgreSQL a trigger refuses UPDATE and
    DELETE of them."""

    __tablename__ = "audit_records"
    __table_args__ = (
        Index("ix_audit_records_organisation_created", "organisation_id", "created_at"),
        Index("ix_audit_records_organisation_action", "organisation_id", "action"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "user", "api_key" or "system" (the scheduler, a job).
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(40))
    actor_role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    request_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
