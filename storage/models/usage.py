"""Usage metering and quotas: what each job used, and the counters quotas are checked on."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import db, utcnow
from storage.models.base import TenantMixin


class UsageCounter(TenantMixin, db.Model):
    """How much of a metric an organisation (`subject` "organisation") or one learner
    (`subject` their user id) has used in one day or month: the number quotas compare with
    the plan's limit. Incremented at submission by a conditional upsert that refuses to pass
    the limit, so concurrent submissions cannot overshoot it; given back when a job fails."""

    __tablename__ = "usage_counters"

    organisation_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    subject: Mapped[str] = mapped_column(String(40), primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)  # "day" or "month"
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    used: Mapped[int] = mapped_column(BigInteger, default=0)


class UsageRecord(TenantMixin, db.Model):
    """The usage ledger: one row per thing used, summed by organisation, learner, day and
    type. A `job` row is what one finished job used, written once (unique job id) in the
    transaction that ends it; an `activity` row is conversation practice or speech
    synthesis counted as it happens (speech heard, characters spoken, partner turns,
    realtime sessions, the replies' LLM tokens), appended in the transaction of the work.
    Kept when a job is swept or its learner erased (the learner id is then cleared)."""

    __tablename__ = "usage_records"
    __table_args__ = (Index("ix_usage_records_organisation_day", "organisation_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), default="job")  # "job" or "activity"
    job_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    learner_user_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The job's type; for an activity, what was used (conversation_turn, realtime_session...).
    job_type: Mapped[str] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    assessments: Mapped[int] = mapped_column(Integer, default=0)
    audio_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    llm_input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    llm_output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    speech_seconds_in: Mapped[float] = mapped_column(Float, default=0.0)
    characters_synthesised: Mapped[int] = mapped_column(Integer, default=0)
    partner_turns: Mapped[int] = mapped_column(Integer, default=0)
    realtime_sessions: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
