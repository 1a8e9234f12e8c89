"""The learner's latest assessment in a language: the level and sub-scores a plan starts
from. Functions take the session and never commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.levels import CEFR_LEVELS
from storage.db import utcnow
from storage.models.jobs import Job
from storage.models.learning import LearningProfile
from storage.tenancy import tenant_select

# Job types whose results carry a CEFR level and sub-scores.
ASSESSMENT_JOB_TYPES = ("writing_assessment", "speaking_assessment")
_RECENT_ASSESSMENTS = 50


@dataclass(frozen=True)
class LatestAssessment:
    level: str | None
    source: str  # "assessment" or "profile"
    job_id: str | None = None
    job_type: str | None = None
    scores: dict[str, float] = field(default_factory=dict)
    finished_at: datetime | None = None


def latest_assessment(
    session: Session, organisation_id: str, user_id: str, language: str
) -> LatestAssessment | None:
    """The learner's most recent finished assessment in `language`, else their profile level.

    Sub-scores are averaged over the latest writing and the latest speaking assessment, so a
    weak skill shows whichever kind of assessment measured it.
    """
    stmt = (
        tenant_select(Job, organisation_id)
        .where(
            Job.learner_user_id == user_id,
            Job.status == "succeeded",
            Job.type.in_(ASSESSMENT_JOB_TYPES),
        )
        .order_by(Job.finished_at.desc(), Job.id.desc())
        .limit(_RECENT_ASSESSMENTS)
    )
    latest: dict[str, Job] = {}
    for job in session.scalars(stmt):
        result = job.result or {}
        if _language_of(job) == language and _level_of(result) and job.type not in latest:
            latest[job.type] = job
    if latest:
        newest = max(latest.values(), key=lambda j: (j.finished_at or utcnow(), j.id))
        scores: dict[str, list[float]] = {}
        for job in latest.values():
            for name, value in ((job.result or {}).get("scores") or {}).items():
                if isinstance(value, int | float):
                    scores.setdefault(name, []).append(float(value))
        return LatestAssessment(
            level=_level_of(newest.result or {}),
            source="assessment",
            job_id=newest.id,
            job_type=newest.type,
            scores={k: round(sum(v) / len(v), 1) for k, v in scores.items()},
            finished_at=newest.finished_at,
        )
    profile = session.scalars(
        tenant_select(LearningProfile, organisation_id).where(
            LearningProfile.user_id == user_id, LearningProfile.language == language
        )
    ).first()
    if profile is not None and profile.level:
        return LatestAssessment(level=profile.level, source="profile")
    return None


def _language_of(job: Job) -> str | None:
    result, given = job.result or {}, job.input or {}
    language = result.get("language") or given.get("language")
    return str(language).split("-")[0].lower() if language else None


def _level_of(result: dict[str, Any]) -> str | None:
    level = result.get("cefr_level")
    if level is None and isinstance(result.get("cefr"), dict):
        level = result["cefr"].get("level")
    return level if level in CEFR_LEVELS else None
