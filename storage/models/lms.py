"""Learners' identities in partner LMSs: one user may be known to several LMSs (an LTI
platform by its registration, a partner's own system by a label it chooses)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import db
from storage.models.base import CreatedMixin, TenantMixin


class LmsIdentity(TenantMixin, CreatedMixin, db.Model):
    """`external_id` is the learner's id in the LMS named `lms` (an LTI `sub`, a partner's
    student number); unique per organisation and LMS."""

    __tablename__ = "lms_identities"
    __table_args__ = (UniqueConstraint("organisation_id", "lms", "external_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    lms: Mapped[str] = mapped_column(String(255))
    external_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    updated_at: Mapped[datetime | None]
