"""Study sessions and reviews (the learning record store) and per-word memory.

Each review is stored, counted on its session, moves the learner's memory of the word with
SM-2 (storage.learning.srs) and counts the learner's local day for the streak. Functions take
the time as an argument (so tests control the clock) and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.actor import Actor
from storage.errors import Conflict, Forbidden
from storage.ids import new_id
from storage.learning import srs
from storage.learning.progress import record_activity
from storage.learning.vocabulary import get_group, get_word, words_query
from storage.models.learning import Review, StudySession, Word, WordMemory
from storage.tenancy import get_owned, tenant_select
from storage.webhooks import events


def start_session(
    session: Session, actor: Actor, *, group_id: str | None, activity: str, now: datetime
) -> StudySession:
    if actor.user_id is None:
        raise Forbidden("Study sessions belong to a learner.", code="user_required")
    group = get_group(session, actor.organisation_id, group_id) if group_id else None
    study = StudySession(
        id=new_id("ses"),
        organisation_id=actor.organisation_id,
        user_id=actor.user_id,
        group_id=group.id if group else None,
        group_name=group.name if group else None,
        activity=activity,
        started_at=now,
        last_activity_at=now,
    )
    session.add(study)
    session.flush()
    return study


def get_session(
    session: Session, actor: Actor, session_id: str, *, for_update: bool = False
) -> StudySession:
    study = get_owned(
        session,
        StudySession,
        session_id,
        actor.organisation_id,
        what="study_session",
        for_update=for_update,
    )
    if study.user_id != actor.user_id and not actor.is_staff():
        raise Forbidden("Learners can only see their own learning records.", code="not_your_record")
    return study


def _own_open_session(session: Session, actor: Actor, session_id: str) -> StudySession:
    study = get_session(session, actor, session_id, for_update=True)
    if study.user_id != actor.user_id:
        raise Forbidden(
            "Only the learner of a study session can answer in it.", code="not_your_session"
        )
    if study.ended_at is not None:
        raise Conflict("The study session has ended.", code="session_ended")
    return study


def memory_state(row: WordMemory | None) -> srs.MemoryState:
    if row is None:
        return srs.MemoryState()
    return srs.MemoryState(
        ease=row.ease,
        interval=row.interval_days,
        repetitions=row.repetitions,
        due=row.due_at,
        lapses=row.lapses,
        reviews=row.reviews,
        last_reviewed=row.last_reviewed_at,
    )


def _remember(
    session: Session,
    organisation_id: str,
    user_id: str,
    word_id: str,
    answer: bool | int,
    now: datetime,
) -> WordMemory:
    stmt = (
        select(WordMemory)
        .where(WordMemory.user_id == user_id, WordMemory.word_id == word_id)
        .with_for_update()
    )
    row = session.scalars(stmt).first()
    if row is None:
        fresh = srs.MemoryState()
        row = WordMemory(
            user_id=user_id,
            word_id=word_id,
            organisation_id=organisation_id,
            ease=fresh.ease,
            interval_days=fresh.interval,
            repetitions=fresh.repetitions,
            lapses=fresh.lapses,
            reviews=fresh.reviews,
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            # A simultaneous first answer created the row: wait for its lock and go on.
            row = session.scalars(stmt).one()
    state = srs.review(memory_state(row), answer, now)
    row.ease, row.interval_days, row.repetitions = state.ease, state.interval, state.repetitions
    row.lapses, row.reviews, row.due_at = state.lapses, state.reviews, state.due
    row.last_reviewed_at = state.last_reviewed
    return row


def add_review(
    session: Session, actor: Actor, session_id: str, *, word_id: str, correct: bool, now: datetime
) -> Review:
    study = _own_open_session(session, actor, session_id)
    word = get_word(session, actor.organisation_id, word_id)
    grade = srs.grade_of(correct)
    review = Review(
        id=new_id("rev"),
        organisation_id=study.organisation_id,
        session_id=study.id,
        user_id=study.user_id,
        word_id=word.id,
        correct=correct,
        grade=grade,
        reviewed_at=now,
    )
    session.add(review)
    # Counters move in SQL so concurrent answers in one session are all counted.
    session.execute(
        update(StudySession)
        .where(StudySession.id == study.id)
        .values(
            review_count=StudySession.review_count + 1,
            correct_count=StudySession.correct_count + (1 if correct else 0),
            last_activity_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    _remember(session, study.organisation_id, study.user_id, word.id, correct, now)
    record_activity(session, study.organisation_id, study.user_id, now)
    session.flush()
    events.record_event(
        session,
        study.organisation_id,
        "study.review.recorded",
        {
            "review_id": review.id,
            "session_id": study.id,
            "user_id": study.user_id,
            "word_id": word.id,
            "term": word.term,
            "language": word.language,
            "correct": correct,
            "activity": study.activity,
            "reviewed_at": now.isoformat(),
        },
        user_id=study.user_id,
        occurred_at=now,
    )
    from storage.content import badges  # content builds on learning records, not the reverse

    badges.on_event(
        session,
        badges.REVIEW_EVENT,
        study.organisation_id,
        study.user_id,
        {"review_id": review.id},
        now,
    )
    session.expire(study)
    return review


def end_session(session: Session, actor: Actor, session_id: str, now: datetime) -> StudySession:
    study = get_session(session, actor, session_id, for_update=True)
    if study.user_id != actor.user_id and actor.role != "admin":
        raise Forbidden(
            "Only the learner or an admin can end a study session.", code="not_your_session"
        )
    if study.ended_at is None:
        study.ended_at = max(now, study.started_at)
        session.flush()
        events.record_event(
            session,
            study.organisation_id,
            "study.session.ended",
            {
                "session_id": study.id,
                "user_id": study.user_id,
                "activity": study.activity,
                "group_id": study.group_id,
                "group_name": study.group_name,
                "started_at": study.started_at.isoformat(),
                "ended_at": study.ended_at.isoformat(),
                "reviews": study.review_count,
                "correct": study.correct_count,
            },
            user_id=study.user_id,
            occurred_at=study.ended_at,
        )
    return study


def sessions_query(organisation_id: str, user_id: str) -> Select[tuple[StudySession]]:
    return (
        tenant_select(StudySession, organisation_id)
        .where(StudySession.user_id == user_id)
        .order_by(StudySession.started_at.desc(), StudySession.id.desc())
    )


def due_words_query(
    organisation_id: str, user_id: str, now: datetime, *, include_new: bool = False, **filters: Any
) -> Select[tuple[Word]]:
    """Words whose review is due for the learner, most overdue first; with `include_new`,
    then the words they have never reviewed."""
    due = WordMemory.due_at <= now
    return (
        words_query(organisation_id, **filters)
        .order_by(None)
        .outerjoin(WordMemory, and_(WordMemory.word_id == Word.id, WordMemory.user_id == user_id))
        .where(or_(due, WordMemory.user_id.is_(None)) if include_new else due)
        .order_by(WordMemory.due_at.asc().nulls_last(), Word.term, Word.id)
    )


def memories_for(session: Session, user_id: str, word_ids: list[str]) -> dict[str, WordMemory]:
    if not word_ids:
        return {}
    rows = session.scalars(
        select(WordMemory).where(WordMemory.user_id == user_id, WordMemory.word_id.in_(word_ids))
    )
    return {row.word_id: row for row in rows}


@dataclass(frozen=True)
class DueWord:
    """A word with the learner's memory of it (None for a word never reviewed)."""

    word: Word
    memory: WordMemory | None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.word, name)


def with_memories(session: Session, user_id: str, words: list[Word]) -> list[DueWord]:
    memories = memories_for(session, user_id, [word.id for word in words])
    return [DueWord(word, memories.get(word.id)) for word in words]


def session_record(study: StudySession, zone: ZoneInfo) -> dict[str, Any]:
    """The vocabulary portal's study-session shape; times on the learner's clock with their
    UTC offset (e.g. 2025-02-08T17:20:23-05:00)."""

    def local(moment: datetime | None) -> str | None:
        if moment is None:
            return None
        return moment.astimezone(zone).isoformat(timespec="seconds")

    count = study.review_count
    return {
        "id": study.id,
        "user_id": study.user_id,
        "group_id": study.group_id,
        "group_name": study.group_name,
        "activity": study.activity,
        "start_time": local(study.started_at),
        "end_time": local(study.ended_at),
        "review_items_count": count,
        "success_rate": round(100.0 * study.correct_count / count, 1) if count else 0.0,
    }
