"""Usage metering, one ledger (`usage_records`): each finished job's usage is recorded once,
in the transaction that ends it (a unique job id: a retry, a redelivered message or a second
terminal transition adds nothing); conversation practice and speech synthesis are recorded
as they happen (activity rows, appended: concurrent workers never lose a count). Summed per
organisation and learner, by day and by job type."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import quotas
from storage.db import insert_ignoring_conflict, utcnow
from storage.models.jobs import Job
from storage.models.media import Media
from storage.models.usage import UsageRecord

JOB, ACTIVITY = "job", "activity"
# What activity rows count (conversation practice and speech synthesis).
ACTIVITY_METRICS = (
    "speech_seconds_in",
    "characters_synthesised",
    "llm_input_tokens",
    "llm_output_tokens",
    "partner_turns",
    "realtime_sessions",
)


def on_job_terminal(session: Session, job: Job) -> None:
    """Terminal hook of the job engine: record what the job used; a failed or canceled
    job records nothing used and gives back its quota charge; LLM tokens are settled to
    what the job used (once: only the first report of its end records)."""
    succeeded = job.status == "succeeded"
    # Jobs not submitted through the API (a batch's) carry no charge: measure it now.
    charge = (job.quota_charge or {}).get("charge") or quotas.charge_of(
        session, job.organisation_id, job.type, job.input or {}
    )
    tokens = job.llm_usage or {}
    finished = job.finished_at or utcnow()
    values = {
        "organisation_id": job.organisation_id,
        "kind": JOB,
        "job_id": job.id,
        "learner_user_id": job.learner_user_id,
        "job_type": job.type,
        "status": job.status,
        "day": finished.date(),
        "created_at": finished,
        "assessments": charge.get(quotas.ASSESSMENTS, 0) if succeeded else 0,
        "audio_seconds": float(charge.get(quotas.AUDIO_SECONDS, 0)) if succeeded else 0.0,
        # Tokens are spent whether or not the job then succeeded.
        "llm_input_tokens": int(tokens.get("input_tokens", 0)),
        "llm_output_tokens": int(tokens.get("output_tokens", 0)),
        # The activity measures (the statement gives every column with a Python default).
        "speech_seconds_in": 0.0,
        "characters_synthesised": 0,
        "partner_turns": 0,
        "realtime_sessions": 0,
    }
    recorded = insert_ignoring_conflict(
        session, UsageRecord.__table__, values, conflict=("job_id",), returning="id"
    ).first()
    if recorded is not None:
        quotas.settle(session, job, values["llm_input_tokens"] + values["llm_output_tokens"])


def _totals(rows: Any) -> dict[str, Any]:
    return {
        "jobs": rows.jobs or 0,
        "assessments": int(rows.assessments or 0),
        "audio_minutes": round(float(rows.audio_seconds or 0) / 60, 2),
        "llm_input_tokens": int(rows.llm_input_tokens or 0),
        "llm_output_tokens": int(rows.llm_output_tokens or 0),
    }


_SUMS = (
    func.count(UsageRecord.id).label("jobs"),
    func.sum(UsageRecord.assessments).label("assessments"),
    func.sum(UsageRecord.audio_seconds).label("audio_seconds"),
    func.sum(UsageRecord.llm_input_tokens).label("llm_input_tokens"),
    func.sum(UsageRecord.llm_output_tokens).label("llm_output_tokens"),
)


def summary(
    session: Session, organisation_id: str, *, learner_id: str | None, since: date, until: date
) -> dict[str, Any]:
    """Totals, by day and by job type, of jobs finished from `since` to `until` inclusive,
    and the media bytes stored now."""
    where = [
        UsageRecord.organisation_id == organisation_id,
        UsageRecord.kind == JOB,
        UsageRecord.day >= since,
        UsageRecord.day <= until,
    ]
    media = [Media.organisation_id == organisation_id]
    if learner_id is not None:
        where.append(UsageRecord.learner_user_id == learner_id)
        media.append(Media.owner_user_id == learner_id)
    total = session.execute(select(*_SUMS).where(*where)).one()
    by_day = session.execute(
        select(UsageRecord.day, *_SUMS)
        .where(*where)
        .group_by(UsageRecord.day)
        .order_by(UsageRecord.day)
    ).all()
    by_type = session.execute(
        select(UsageRecord.job_type, *_SUMS)
        .where(*where)
        .group_by(UsageRecord.job_type)
        .order_by(UsageRecord.job_type)
    ).all()
    stored = session.scalar(select(func.coalesce(func.sum(Media.size), 0)).where(*media))
    return {
        "since": since,
        "until": until,
        "totals": _totals(total),
        "storage_bytes": int(stored or 0),
        "by_day": [{"day": row.day, **_totals(row)} for row in by_day],
        "by_job_type": [{"job_type": row.job_type, **_totals(row)} for row in by_type],
        "conversation": activity_totals(
            session, organisation_id, learner_id, since=since, until=until
        ),
    }


def quota_view(
    session: Session,
    organisation_id: str,
    subject: str,
    scope: str,
    limits: quotas.Limits,
    now: datetime,
) -> list[dict[str, Any]]:
    """Each limit of the plan for this scope with what is used of it now."""
    used = quotas.counters(session, organisation_id, subject, now)
    view = []
    for (limit_scope, period, metric), limit in sorted(limits.items()):
        if limit_scope != scope:
            continue
        _, resets_at = quotas.period_bounds(period, now)
        taken = used.get((period, metric), 0)
        view.append(
            {
                "metric": metric,
                "period": period,
                "limit": limit,
                "used": taken,
                "remaining": max(0, limit - taken),
                "resets_at": resets_at,
            }
        )
    return view


def add(
    session: Session,
    organisation_id: str,
    learner_user_id: str | None,
    amounts: dict[str, float],
    *,
    source: str,
    day: date | None = None,
) -> None:
    """Record an activity's usage (`source` says what was used: conversation_turn,
    realtime_session, speech_synthesis...): one appended row."""
    unknown = set(amounts) - set(ACTIVITY_METRICS)
    if unknown:
        raise ValueError(f"unknown usage metrics {sorted(unknown)}")
    counted = {metric: amount for metric, amount in amounts.items() if amount}
    if not counted:
        return
    now = utcnow()
    session.add(
        UsageRecord(
            organisation_id=organisation_id,
            kind=ACTIVITY,
            learner_user_id=learner_user_id,
            job_type=source,
            day=day or now.date(),
            created_at=now,
            **{
                metric: (float(amount) if metric == "speech_seconds_in" else int(amount))
                for metric, amount in counted.items()
            },
        )
    )


def count_turn(
    session: Session, conversation: Any, learner: Any, reply: Any, audio: dict[str, Any] | None
) -> None:
    """What one conversation turn used."""
    heard = ((learner.details or {}).get("transcript") or {}).get("duration") if learner else None
    amounts = {
        "partner_turns": 1,
        "speech_seconds_in": float(heard or 0),
        "characters_synthesised": len(reply.text) if audio and audio.get("media_id") else 0,
        "llm_input_tokens": reply.usage.get("input_tokens", 0),
        "llm_output_tokens": reply.usage.get("output_tokens", 0),
    }
    add(
        session,
        conversation.organisation_id,
        conversation.learner_user_id,
        amounts,
        source="conversation_turn",
    )


def activity_totals(
    session: Session,
    organisation_id: str,
    learner_user_id: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> dict[str, float]:
    """Sums of the activity metrics, for the organisation or one learner; minutes of speech
    included."""
    where = [UsageRecord.organisation_id == organisation_id, UsageRecord.kind == ACTIVITY]
    if learner_user_id is not None:
        where.append(UsageRecord.learner_user_id == learner_user_id)
    if since is not None:
        where.append(UsageRecord.day >= since)
    if until is not None:
        where.append(UsageRecord.day <= until)
    sums = session.execute(
        select(
            *(func.coalesce(func.sum(getattr(UsageRecord, m)), 0) for m in ACTIVITY_METRICS)
        ).where(*where)
    ).one()
    found = {metric: float(value) for metric, value in zip(ACTIVITY_METRICS, sums, strict=True)}
    found["speech_minutes_in"] = round(found["speech_seconds_in"] / 60, 2)
    return found
