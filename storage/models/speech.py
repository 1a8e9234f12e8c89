"""The speaking-task catalogue: prompts for free speech and texts for scripted reading."""

from __future__ import annotations

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import db
from storage.models.base import CreatedMixin

PROMPT_KINDS = ("free", "reading")


class SpeakingPrompt(CreatedMixin, db.Model):
    """One task of the platform's catalogue, shared by every organisation (not tenant data).

    Rows come from storage/speech/speaking_prompts.json, inserted by the migration and kept in
    step by `storage.speech.catalogue.sync_catalogue`.
    """

    __tablename__ = "speaking_prompts"
    __table_args__ = (Index("ix_speaking_prompts_language_level", "language", "level"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    language: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(2))
    kind: Mapped[str] = mapped_column(String(16))  # "free" or "reading"
    topic: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text)
    # The text to read aloud (reading prompts only); the assessment aligns the speech to it.
    reference_text: Mapped[str | None] = mapped_column(Text)
    suggested_seconds: Mapped[int] = mapped_column(Integer)
    catalogue_version: Mapped[str] = mapped_column(String(32))
