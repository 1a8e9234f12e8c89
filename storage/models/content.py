"""Learning content: courses -> chapters (ordered) -> lessons -> exercises, the learners'
attempts at exercises, their progress through lessons and courses, badges, and the search
index over all of it.

Every row belongs to an organisation; learners read the published content of theirs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import JSONType, db, utcnow
from storage.models.base import CreatedMixin, TenantMixin

COURSE_STATUSES = ("draft", "published")
SKILLS = ("reading", "writing", "listening", "speaking", "vocabulary", "grammar", "pronunciation")
EXERCISE_KINDS = ("exercise", "quiz")
ATTEMPT_STATUSES = ("grading", "graded")
ITEM_STATUSES = ("pending", "graded", "failed")
SEARCH_KINDS = ("course", "chapter", "lesson", "word")

# A tsvector on PostgreSQL (GIN-indexed); SQLite keeps the text and searches an FTS5 table.
SearchVector = TSVECTOR().with_variant(Text(), "sqlite")


class Course(TenantMixin, CreatedMixin, db.Model):
    __tablename__ = "courses"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(16))
    level_min: Mapped[str | None] = mapped_column(String(2))
    level_max: Mapped[str | None] = mapped_column(String(2))
    # Ids of courses of the organisation to take first.
    prerequisites: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_by: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Chapter(TenantMixin, CreatedMixin, db.Model):
    """A course's chapters run 1..n by `position`, without gaps (the course's row lock
    serialises every change of order)."""

    __tablename__ = "chapters"
    __table_args__ = (Index("ix_chapters_course_id_position", "course_id", "position"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    course_id: Mapped[str] = mapped_column(String(40), ForeignKey("courses.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Lesson(TenantMixin, CreatedMixin, db.Model):
    __tablename__ = "lessons"
    __table_args__ = (Index("ix_lessons_chapter_id_position", "chapter_id", "position"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    chapter_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("chapters.id", ondelete="CASCADE")
    )
    course_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    level: Mapped[str | None] = mapped_column(String(2))
    skill: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(64))
    # Markdown, shown as written (clients render it).
    content: Mapped[str] = mapped_column(Text, default="")
    media_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    estimated_minutes: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Exercise(TenantMixin, CreatedMixin, db.Model):
    """Items of any type (see pipelines.grading). A quiz is an exercise with `kind` quiz;
    both take attempts."""

    __tablename__ = "exercises"
    __table_args__ = (Index("ix_exercises_lesson_id_position", "lesson_id", "position"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    lesson_id: Mapped[str] = mapped_column(String(40), ForeignKey("lessons.id", ondelete="CASCADE"))
    course_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="exercise")
    instructions: Mapped[str] = mapped_column(Text, default="")
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    pass_score: Mapped[float] = mapped_column(Float, default=0.7)
    position: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Attempt(TenantMixin, db.Model):
    """One learner's submission to an exercise. Objective items are graded when it is
    submitted; assessed items (writing, speaking) by their jobs, and the attempt is `graded`
    once the last of them ends (exactly once: a conditional update)."""

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("exercise_id", "learner_user_id", "number"),
        Index("ix_attempts_learner_user_id_exercise_id", "learner_user_id", "exercise_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    exercise_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("exercises.id", ondelete="CASCADE")
    )
    learner_user_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="grading")
    # Per item: {"item_id", "type", "score", "max_score", "correct", "feedback", ...}.
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    pending_items: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float, default=0.0)
    percent: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    time_spent_seconds: Mapped[int | None] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    graded_at: Mapped[datetime | None]


class AttemptJob(TenantMixin, db.Model):
    """An assessed item of an attempt and the job grading it."""

    __tablename__ = "attempt_jobs"

    job_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True
    )
    attempt_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("attempts.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float, default=1.0)


class LessonProgress(TenantMixin, db.Model):
    __tablename__ = "lesson_progress"
    __table_args__ = (
        UniqueConstraint("user_id", "lesson_id"),
        Index("ix_lesson_progress_user_id_course_id", "user_id", "course_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40), ForeignKey("users.id", ondelete="CASCADE"))
    lesson_id: Mapped[str] = mapped_column(String(40), ForeignKey("lessons.id", ondelete="CASCADE"))
    chapter_id: Mapped[str] = mapped_column(String(40))
    course_id: Mapped[str] = mapped_column(String(40))
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[float | None] = mapped_column(Float)
    time_spent_seconds: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CourseProgress(TenantMixin, db.Model):
    """The learner's course as a whole; `completed_at` is set once (course.completed)."""

    __tablename__ = "course_progress"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40), ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    last_lesson_id: Mapped[str | None] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BadgeAward(TenantMixin, db.Model):
    """A badge is awarded once per learner: the unique constraint makes a second award (a
    retried or concurrent event) a no-op."""

    __tablename__ = "badge_awards"
    __table_args__ = (UniqueConstraint("user_id", "badge"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40), ForeignKey("users.id", ondelete="CASCADE"))
    badge: Mapped[str] = mapped_column(String(64))
    reason: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    awarded_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchEntry(TenantMixin, db.Model):
    """One searchable thing (course, chapter, lesson or word). `document` is its tsvector on
    PostgreSQL, built with the text search configuration of its language."""

    __tablename__ = "search_entries"
    __table_args__ = (
        UniqueConstraint("kind", "object_id"),
        Index("ix_search_entries_document", "document", postgresql_using="gin"),
        # The configurations an organisation's entries use, read by an index-only scan.
        Index("ix_search_entries_organisation_id_config", "organisation_id", "config"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[str] = mapped_column(String(40))
    course_id: Mapped[str | None] = mapped_column(String(40), index=True)
    language: Mapped[str] = mapped_column(String(16))
    config: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    document: Mapped[str | None] = mapped_column(SearchVector)
