"""Stored learning plans, each built by a `learning_plan` job."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import JSONType, db
from storage.models.base import CreatedMixin, TenantMixin


class LearningPlan(TenantMixin, CreatedMixin, db.Model):
    """A plan built by a `learning_plan` job; `plan` holds the whole schedule."""

    __tablename__ = "learning_plans"
    __table_args__ = (
        Index("ix_learning_plans_org_user_created", "organisation_id", "user_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # The learner the plan is for (None when an API key asked without naming one).
    user_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    job_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("jobs.id", ondelete="SET NULL"), unique=True
    )
    language: Mapped[str] = mapped_column(String(16))
    current_level: Mapped[str | None] = mapped_column(String(2))
    current_level_source: Mapped[str] = mapped_column(String(16))  # request or assessment
    target_level: Mapped[str] = mapped_column(String(2))
    goals: Mapped[list[str]] = mapped_column(JSONType, default=list)
    minutes_per_week: Mapped[int] = mapped_column(Integer)
    weeks: Mapped[int] = mapped_column(Integer)
    feasible: Mapped[bool] = mapped_column(Boolean)
    verdict: Mapped[str] = mapped_column(String(16))
    estimated_hours: Mapped[float] = mapped_column(Float)
    summary: Mapped[str] = mapped_column(String(2000))
    plan: Mapped[dict[str, Any]] = mapped_column(JSONType)
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(200))
    prompt_version: Mapped[str | None] = mapped_column(String(64))
