"""Teachers' classes (teachers and learners of one organisation), their assignments, and
teachers' reviews of the results."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.levels import CEFR_LEVELS
from storage.db import JSONType, db
from storage.models.base import CreatedMixin, TenantMixin

MEMBER_ROLES = ("teacher", "learner")
ASSIGNMENT_KINDS = ("speaking", "writing")
LEVELS = CEFR_LEVELS


class SchoolClass(TenantMixin, CreatedMixin, db.Model):
    __tablename__ = "classes"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(16))
    created_by: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="SET NULL")
    )


class ClassMember(CreatedMixin, db.Model):
    """A user in a class, as one of its teachers or one of its learners."""

    __tablename__ = "class_members"
    __table_args__ = (UniqueConstraint("class_id", "user_id", name="uq_class_members_class_user"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    class_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("classes.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))


class Assignment(TenantMixin, CreatedMixin, db.Model):
    __tablename__ = "assignments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    class_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("classes.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(16))
    level: Mapped[str | None] = mapped_column(String(2))
    prompt_id: Mapped[str | None] = mapped_column(String(40))
    prompt_text: Mapped[str | None] = mapped_column(Text)
    reference_text: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None]
    lti_resource_link_id: Mapped[str | None] = mapped_column(String(255))
    created_by: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="SET NULL")
    )


class ScoreReview(TenantMixin, CreatedMixin, db.Model):
    """A teacher's correction of an AI result. Rows are never updated: the newest one of a
    job is the reviewed result, the older ones and the job's own result are the audit trail."""

    __tablename__ = "score_reviews"
    __table_args__ = (Index("ix_score_reviews_job_id_created_at", "job_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    job_id: Mapped[str] = mapped_column(String(40), ForeignKey("jobs.id", ondelete="CASCADE"))
    assignment_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("assignments.id", ondelete="SET NULL"), index=True
    )
    reviewer_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="SET NULL")
    )
    level: Mapped[str | None] = mapped_column(String(2))
    scores: Mapped[dict] = mapped_column(JSONType, default=dict)
    comment: Mapped[str] = mapped_column(Text)
    ai_level: Mapped[str | None] = mapped_column(String(2))
    ai_scores: Mapped[dict] = mapped_column(JSONType, default=dict)
