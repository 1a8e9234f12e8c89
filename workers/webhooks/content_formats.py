"""xAPI statements for learning content: a graded quiz or exercise (`scored`), a completed
lesson and a completed course (`completed`). Plain values in, JSON-ready dicts out; the ids
are derived from the record, so a redelivery keeps its statement id."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from workers.webhooks.formats import (
    ACTIVITY_ASSESSMENT,
    ACTIVITY_LESSON,
    VERB_COMPLETED,
    VERB_SCORED,
    XAPI_VERSION,
    _actor,
    _as_datetime,
    _stable_id,
    iso_duration,
    iso_timestamp,
)

ACTIVITY_COURSE = "http://adlnet.gov/expapi/activities/course"


def _statement(
    base: str,
    statement_path: str,
    *,
    verb: tuple[str, str],
    activity: str,
    activity_type: str,
    name: str,
    result: dict[str, Any],
    account_name: str,
    lms_base_url: str,
    at: datetime,
    parent: str | None = None,
) -> dict[str, Any]:
    context: dict[str, Any] = {"platform": base}
    if parent:
        context["contextActivities"] = {
            "parent": [{"objectType": "Activity", "id": f"{base}/activities/{parent}"}]
        }
    return {
        "id": _stable_id(base, statement_path),
        "actor": _actor(account_name, lms_base_url),
        "verb": {"id": verb[0], "display": {"en-US": verb[1]}},
        "object": {
            "objectType": "Activity",
            "id": f"{base}/activities/{activity}",
            "definition": {"type": activity_type, "name": {"en-US": name}},
        },
        "result": result,
        "context": context,
        "timestamp": iso_timestamp(at),
        "version": XAPI_VERSION,
    }


def xapi_quiz_statement(
    data: Mapping[str, Any], *, account_name: str, lms_base_url: str, platform_base_url: str
) -> dict[str, Any]:
    """An attempt graded: the learner `scored` the exercise, with raw points and pass."""
    base = platform_base_url.rstrip("/")
    maximum = float(data.get("max_score") or 0)
    raw = float(data.get("score") or 0)
    result: dict[str, Any] = {"completion": True}
    if maximum > 0:
        result["score"] = {
            "scaled": round(max(0.0, min(1.0, raw / maximum)), 4),
            "raw": raw,
            "min": 0,
            "max": maximum,
        }
    if data.get("passed") is not None:
        result["success"] = bool(data["passed"])
    at = _as_datetime(data.get("graded_at")) or datetime.now(UTC)
    return _statement(
        base,
        f"attempts/{data['attempt_id']}",
        verb=(VERB_SCORED, "scored"),
        activity=f"exercises/{data['exercise_id']}",
        activity_type=ACTIVITY_ASSESSMENT,
        name=str(data.get("title") or "Quiz"),
        result=result,
        account_name=account_name,
        lms_base_url=lms_base_url,
        at=at,
        parent=f"lessons/{data['lesson_id']}" if data.get("lesson_id") else None,
    )


def _completed(
    data: Mapping[str, Any],
    path: str,
    activity: str,
    activity_type: str,
    parent: str | None,
    **who: str,
) -> dict[str, Any]:
    base = who.pop("platform_base_url").rstrip("/")
    result: dict[str, Any] = {"completion": True}
    seconds = data.get("time_spent_seconds")
    if isinstance(seconds, int | float) and seconds >= 0:
        result["duration"] = iso_duration(float(seconds))
    at = _as_datetime(data.get("completed_at")) or datetime.now(UTC)
    return _statement(
        base,
        path,
        verb=(VERB_COMPLETED, "completed"),
        activity=activity,
        activity_type=activity_type,
        name=str(data.get("title") or activity),
        result=result,
        at=at,
        parent=parent,
        **who,
    )


def xapi_lesson_statement(data: Mapping[str, Any], **who: str) -> dict[str, Any]:
    return _completed(
        data,
        f"lessons/{data['lesson_id']}/completions/{data['user_id']}",
        f"lessons/{data['lesson_id']}",
        ACTIVITY_LESSON,
        f"courses/{data['course_id']}",
        **who,
    )


def xapi_course_statement(data: Mapping[str, Any], **who: str) -> dict[str, Any]:
    return _completed(
        data,
        f"courses/{data['course_id']}/completions/{data['user_id']}",
        f"courses/{data['course_id']}",
        ACTIVITY_COURSE,
        None,
        **who,
    )


STATEMENTS = {
    "quiz.graded": xapi_quiz_statement,
    "lesson.completed": xapi_lesson_statement,
    "course.completed": xapi_course_statement,
}
