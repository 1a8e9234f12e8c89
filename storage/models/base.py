"""Column helpers shared by the models."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from storage.db import utcnow


class TenantMixin:
    """A row that belongs to one organisation. Every query over it filters by that column
    (see storage.tenancy)."""

    @declared_attr
    def organisation_id(cls) -> Mapped[str]:  # noqa: N805
        return mapped_column(
            String(40), ForeignKey("organisations.id", ondelete="CASCADE"), index=True
        )


class CreatedMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
