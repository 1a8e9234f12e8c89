"""Payload formats an endpoint can ask for.

- `standard`: the Standard Webhooks envelope `{type, timestamp, data}`.
- `xapi`: an xAPI 1.0.3 statement for an assessment result, for a Learning Record Store.
- `lti_ags`: an LTI Advantage Assignment and Grade Services score, for an LMS gradebook.

Builders take plain values (the job's public fields, the learner's external LMS id, the LMS
base URL) and return JSON-ready dicts; nothing here touches the database.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.levels import CEFR_LEVELS

FORMATS = ("standard", "xapi", "lti_ags")
XAPI_VERSION = "1.0.3"
VERB_SCORED = "http://adlnet.gov/expapi/verbs/scored"
VERB_COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VERB_INITIALIZED = "http://adlnet.gov/expapi/verbs/initialized"
ACTIVITY_ASSESSMENT = "http://adlnet.gov/expapi/activities/assessment"
# Extension IRIs live under the platform's own base URL so they resolve to its docs.
EXTENSION_CEFR = "/xapi/extensions/cefr-level"
EXTENSION_SUBSCORES = "/xapi/extensions/sub-scores"
EXTENSION_JOB = "/xapi/extensions/job-id"


def iso_timestamp(moment: datetime) -> str:
    """ISO 8601 with milliseconds and an explicit offset, as xAPI and LTI AGS expect."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def iso_duration(seconds: float) -> str:
    """An ISO 8601 duration such as PT1M5.25S (xAPI keeps 0.01 s precision)."""
    if seconds < 0 or math.isnan(seconds):
        raise ValueError("a duration cannot be negative")
    centis = round(seconds * 100)
    hours, centis = divmod(centis, 360_000)
    minutes, centis = divmod(centis, 6_000)
    secs = f"{centis // 100}.{centis % 100:02d}".rstrip("0").rstrip(".")
    out = "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    if secs != "0" or out == "PT":
        out += f"{secs}S"
    return out


def standard(event_type: str, timestamp: datetime, data: Mapping[str, Any]) -> dict[str, Any]:
    """The Standard Webhooks payload envelope."""
    return {"type": event_type, "timestamp": iso_timestamp(timestamp), "data": dict(data)}


@dataclass(frozen=True)
class Score:
    raw: float
    minimum: float
    maximum: float

    def __post_init__(self) -> None:
        if not self.minimum < self.maximum:
            raise ValueError("a score range needs minimum < maximum")
        if not self.minimum <= self.raw <= self.maximum:
            raise ValueError("a raw score must lie within its range")

    @property
    def scaled(self) -> float:
        """The raw score as a share of the maximum, in [-1, 1] as xAPI requires."""
        if self.maximum <= 0:
            return 0.0
        return round(max(-1.0, min(1.0, self.raw / self.maximum)), 4)


@dataclass(frozen=True)
class AssessmentOutcome:
    """One learner's assessment result, as the LMS formats need it."""

    job_id: str
    job_type: str
    learner_id: str
    finished_at: datetime
    lms_base_url: str
    platform_base_url: str
    learner_external_id: str | None = None
    started_at: datetime | None = None
    cefr_level: str | None = None
    score: Score | None = None
    sub_scores: Mapping[str, float] | None = None
    success: bool | None = None
    duration_seconds: float | None = None
    language: str | None = None
    activity_id: str | None = None
    activity_name: str | None = None
    feedback: str | None = None
    # A teacher's review of the result: a later statement and grade of its own.
    review_id: str | None = None

    @property
    def account_name(self) -> str:
        # Without an LMS id the learner can still be identified by the platform's own id;
        # the LMS then has to map it, which is better than dropping the result.
        return self.learner_external_id or self.learner_id

    @property
    def activity_iri(self) -> str:
        if self.activity_id and "://" in self.activity_id:
            return self.activity_id
        base = self.platform_base_url.rstrip("/")
        suffix = self.activity_id or self.job_type
        return f"{base}/activities/{suffix}"


def cefr_score(level: str) -> Score:
    """A CEFR level on a 0..6 scale (0 would be pre-A1), so A1 is 1 and C2 is 6."""
    return Score(raw=float(CEFR_LEVELS.index(level) + 1), minimum=0.0, maximum=6.0)


def outcome_from_job(
    job: Mapping[str, Any],
    *,
    learner_id: str,
    learner_external_id: str | None,
    lms_base_url: str,
    platform_base_url: str,
) -> AssessmentOutcome:
    """Read an assessment outcome from a job's public representation (`id`, `type`,
    `input`, `result`, `started_at`, `finished_at`)."""
    result: Mapping[str, Any] = job.get("result") or {}
    params: Mapping[str, Any] = job.get("input") or {}
    level = _cefr_of(result)
    scores = result.get("scores") if isinstance(result.get("scores"), Mapping) else {}
    overall = scores.get("overall") if scores else None
    if isinstance(overall, int | float) and 0 <= overall <= 100:
        score: Score | None = Score(float(overall), 0.0, 100.0)
    elif level:
        score = cefr_score(level)
    else:
        score = None
    target = params.get("target_level")
    success = None
    if level and isinstance(target, str) and target.upper() in CEFR_LEVELS:
        success = CEFR_LEVELS.index(level) >= CEFR_LEVELS.index(target.upper())
    return AssessmentOutcome(
        job_id=str(job["id"]),
        job_type=str(job["type"]),
        learner_id=learner_id,
        learner_external_id=learner_external_id,
        finished_at=_as_datetime(job.get("finished_at")) or datetime.now(UTC),
        started_at=_as_datetime(job.get("started_at")),
        lms_base_url=lms_base_url,
        platform_base_url=platform_base_url,
        cefr_level=level,
        score=score,
        sub_scores={
            k: float(v) for k, v in scores.items() if k != "overall" and isinstance(v, int | float)
        }
        or None,
        success=success,
        duration_seconds=_duration_of(result),
        language=_first_str(result.get("language"), params.get("language")),
        activity_id=_first_str(params.get("activity_id"), params.get("prompt_id")),
        activity_name=_first_str(params.get("activity_name"), params.get("task")),
        feedback=_first_str(result.get("feedback"), result.get("summary")),
        review_id=_first_str(
            (result.get("review") or {}).get("id")
            if isinstance(result.get("review"), Mapping)
            else None
        ),
    )


def _cefr_of(result: Mapping[str, Any]) -> str | None:
    for key in ("cefr", "cefr_level", "level"):
        value = result.get(key)
        if isinstance(value, Mapping):
            value = value.get("level")
        if isinstance(value, str) and value.upper() in CEFR_LEVELS:
            return value.upper()
    return None


def _duration_of(result: Mapping[str, Any]) -> float | None:
    for holder in (result, result.get("transcript"), result.get("fluency")):
        if isinstance(holder, Mapping):
            for key in ("duration_seconds", "duration", "total_duration"):
                value = holder.get(key)
                if isinstance(value, int | float) and value >= 0:
                    return float(value)
    return None


def _first_str(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, str) and value:
            return value
        if isinstance(value, Mapping) and isinstance(value.get("text"), str):
            return value["text"]
    return None


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _duration_seconds(outcome: AssessmentOutcome) -> float | None:
    if outcome.duration_seconds is not None:
        return outcome.duration_seconds
    if outcome.started_at is not None:
        return max(0.0, (outcome.finished_at - outcome.started_at).total_seconds())
    return None


def statement_id(outcome: AssessmentOutcome) -> str:
    """A UUID derived from the job, so a redelivered statement keeps its id and the LRS
    treats it as the same statement rather than a second attempt."""
    name = f"{outcome.platform_base_url.rstrip('/')}/jobs/{outcome.job_id}"
    if outcome.review_id:
        name += f"/reviews/{outcome.review_id}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def xapi_statement(outcome: AssessmentOutcome) -> dict[str, Any]:
    """An xAPI 1.0.3 statement: the learner `scored` (or `completed`) the assessment."""
    base = outcome.platform_base_url.rstrip("/")
    verb_id, verb_name = (
        (VERB_SCORED, "scored") if outcome.score is not None else (VERB_COMPLETED, "completed")
    )
    name = outcome.activity_name or outcome.job_type.replace(".", " ").replace("_", " ")
    result: dict[str, Any] = {"completion": True}
    if outcome.score is not None:
        result["score"] = {
            "scaled": outcome.score.scaled,
            "raw": outcome.score.raw,
            "min": outcome.score.minimum,
            "max": outcome.score.maximum,
        }
    if outcome.success is not None:
        result["success"] = outcome.success
    duration = _duration_seconds(outcome)
    if duration is not None:
        result["duration"] = iso_duration(duration)
    if outcome.feedback:
        result["response"] = outcome.feedback[:1000]
    extensions: dict[str, Any] = {}
    if outcome.cefr_level:
        extensions[base + EXTENSION_CEFR] = outcome.cefr_level
    if outcome.sub_scores:
        extensions[base + EXTENSION_SUBSCORES] = dict(outcome.sub_scores)
    if extensions:
        result["extensions"] = extensions
    statement: dict[str, Any] = {
        "id": statement_id(outcome),
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": outcome.lms_base_url, "name": outcome.account_name},
        },
        "verb": {"id": verb_id, "display": {"en-US": verb_name}},
        "object": {
            "objectType": "Activity",
            "id": outcome.activity_iri,
            "definition": {
                "type": ACTIVITY_ASSESSMENT,
                "name": {"en-US": name},
                "description": {"en-US": f"{name} assessed on the CEFR scale (A1-C2)"},
            },
        },
        "result": result,
        "context": {
            "platform": base,
            "extensions": {base + EXTENSION_JOB: outcome.job_id},
        },
        "timestamp": iso_timestamp(outcome.finished_at),
        "version": XAPI_VERSION,
    }
    if outcome.language:
        statement["context"]["language"] = outcome.language
    return statement


def lti_ags_score(outcome: AssessmentOutcome) -> dict[str, Any]:
    """An LTI AGS score for the learner's line item (application/vnd.ims.lis.v1.score+json)."""
    score = outcome.score
    if score is None:
        raise ValueError("an LTI AGS score needs a scored assessment")
    # AGS scores start at 0; a range with another minimum is shifted onto 0..max-min.
    given = round(score.raw - score.minimum, 4)
    maximum = round(score.maximum - score.minimum, 4)
    parts = []
    if outcome.cefr_level:
        parts.append(f"CEFR {outcome.cefr_level}")
    if outcome.feedback:
        parts.append(outcome.feedback)
    body: dict[str, Any] = {
        "userId": outcome.account_name,
        "scoreGiven": given,
        "scoreMaximum": maximum,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": iso_timestamp(outcome.finished_at),
        "comment": ". ".join(parts)[:1000] if parts else f"{outcome.job_type} assessed",
    }
    if outcome.started_at is not None:
        body["submission"] = {
            "startedAt": iso_timestamp(outcome.started_at),
            "submittedAt": iso_timestamp(outcome.finished_at),
        }
    return body


def xapi_test_statement(
    *,
    message_id: str,
    account_name: str,
    lms_base_url: str,
    platform_base_url: str,
    timestamp: datetime,
) -> dict[str, Any]:
    """A harmless statement for `webhook.test`: the account `initialized` a test activity,
    with no result, so an LRS stores nothing that looks like a grade."""
    base = platform_base_url.rstrip("/")
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base}/webhook-events/{message_id}")),
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": lms_base_url, "name": account_name},
        },
        "verb": {"id": VERB_INITIALIZED, "display": {"en-US": "initialized"}},
        "object": {
            "objectType": "Activity",
            "id": f"{base}/activities/webhook-test",
            "definition": {
                "name": {"en-US": "Webhook test"},
                "description": {"en-US": "A test message from the platform."},
            },
        },
        "timestamp": iso_timestamp(timestamp),
        "version": XAPI_VERSION,
    }


def lti_test_score(*, account_name: str, timestamp: datetime) -> dict[str, Any]:
    """A harmless LTI AGS score for `webhook.test`: progress only, no grade."""
    return {
        "userId": account_name,
        "activityProgress": "Initialized",
        "gradingProgress": "NotReady",
        "timestamp": iso_timestamp(timestamp),
        "comment": "Webhook test from the assessment platform; no grade.",
    }


VERB_ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
ACTIVITY_LESSON = "http://adlnet.gov/expapi/activities/lesson"
ACTIVITY_INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"


def _actor(account_name: str, lms_base_url: str) -> dict[str, Any]:
    return {"objectType": "Agent", "account": {"homePage": lms_base_url, "name": account_name}}


def _stable_id(base: str, path: str) -> str:
    """The same record always gives the same statement id, so a retry never duplicates."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base}/{path}"))


def xapi_session_statement(
    data: Mapping[str, Any], *, account_name: str, lms_base_url: str, platform_base_url: str
) -> dict[str, Any]:
    """A study session ended: the learner `completed` the session's word group (or their due
    words), with the share of correct answers as the scaled score and the time spent."""
    base = platform_base_url.rstrip("/")
    started = _as_datetime(data.get("started_at"))
    ended = _as_datetime(data.get("ended_at")) or datetime.now(UTC)
    reviews, correct = int(data.get("reviews") or 0), int(data.get("correct") or 0)
    group = data.get("group_id")
    activity_id = (
        f"{base}/activities/word-groups/{group}" if group else (f"{base}/activities/due-words")
    )
    name = data.get("group_name") or "Words due for review"
    result: dict[str, Any] = {"completion": True}
    if reviews:
        result["score"] = {
            "scaled": round(correct / reviews, 4),
            "raw": correct,
            "min": 0,
            "max": reviews,
        }
    if started is not None:
        result["duration"] = iso_duration(max(0.0, (ended - started).total_seconds()))
    return {
        "id": _stable_id(base, f"study-sessions/{data['session_id']}"),
        "actor": _actor(account_name, lms_base_url),
        "verb": {"id": VERB_COMPLETED, "display": {"en-US": "completed"}},
        "object": {
            "objectType": "Activity",
            "id": activity_id,
            "definition": {
                "type": ACTIVITY_LESSON,
                "name": {"en-US": str(name)},
                "description": {"en-US": f"Vocabulary study ({data.get('activity') or 'review'})"},
            },
        },
        "result": result,
        "context": {
            "platform": base,
            "registration": _stable_id(base, f"study-sessions/{data['session_id']}/registration"),
        },
        "timestamp": iso_timestamp(ended),
        "version": XAPI_VERSION,
    }


def xapi_review_statement(
    data: Mapping[str, Any], *, account_name: str, lms_base_url: str, platform_base_url: str
) -> dict[str, Any]:
    """One review: the learner `answered` a word, correctly or not, within a session."""
    base = platform_base_url.rstrip("/")
    statement: dict[str, Any] = {
        "id": _stable_id(base, f"reviews/{data['review_id']}"),
        "actor": _actor(account_name, lms_base_url),
        "verb": {"id": VERB_ANSWERED, "display": {"en-US": "answered"}},
        "object": {
            "objectType": "Activity",
            "id": f"{base}/activities/words/{data['word_id']}",
            "definition": {
                "type": ACTIVITY_INTERACTION,
                "name": {"en-US": str(data.get("term") or data["word_id"])},
                "interactionType": "other",
            },
        },
        "result": {"success": bool(data.get("correct")), "completion": True},
        "context": {
            "platform": base,
            "registration": _stable_id(base, f"study-sessions/{data['session_id']}/registration"),
        },
        "timestamp": iso_timestamp(_as_datetime(data.get("reviewed_at")) or datetime.now(UTC)),
        "version": XAPI_VERSION,
    }
    if data.get("language"):
        statement["context"]["language"] = data["language"]
    return statement
