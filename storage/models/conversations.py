"""Conversation practice: sessions with a partner, their messages, and usage counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.db import JSONType, db
from storage.models.base import CreatedMixin, TenantMixin

SESSION_STATUSES = ("active", "ended")
PARTNERS = ("scenario", "llm")
ROLES = ("learner", "partner")
MESSAGE_KINDS = ("text", "audio")
# A learner's audio message is `pending` until transcribed; a turn that could not be heard
# (silence, noise) or answered is `failed` with its error, and the session goes on.
MESSAGE_STATUSES = ("pending", "ready", "failed")


class ConversationSession(TenantMixin, CreatedMixin, db.Model):
    __tablename__ = "conversation_sessions"
    __table_args__ = (
        Index(
            "ix_conversation_sessions_org_learner_created",
            "organisation_id",
            "learner_user_id",
            "created_at",
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    learner_user_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    owner_user_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="SET NULL")
    )
    owner_api_key_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("api_keys.id", ondelete="SET NULL")
    )
    language: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(2))
    scenario: Mapped[str | None] = mapped_column(String(64))
    topic: Mapped[str | None] = mapped_column(String(200))
    persona: Mapped[str | None] = mapped_column(String(200))
    partner: Mapped[str] = mapped_column(String(16))
    voice: Mapped[str | None] = mapped_column(String(80))
    speed: Mapped[float] = mapped_column(Float, default=1.0)
    status: Mapped[str] = mapped_column(String(16), default="active")
    # The partner's memory between turns (the scenario's step), written by the reply job.
    state: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # One turn at a time: set when a turn is submitted, cleared in the transaction that ends
    # its job (answered, or failed and recorded on the learner's message).
    turn_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    last_job_id: Mapped[str | None] = mapped_column(String(40))
    feedback_job_id: Mapped[str | None] = mapped_column(String(40))
    feedback: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    turns: Mapped[int] = mapped_column(Integer, default=0)
    ended_at: Mapped[datetime | None]

    messages: Mapped[list[ConversationMessage]] = relationship(
        back_populates="session",
        order_by="ConversationMessage.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class ConversationMessage(TenantMixin, CreatedMixin, db.Model):
    __tablename__ = "conversation_messages"
    __table_args__ = (
        Index("ix_conversation_messages_session_position", "session_id", "position", unique=True),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    session_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("conversation_sessions.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default="text")
    status: Mapped[str] = mapped_column(String(16), default="ready")
    text: Mapped[str | None] = mapped_column(Text)
    # The learner's recording, or the partner's spoken reply.
    media_id: Mapped[str | None] = mapped_column(String(40))
    job_id: Mapped[str | None] = mapped_column(String(40), index=True)
    # Learner turns: transcript facts (language, duration) and flags (other language).
    # Partner turns: who answered, intent, recast, level check.
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)

    session: Mapped[ConversationSession] = relationship(back_populates="messages")
