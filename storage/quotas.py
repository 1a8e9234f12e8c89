"""Plans and quotas. A plan limits, per day and per month, what an organisation and each of
its learners may submit: assessments, audio seconds to transcribe, hints, learning plans
and LLM tokens; it sets how many API requests a minute each API key may make
(api/quotas.py) and which premium features (conversation practice, speech synthesis) the
organisation has. A submission reserves its charge with one conditional multi-row upsert of
its limited counters (`used + amount <= limit`, each row locked by the upsert), so parallel
submissions cannot pass a limit together; a job that fails or is canceled gives its charge
back once, when its usage is recorded, and LLM tokens are settled then to what it used. Nothing here
commits: the submission's transaction carries the reservation with the job."""

from __future__ import annotations

import functools
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Date, TextClause, and_, bindparam, func, select, text, update
from sqlalchemy.orm import Session

from storage.errors import AppError
from storage.models.jobs import Job
from storage.models.media import Media
from storage.models.usage import UsageCounter

ASSESSMENTS, AUDIO_SECONDS = "assessments", "audio_seconds"
HINTS, PLANS_MADE, LLM_TOKENS = "hints", "plans", "llm_tokens"
METRICS = (ASSESSMENTS, AUDIO_SECONDS, HINTS, PLANS_MADE, LLM_TOKENS)
ORGANISATION, LEARNER = "organisation", "learner"
DAY, MONTH = "day", "month"
ASSESSMENT_TYPES = ("writing_assessment", "speaking_assessment")
AUDIO_TYPES = ("speaking_assessment", "transcription")
COUNTED_TYPES = {"hint": HINTS, "learning_plan": PLANS_MADE}
# Work that may call an LLM. Its tokens are known only when it ends: a submission takes one
# token of the limit as its admission (refused once the limit is reached), and the job's
# end settles the counter to the tokens it really used, failed or not (they were spent).
LLM_TYPES = (
    "writing_assessment",
    "speaking_assessment",
    "hint",
    "learning_plan",
    "conversation_turn",
    "conversation_audio_turn",
    "conversation_feedback",
)
LLM_ADMISSION = 1

# (scope, period, metric) -> limit. "unlimited" counts nothing at submission.
Limits = dict[tuple[str, str, str], int]
PLANS: dict[str, Limits] = {
    "unlimited": {},
    "free": {
        (ORGANISATION, DAY, ASSESSMENTS): 100,
        (ORGANISATION, MONTH, ASSESSMENTS): 1_000,
        (LEARNER, DAY, ASSESSMENTS): 10,
        (ORGANISATION, MONTH, AUDIO_SECONDS): 5 * 3600,
        (LEARNER, DAY, AUDIO_SECONDS): 15 * 60,
        (ORGANISATION, DAY, HINTS): 500,
        (LEARNER, DAY, HINTS): 50,
        (ORGANISATION, MONTH, PLANS_MADE): 100,
        (LEARNER, DAY, PLANS_MADE): 3,
        (ORGANISATION, MONTH, LLM_TOKENS): 1_000_000,
    },
    "school": {
        (ORGANISATION, DAY, ASSESSMENTS): 5_000,
        (ORGANISATION, MONTH, ASSESSMENTS): 50_000,
        (LEARNER, DAY, ASSESSMENTS): 50,
        (ORGANISATION, MONTH, AUDIO_SECONDS): 500 * 3600,
        (LEARNER, DAY, AUDIO_SECONDS): 60 * 60,
        (ORGANISATION, DAY, HINTS): 20_000,
        (LEARNER, DAY, HINTS): 200,
        (ORGANISATION, MONTH, PLANS_MADE): 5_000,
        (LEARNER, DAY, PLANS_MADE): 10,
        (ORGANISATION, MONTH, LLM_TOKENS): 50_000_000,
    },
    "partner": {
        (ORGANISATION, MONTH, ASSESSMENTS): 500_000,
        (ORGANISATION, MONTH, AUDIO_SECONDS): 10_000 * 3600,
        (ORGANISATION, MONTH, LLM_TOKENS): 500_000_000,
    },
}
# Bytes of media an organisation may keep (0: no limit): a level, not a period's count,
# checked when an upload becomes ready against what its media rows hold.
STORAGE_BYTES = "storage_bytes"
GIB = 1024**3
STORAGE_LIMITS = {"unlimited": 0, "free": 1 * GIB, "school": 200 * GIB, "partner": 5_000 * GIB}
# Work whose jobs store media, counted in the stored bytes as uploads are (check_room):
# synthesised speech, a conversation's spoken replies (CONVERSATION_SPEAK_REPLIES), and the
# files of an archive that an import (or a batch, see api.batches) unpacks. A learner's
# export is not media (a zip kept for days, not counted) and is never refused: it answers a
# subject access request.
MEDIA_TYPES = frozenset({"speech_synthesis"})
SPOKEN_REPLY_TYPES = frozenset({"conversation_turn", "conversation_audio_turn"})
ARCHIVE_TYPES = frozenset({"media_import", "content_import"})
# API requests per minute per API key (0: no limit); user sessions are not counted.
API_REQUESTS_PER_MINUTE = {"unlimited": 0, "free": 60, "school": 600, "partner": 3_000}
# Premium features: job types each needs, and the plans that include it.
FEATURES = {
    "conversations": ("conversation_turn", "conversation_audio_turn", "conversation_feedback"),
    "speech_synthesis": ("speech_synthesis",),
}
PLAN_FEATURES = {
    "unlimited": frozenset(FEATURES),
    "free": frozenset(),
    "school": frozenset(FEATURES),
    "partner": frozenset(FEATURES),
}
FEATURE_OF_TYPE = {job_type: feature for feature, types in FEATURES.items() for job_type in types}


class FeatureNotInPlan(AppError):
    status = 403
    code = "feature_not_in_plan"
    title = "Forbidden"


def check_feature(plan: str, job_type: str) -> None:
    """403 `feature_not_in_plan` when the job type is a premium feature the plan lacks."""
    feature = FEATURE_OF_TYPE.get(job_type)
    if feature is not None and feature not in PLAN_FEATURES[plan]:
        raise FeatureNotInPlan(
            f"{feature.replace('_', ' ').capitalize()} is not part of the {plan} plan.",
            details={"feature": feature, "plan": plan},
        )


class QuotaExceeded(AppError):
    status = 429
    code = "quota_exceeded"
    title = "Too Many Requests"


def plan_limits(plan: str) -> Limits:
    return PLANS[plan]


def charge_of(
    session: Session, organisation_id: str, job_type: str, input: dict[str, Any]
) -> dict[str, int]:
    """What a submission counts: one assessment, hint or plan, the recording's length
    (measured from its bytes at upload) in whole seconds, and an LLM admission."""
    charge: dict[str, int] = {}
    if job_type in ASSESSMENT_TYPES:
        charge[ASSESSMENTS] = 1
    if job_type in COUNTED_TYPES:
        charge[COUNTED_TYPES[job_type]] = 1
    if job_type in LLM_TYPES:
        charge[LLM_TOKENS] = LLM_ADMISSION
    if job_type in AUDIO_TYPES and input.get("media_id"):
        duration = session.scalar(
            select(Media.duration).where(
                Media.organisation_id == organisation_id, Media.id == input["media_id"]
            )
        )
        if duration:
            charge[AUDIO_SECONDS] = math.ceil(duration)
    return charge


def period_bounds(period: str, now: datetime) -> tuple[date, datetime]:
    """The period's first day and when the next period starts (UTC)."""
    today = now.astimezone(UTC).date()
    if period == DAY:
        start = today
        following = start + timedelta(days=1)
    else:
        start = today.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
    return start, datetime(following.year, following.month, following.day, tzinfo=UTC)


def reserve(
    session: Session,
    organisation_id: str,
    learner_id: str | None,
    charge: dict[str, int],
    limits: Limits,
    now: datetime,
) -> list[list[Any]]:
    """Count `charge` against every limited counter, or raise QuotaExceeded (the caller's
    transaction then rolls back what this counted). Returns the counters it incremented, as
    [subject, metric, period, period_start, amount], for `settle`.

    One statement for all the counters (one round trip): a multi-row upsert whose update
    only applies where `used + amount` stays within that counter's limit. Rows are upserted
    in one order (the sorted limits), so concurrent submissions lock them in the same order
    and never deadlock; each counter's row lock makes their increments exact."""
    wanted: list[tuple[str, str, str, int, str, date, datetime, int]] = []
    for (scope, period, metric), limit in sorted(limits.items()):
        amount = charge.get(metric, 0)
        subject = ORGANISATION if scope == ORGANISATION else learner_id
        if amount <= 0 or subject is None:
            continue
        start, resets_at = period_bounds(period, now)
        wanted.append((scope, period, metric, limit, subject, start, resets_at, amount))
        if amount > limit:
            raise _exceeded(session, organisation_id, now, wanted[-1])
    if not wanted:
        return []
    params: dict[str, Any] = {"org": organisation_id}
    for i, (_, period, metric, limit, subject, start, _, amount) in enumerate(wanted):
        params.update(
            {
                f"s{i}": subject,
                f"m{i}": metric,
                f"p{i}": period,
                f"d{i}": start,
                f"a{i}": amount,
                f"l{i}": limit,
            }
        )
    passed = {
        tuple(row) for row in session.connection().execute(_reserve_statement(len(wanted)), params)
    }
    for counter in wanted:
        if (counter[4], counter[2], counter[1]) not in passed:
            raise _exceeded(session, organisation_id, now, counter)
    return [
        [subject, metric, period, start.isoformat(), amount]
        for _, period, metric, _, subject, start, _, amount in wanted
    ]


@functools.cache
def _reserve_statement(count: int) -> TextClause:
    """The upsert of `count` counters, written once per shape as SQL that PostgreSQL and
    SQLite (3.35+) both run. A textual statement is compiled once and then found in
    SQLAlchemy's statement cache; the same upsert built as an `insert().values([...])`
    construct has no cache key (a multi-row VALUES), so it was compiled again on every
    submission, which took most of the check's time."""
    table = UsageCounter.__tablename__
    rows = ", ".join(f"(:org, :s{i}, :m{i}, :p{i}, :d{i}, :a{i})" for i in range(count))
    caps = " ".join(
        f"WHEN excluded.subject = :s{i} AND excluded.metric = :m{i} "
        f"AND excluded.period = :p{i} THEN :l{i}"
        for i in range(count)
    )
    return text(
        f"INSERT INTO {table} (organisation_id, subject, metric, period, period_start, used) "
        f"VALUES {rows} "
        "ON CONFLICT (organisation_id, subject, metric, period, period_start) "
        f"DO UPDATE SET used = {table}.used + excluded.used "
        f"WHERE {table}.used + excluded.used <= CASE {caps} END "
        "RETURNING subject, metric, period"
    ).bindparams(
        *(bindparam(f"d{i}", type_=Date) for i in range(count)),
        *(bindparam(f"a{i}", type_=BigInteger) for i in range(count)),
        *(bindparam(f"l{i}", type_=BigInteger) for i in range(count)),
    )


def _exceeded(
    session: Session,
    organisation_id: str,
    now: datetime,
    counter: tuple[str, str, str, int, str, date, datetime, int],
) -> QuotaExceeded:
    scope, period, metric, limit, subject, start, resets_at, amount = counter
    used = (
        session.scalar(
            select(UsageCounter.used).where(
                UsageCounter.organisation_id == organisation_id,
                UsageCounter.subject == subject,
                UsageCounter.metric == metric,
                UsageCounter.period == period,
                UsageCounter.period_start == start,
            )
        )
        or 0
    )
    retry_after = max(1, math.ceil((resets_at - now).total_seconds()))
    return QuotaExceeded(
        f"The {scope}'s {period}ly limit of {limit} {metric.replace('_', ' ')} is "
        f"reached ({used} used, {amount} asked).",
        details={
            "quota": {
                "scope": scope,
                "period": period,
                "metric": metric,
                "limit": limit,
                "used": used,
                "requested": amount,
                "resets_at": resets_at.isoformat(),
            }
        },
        headers={"Retry-After": str(retry_after)},
    )


def settle(session: Session, job: Job, tokens_used: int) -> None:
    """At the job's end: a failed or canceled job gives back what its submission counted;
    the LLM admission becomes the tokens the job used, whatever its end."""
    given_back = job.status in ("failed", "canceled")
    for subject, metric, period, start, amount in (job.quota_charge or {}).get("counted", []):
        if metric == LLM_TOKENS:
            delta = tokens_used - amount
        else:
            delta = -amount if given_back else 0
        if delta:
            _add(session, job.organisation_id, subject, metric, period, start, delta)


def release(session: Session, job: Job) -> None:
    """Give back everything the job's submission counted."""
    for subject, metric, period, start, amount in (job.quota_charge or {}).get("counted", []):
        _add(session, job.organisation_id, subject, metric, period, start, -amount)


def _add(
    session: Session,
    organisation_id: str,
    subject: str,
    metric: str,
    period: str,
    start: str,
    delta: int,
) -> None:
    """Change one counter by `delta` (never below 0), in one statement: concurrent changes
    are applied one after another by the row lock, none lost."""
    used = UsageCounter.used + delta
    floor = (
        func.greatest(used, 0)
        if session.get_bind().dialect.name == "postgresql"
        else func.max(used, 0)
    )
    session.execute(
        update(UsageCounter)
        .where(
            and_(
                UsageCounter.organisation_id == organisation_id,
                UsageCounter.subject == subject,
                UsageCounter.metric == metric,
                UsageCounter.period == period,
                UsageCounter.period_start == date.fromisoformat(start),
            )
        )
        .values(used=floor)
        .execution_options(synchronize_session=False)
    )


def counters(
    session: Session, organisation_id: str, subject: str, now: datetime
) -> dict[tuple[str, str], int]:
    """This day's and month's counters of a subject: (period, metric) -> used."""
    found: dict[tuple[str, str], int] = {}
    for period in (DAY, MONTH):
        start, _ = period_bounds(period, now)
        for metric, used in session.execute(
            select(UsageCounter.metric, UsageCounter.used).where(
                UsageCounter.organisation_id == organisation_id,
                UsageCounter.subject == subject,
                UsageCounter.period == period,
                UsageCounter.period_start == start,
            )
        ):
            found[(period, metric)] = used
    return found


def stored_bytes(session: Session, organisation_id: str) -> int:
    """The bytes of the organisation's ready media: what the storage limit is compared with."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Media.size), 0)).where(
                Media.organisation_id == organisation_id, Media.status == "ready"
            )
        )
        or 0
    )


def check_storage(session: Session, media: Media, limit: int) -> None:
    """With `media` ready (flushed in this transaction), the organisation's media must stay
    within `limit` bytes, or QuotaExceeded. The organisation's uploads take their turn here
    (a transaction-scoped advisory lock on PostgreSQL, held to the commit), so two uploads
    cannot pass the limit together; the sum is of the rows themselves, so a deletion by any
    path (the API, retention, erasure) gives its bytes back."""
    organisation_id = media.organisation_id
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(func.pg_advisory_xact_lock(func.hashtext("storage_bytes:" + organisation_id)))
        )
    stored = stored_bytes(session, organisation_id)
    if stored <= limit:
        return
    size = int(media.size or 0)
    raise _storage_exceeded(
        f"The organisation's storage limit of {limit} bytes is reached ({stored - size} "
        f"stored, {size} more asked); delete media or change plan.",
        limit,
        stored - size,
        size,
    )


def makes_media(job_type: str, input: dict[str, Any], speak_replies: bool) -> bool:
    """Whether the job's work stores media (an import does when it unpacks an archive)."""
    return (
        job_type in MEDIA_TYPES
        or (speak_replies and job_type in SPOKEN_REPLY_TYPES)
        or (job_type in ARCHIVE_TYPES and bool(input.get("archive_media_id")))
    )


def check_room(session: Session, organisation_id: str, limit: int) -> None:
    """Work that stores media of a size known only when it ends (an import, speech) is
    refused at submission, with the upload's QuotaExceeded (`requested` null), while the
    organisation's media fill its `limit` already. It is not made to wait for uploads: the
    last jobs admitted with room left may take the organisation past its limit, as the last
    jobs admitted under the LLM-token limit may; the next submission is refused."""
    stored = stored_bytes(session, organisation_id)
    if stored < limit:
        return
    raise _storage_exceeded(
        f"The organisation's storage limit of {limit} bytes is reached ({stored} stored): "
        "work that stores media is refused until media are deleted or the plan changes.",
        limit,
        stored,
        None,
    )


def _storage_exceeded(message: str, limit: int, used: int, requested: int | None) -> QuotaExceeded:
    return QuotaExceeded(
        message,
        details={
            "quota": {
                "scope": ORGANISATION,
                "period": "total",
                "metric": STORAGE_BYTES,
                "limit": limit,
                "used": used,
                "requested": requested,
                "resets_at": None,
            }
        },
    )
