"""Learning records: vocabulary words and word groups.

Other areas (media, hints, text) refer to a word by its id string only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.db import JSONType, db, utcnow
from storage.models.base import CreatedMixin, TenantMixin

CEFR_LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")

word_group_members = Table(
    "word_group_members",
    db.Model.metadata,
    Column("group_id", String(40), ForeignKey("word_groups.id", ondelete="CASCADE"),
           primary_key=True),
    Column("word_id", String(40), ForeignKey("words.id", ondelete="CASCADE"),
           primary_key=True, index=True),
)


class Word(TenantMixin, CreatedMixin, db.Model):
    """One vocabulary item of an organisation, in one language."""

    __tablename__ = "words"
    __table_args__ = (Index("ix_words_organisation_id_language", "organisation_id", "language"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    language: Mapped[str] = mapped_column(String(16))
    term: Mapped[str] = mapped_column(String(200))
    reading: Mapped[str | None] = mapped_column(String(200))
    translations: Mapped[list[str]] = mapped_column(JSONType, default=list)
    part_of_speech: Mapped[str | None] = mapped_column(String(32))
    level: Mapped[str | None] = mapped_column(String(2), index=True)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    media_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Lower-cased term, reading and translations: one portable column for text search
    # (JSON arrays are stored escaped on SQLite, so they cannot be searched directly).
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    groups: Mapped[list[WordGroup]] = relationship(
        secondary=word_group_members, back_populates="words", order_by="WordGroup.name"
    )


class WordGroup(TenantMixin, CreatedMixin, db.Model):
    """A named set of words, such as "Basic Greetings"."""

    __tablename__ = "word_groups"
    __table_args__ = (UniqueConstraint("organisation_id", "language", "name"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)

    words: Mapped[list[Word]] = relationship(
        secondary=word_group_members, back_populates="groups"
    )
