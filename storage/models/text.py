"""Text capabilities: stored learning plans and the vocabulary-hint cache."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import JSONType, db, utcnow
from storage.models.base import CreatedMixin, TenantMixin


class LearningPlan(TenantMixin, CreatedMixin, db.Model):
    """A plan built by a `learning_plan` job; `plan` holds the whole schedule."""

    __tablename__ = "learning_plans"
    __table_args__ = (Index("ix_learning_plans_org_user_created", "organisation_id", "user_id",
                            "created_at"),)  # fmt: skip

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


class HintCacheEntry(TenantMixin, CreatedMixin, db.Model):
    """One generated hint, keyed by everything that shaped it (see pipelines.hints)."""

    __tablename__ = "hint_cache"
    __table_args__ = (UniqueConstraint("organisation_id", "cache_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cache_key: Mapped[str] = mapped_column(String(64))
    word: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(16))
    word_id: Mapped[str | None] = mapped_column(String(40), index=True)
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(200))
    prompt_version: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JSONType)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    last_hit_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
