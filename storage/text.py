"""Services for the text capabilities: learning plans, the hint cache, and the learner's
latest assessment. Functions take the session and never commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.levels import CEFR_LEVELS
from storage.db import utcnow
from storage.errors import NotFound, Unprocessable
from storage.ids import new_id
from storage.learning.access import Actor
from storage.models.jobs import Job
from storage.models.learning import LearningProfile, Word
from storage.models.text import HintCacheEntry, LearningPlan
from storage.tenancy import get_owned, tenant_select

# Job types whose results carry a CEFR level and sub-scores.
ASSESSMENT_JOB_TYPES = ("writing_assessment", "speaking_assessment")
LEVELS = CEFR_LEVELS
_RECENT_ASSESSMENTS = 50
MAX_PLAN_WORDS = 300


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
        .where(Job.learner_user_id == user_id, Job.status == "succeeded",
               Job.type.in_(ASSESSMENT_JOB_TYPES))
        .order_by(Job.finished_at.desc(), Job.id.desc())
        .limit(_RECENT_ASSESSMENTS)
    )  # fmt: skip
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
    return level if level in LEVELS else None


def plan_words(
    session: Session, organisation_id: str, language: str, current: str | None, target: str
) -> list[str]:
    """Word ids for a plan: the organisation's words in the language from the learner's level
    up to the target (unlevelled words last), easiest first."""
    low = 0 if current is None else LEVELS.index(current)
    wanted = LEVELS[low : LEVELS.index(target) + 1]
    rows = session.execute(
        select(Word.id, Word.level)
        .where(Word.organisation_id == organisation_id, Word.language == language)
        .where(Word.level.in_(wanted) | Word.level.is_(None))
        .order_by(Word.created_at, Word.id)
        .limit(MAX_PLAN_WORDS * 2)
    ).all()
    order = {lv: i for i, lv in enumerate(LEVELS)}
    ranked = sorted(rows, key=lambda r: order.get(r.level, len(LEVELS)))
    return [r.id for r in ranked[:MAX_PLAN_WORDS]]


def find_word(
    session: Session, organisation_id: str, term: str, language: str | None
) -> Word | None:
    """The organisation's vocabulary entry for a term (in a language, when given)."""
    stmt = tenant_select(Word, organisation_id).where(Word.term == term.strip())
    if language:
        stmt = stmt.where(Word.language == language)
    return session.scalars(stmt.order_by(Word.created_at, Word.id)).first()


def hint_request(session: Session, organisation_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The job input of a hint request. `word_id`, or a `word` the organisation's vocabulary
    has (the portal sends just the word), attach the vocabulary entry and its language."""
    language = _language(data["language"]) if data.get("language") else None
    if data.get("word_id"):
        word = get_owned(session, Word, data["word_id"], organisation_id, what="word")
    else:
        word = find_word(session, organisation_id, data["word"], language)
        if word is None and language is None:
            raise Unprocessable("`language` is required for a word that is not in the "
                                "vocabulary.", code="language_required")  # fmt: skip
    if word is not None:
        if language and language != _language(word.language):
            raise Unprocessable(f"Word {word.id} is {word.language}, not {language}.",
                                code="language_mismatch")  # fmt: skip
        language = _language(word.language)
        data = {**data, "word": word.term, "word_id": word.id}
    return {**data, "language": language}


def _language(code: str) -> str:
    from pipelines.cefr import check_language
    from pipelines.errors import PipelineError

    try:
        return check_language(code)
    except PipelineError as exc:
        raise Unprocessable(exc.message, code=exc.code) from None


def save_plan(
    session: Session, job: Job, plan: dict[str, Any], *, user_id: str | None, level_source: str
) -> LearningPlan:
    feasibility = plan["feasibility"]
    row = LearningPlan(
        id=new_id("pln"),
        organisation_id=job.organisation_id,
        user_id=user_id,
        job_id=job.id,
        language=plan["language"],
        current_level=plan["current_level"],
        current_level_source=level_source,
        target_level=plan["target_level"],
        goals=plan["goals"],
        minutes_per_week=plan["minutes_per_week"],
        weeks=plan["weeks"],
        feasible=feasibility["feasible"],
        verdict=feasibility["verdict"],
        estimated_hours=feasibility["hours_needed"]["mid"],
        summary=plan["summary"][:2000],
        plan=plan,
        provider=plan["provider"],
        model=plan["model"],
        prompt_version=plan["prompt_version"],
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def plans_query(
    actor: Actor, *, user_id: str | None = None, language: str | None = None
) -> Select[tuple[LearningPlan]]:
    """Learners list their own plans; staff list the organisation's (or one learner's)."""
    stmt = tenant_select(LearningPlan, actor.organisation_id)
    if not actor.is_staff():
        stmt = stmt.where(LearningPlan.user_id == actor.user_id)
    elif user_id:
        stmt = stmt.where(LearningPlan.user_id == user_id)
    if language:
        stmt = stmt.where(LearningPlan.language == language)
    return stmt.order_by(LearningPlan.created_at.desc(), LearningPlan.id.desc())


def get_plan(session: Session, actor: Actor, plan_id: str) -> LearningPlan:
    plan = get_owned(session, LearningPlan, plan_id, actor.organisation_id, what="plan")
    if not actor.is_staff() and plan.user_id != actor.user_id:
        # Another learner's plan looks exactly like a missing one.
        raise NotFound(f"No plan with id {plan_id!r}.", code="plan_not_found")
    return plan


def cached_hint(session: Session, organisation_id: str, cache_key: str) -> HintCacheEntry | None:
    """The cached hint for this key, counting the hit."""
    entry = session.scalars(
        tenant_select(HintCacheEntry, organisation_id).where(HintCacheEntry.cache_key == cache_key)
    ).first()
    if entry is not None:
        entry.hits += 1
        entry.last_hit_at = utcnow()
    return entry


def store_hint(
    session: Session,
    organisation_id: str,
    cache_key: str,
    result: dict[str, Any],
    *,
    word_id: str | None,
    provider: str,
    model: str | None,
    prompt_version: str | None,
) -> None:
    """Cache a hint. Two workers racing on the same key: the second insert is dropped."""
    entry = HintCacheEntry(
        organisation_id=organisation_id, cache_key=cache_key, word=result["word"][:200],
        language=result["language"], word_id=word_id, provider=provider, model=model,
        prompt_version=prompt_version, result=result, hits=0, created_at=utcnow(),
        updated_at=utcnow(),
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:
        pass  # the other worker's row answers the next request just as well


def plan_request(session: Session, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """The job input of a plan request: whose plan, the current level (given, or from the
    learner's latest assessment or profile) and the sub-scores that set the focus."""
    from storage.learning.access import readable_user

    user_id = data.pop("user_id", None) or actor.user_id
    if user_id is not None:
        readable_user(session, actor, user_id)
    given = data.pop("current_level", None)
    latest = latest_assessment(session, actor.organisation_id, user_id, data["language"]) if (
        user_id) else None  # fmt: skip
    if given == "pre-A1":
        current, source = None, "request"
    elif given is not None:
        current, source = given, "request"
    elif latest is not None and latest.level:
        current, source = latest.level, latest.source
    else:
        raise Unprocessable(
            'No current level: give `current_level` (or "pre-A1"), or take an assessment '
            "in this language first.",
            code="current_level_unknown",
        )
    target = data["target_level"]
    if current is not None and LEVELS.index(target) <= LEVELS.index(current):
        raise Unprocessable(f"The target level {target} must be above the current level "
                            f"{current}.", code="target_not_above_current")  # fmt: skip
    return {
        **data,
        "user_id": user_id,
        "current_level": current,
        "current_level_source": source,
        "skill_scores": latest.scores if latest else {},
        "assessment_job_id": latest.job_id if latest else None,
    }
