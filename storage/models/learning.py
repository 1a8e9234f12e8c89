"""Learning records: vocabulary, learning profiles, study sessions and reviews, per-word
memory (spaced repetition) and daily streaks.

Other areas (media, hints, text) refer to a word by its id string only.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from storage.db import JSONType, db, utcnow
from storage.models.base import CreatedMixin, TenantMixin

word_group_members = Table(
    "word_group_members",
    db.Model.metadata,
    Column(
        "group_id", String(40), ForeignKey("word_groups.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "word_id",
        String(40),
        ForeignKey("words.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
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
    word_count: Mapped[int] = column_property(
        select(func.count())
        .select_from(word_group_members)
        .where(word_group_members.c.group_id == id)
        .correlate_except(word_group_members)
        .scalar_subquery()
    )

    words: Mapped[list[Word]] = relationship(secondary=word_group_members, back_populates="groups")


LEVEL_SOURCES = ("self", "teacher", "partner", "assessment")


class LearningProfile(TenantMixin, CreatedMixin, db.Model):
    """A learner's profile for one target language: CEFR level and goals."""

    __tablename__ = "learning_profiles"
    __table_args__ = (UniqueConstraint("user_id", "language"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(16))
    level: Mapped[str | None] = mapped_column(String(2))
    level_source: Mapped[str | None] = mapped_column(String(16))
    goals: Mapped[list[str]] = mapped_column(JSONType, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    history: Mapped[list[LevelChange]] = relationship(
        back_populates="profile",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="LevelChange.id",
    )


class LevelChange(db.Model):
    """One change of a profile's CEFR level and where it came from."""

    __tablename__ = "level_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("learning_profiles.id", ondelete="CASCADE"), index=True
    )
    from_level: Mapped[str | None] = mapped_column(String(2))
    to_level: Mapped[str | None] = mapped_column(String(2))
    source: Mapped[str] = mapped_column(String(16))
    job_id: Mapped[str | None] = mapped_column(String(40))
    changed_by: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="SET NULL")
    )
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    profile: Mapped[LearningProfile] = relationship(back_populates="history")


class StudySession(TenantMixin, db.Model):
    """One sitting of a learner with a word group (or with whatever is due)."""

    __tablename__ = "study_sessions"
    __table_args__ = (Index("ix_study_sessions_user_id_started_at", "user_id", "started_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40), ForeignKey("users.id", ondelete="CASCADE"))
    group_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("word_groups.id", ondelete="SET NULL")
    )
    # Kept so the history still names the group after it is renamed or deleted.
    group_name: Mapped[str | None] = mapped_column(String(200))
    activity: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    review_count: Mapped[int] = mapped_column(Integer, default=0)
    correct_count: Mapped[int] = mapped_column(Integer, default=0)


class Review(TenantMixin, db.Model):
    """One answer given in a study session: the learning record itself."""

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_user_id_reviewed_at", "user_id", "reviewed_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    session_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("study_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(String(40), ForeignKey("users.id", ondelete="CASCADE"))
    word_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("words.id", ondelete="CASCADE"), index=True
    )
    correct: Mapped[bool] = mapped_column(Boolean)
    grade: Mapped[int] = mapped_column(Integer)
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow)


class WordMemory(TenantMixin, db.Model):
    """A learner's spaced-repetition state for one word (see storage.learning.srs)."""

    __tablename__ = "word_memories"
    __table_args__ = (Index("ix_word_memories_user_id_due_at", "user_id", "due_at"),)

    user_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    word_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("words.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    ease: Mapped[float] = mapped_column(Float)
    interval_days: Mapped[int] = mapped_column(Integer)
    repetitions: Mapped[int] = mapped_column(Integer)
    lapses: Mapped[int] = mapped_column(Integer)
    reviews: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime | None]
    last_reviewed_at: Mapped[datetime | None]


class Streak(TenantMixin, db.Model):
    """A learner's daily streak, counted in their local calendar (storage.learning.streaks)."""

    __tablename__ = "streaks"
    __table_args__ = (Index("ix_streaks_current_last_active", "current", "last_active_date"),)

    user_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    current: Mapped[int] = mapped_column(Integer, default=0)
    longest: Mapped[int] = mapped_column(Integer, default=0)
    last_active_date: Mapped[date | None] = mapped_column(Date)
    last_reset_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
