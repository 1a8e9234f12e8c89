"""Conversation and speech-synthesis usage per organisation, learner and day: minutes of
speech heard, characters spoken, LLM tokens, partner turns and realtime sessions. Counted in
the transaction of the work (job usage and quotas are storage/usage.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.db import utcnow
from storage.models.conversations import ConversationUsage

METRICS = ("speech_seconds_in", "characters_synthesised", "llm_input_tokens",
           "llm_output_tokens", "partner_turns", "realtime_sessions")


def add(session: Session, organisation_id: str, learner_user_id: str | None,
        amounts: dict[str, float], day: date | None = None) -> None:
    """Add to the day's counters (an upsert: concurrent workers never lose a count)."""
    day_text = (day or utcnow().date()).isoformat()
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    for metric, amount in amounts.items():
        if metric not in METRICS:
            raise ValueError(f"unknown usage metric {metric!r}")
        if not amount:
            continue
        stmt = insert(ConversationUsage).values(
            organisation_id=organisation_id, learner_user_id=learner_user_id, day=day_text,
            metric=metric, value=amount)
        session.execute(stmt.on_conflict_do_update(
            index_elements=["organisation_id", "learner_user_id", "day", "metric"],
            set_={"value": ConversationUsage.value + stmt.excluded.value}))


def count_turn(session: Session, conversation: Any, learner: Any, reply: Any,
               audio: dict[str, Any] | None) -> None:
    """What one conversation turn used."""
    heard = ((learner.details or {}).get("transcript") or {}).get("duration") if learner else None
    amounts = {
        "partner_turns": 1,
        "speech_seconds_in": float(heard or 0),
        "characters_synthesised": len(reply.text) if audio and audio.get("media_id") else 0,
        "llm_input_tokens": reply.usage.get("input_tokens", 0),
        "llm_output_tokens": reply.usage.get("output_tokens", 0),
    }
    add(session, conversation.organisation_id, conversation.learner_user_id, amounts)


def totals(session: Session, organisation_id: str, learner_user_id: str | None = None,
           since: date | None = None, until: date | None = None) -> dict[str, float]:
    """Sums per metric, for the organisation or one learner; minutes of speech included."""
    stmt = (select(ConversationUsage.metric, func.sum(ConversationUsage.value))
            .where(ConversationUsage.organisation_id == organisation_id)
            .group_by(ConversationUsage.metric))
    if learner_user_id is not None:
        stmt = stmt.where(ConversationUsage.learner_user_id == learner_user_id)
    if since is not None:
        stmt = stmt.where(ConversationUsage.day >= since.isoformat())
    if until is not None:
        stmt = stmt.where(ConversationUsage.day <= until.isoformat())
    found = {metric: 0.0 for metric in METRICS}
    found.update({metric: float(value) for metric, value in session.execute(stmt)})
    found["speech_minutes_in"] = round(found["speech_seconds_in"] / 60, 2)
    return found
