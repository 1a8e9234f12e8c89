"""Learning profiles: one per learner and target language, with a CEFR level whose every
change is kept with its source (self-declared, set by a teacher or partner, or measured by
an assessment). Functions never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.actor import Actor
from storage.errors import Conflict, Forbidden, Unprocessable
from storage.ids import new_id
from storage.learning.access import require_owner_or_staff, user_in_organisation
from storage.models.learning import LearningProfile, LevelChange
from storage.tenancy import get_owned, tenant_select


def _source_for(actor: Actor, user_id: str) -> str:
    if actor.user_id == user_id:
        return "self"
    return "teacher" if actor.user_id else "partner"


def _set_level(
    profile: LearningProfile,
    level: str | None,
    source: str,
    at: datetime,
    *,
    changed_by: str | None = None,
    job_id: str | None = None,
) -> None:
    if level == profile.level and source == profile.level_source:
        return
    profile.history.append(
        LevelChange(
            from_level=profile.level,
            to_level=level,
            source=source,
            job_id=job_id,
            changed_by=changed_by,
            changed_at=at,
        )
    )
    profile.level = level
    profile.level_source = source if level is not None else None


def profiles_query(
    actor: Actor, *, user_id: str | None = None, language: str | None = None
) -> Select[tuple[LearningProfile]]:
    """Learners list their own profiles; staff list the organisation's (or one user's)."""
    stmt = tenant_select(LearningProfile, actor.organisation_id)
    if not actor.is_staff():
        if user_id and user_id != actor.user_id:
            raise Forbidden(
                "Learners can only see their own learning records.", code="not_your_record"
            )
        stmt = stmt.where(LearningProfile.user_id == actor.user_id)
    elif user_id:
        stmt = stmt.where(LearningProfile.user_id == user_id)
    if language:
        stmt = stmt.where(LearningProfile.language == language)
    return stmt.order_by(LearningProfile.created_at, LearningProfile.id)


def get_profile(session: Session, actor: Actor, profile_id: str) -> LearningProfile:
    profile = get_owned(session, LearningProfile, profile_id, actor.organisation_id, what="profile")
    require_owner_or_staff(actor, profile.user_id)
    return profile


def create_profile(
    session: Session, actor: Actor, data: dict[str, Any], now: datetime
) -> LearningProfile:
    user_id = data.get("user_id") or actor.user_id
    if user_id is None:
        raise Unprocessable(
            "An API key must name the learner in `user_id`.", code="user_id_required"
        )
    require_owner_or_staff(actor, user_id)
    user_in_organisation(session, user_id, actor.organisation_id)
    profile = LearningProfile(
        id=new_id("lpr"),
        organisation_id=actor.organisation_id,
        user_id=user_id,
        language=data["language"],
        goals=list(data.get("goals") or []),
        created_at=now,
        updated_at=now,
    )
    if data.get("level"):
        _set_level(
            profile, data["level"], _source_for(actor, user_id), now, changed_by=actor.user_id
        )
    try:
        with session.begin_nested():
            session.add(profile)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"The learner already has a profile for {data['language']!r}.", code="profile_exists"
        ) from exc
    return profile


def update_profile(
    session: Session, actor: Actor, profile: LearningProfile, data: dict[str, Any], now: datetime
) -> LearningProfile:
    if "level" in data:
        _set_level(
            profile,
            data["level"],
            _source_for(actor, profile.user_id),
            now,
            changed_by=actor.user_id,
        )
    if "goals" in data:
        profile.goals = list(data["goals"] or [])
    profile.updated_at = now
    session.flush()
    return profile


def delete_profile(session: Session, profile: LearningProfile) -> None:
    session.delete(profile)
    session.flush()


def record_assessed_level(
    session: Session,
    *,
    organisation_id: str,
    user_id: str,
    language: str,
    level: str,
    job_id: str,
    at: datetime,
) -> None:
    """An assessment measured `level`: it becomes the profile's current level (the profile is
    created when the learner had none for that language)."""
    profile = session.scalars(
        select(LearningProfile)
        .where(LearningProfile.user_id == user_id, LearningProfile.language == language)
        .with_for_update()
    ).first()
    if profile is None:
        profile = LearningProfile(
            id=new_id("lpr"),
            organisation_id=organisation_id,
            user_id=user_id,
            language=language,
            goals=[],
            created_at=at,
            updated_at=at,
        )
        session.add(profile)
    _set_level(profile, level, "assessment", at, job_id=job_id)
    profile.updated_at = at
    session.flush()
