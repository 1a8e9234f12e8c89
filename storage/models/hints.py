"""The organisation's vocabulary-hint cache."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import JSONType, db, utcnow
from storage.models.base import CreatedMixin, TenantMixin


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
