"""Payload formats: the standard envelope, xAPI statements and LTI AGS scores."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from workers.webhooks.formats import (
    VERB_COMPLETED,
    VERB_SCORED,
    AssessmentOutcome,
    Score,
    iso_duration,
    lti_ags_score,
    outcome_from_job,
    standard,
    xapi_statement,
)

FINISHED = datetime(2024, 5, 1, 10, 0, 30, 250000, tzinfo=UTC)
STARTED = FINISHED - timedelta(seconds=42)
ISO_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ISO_DURATION = re.compile(r"^PT(\d+H)?(\d+M)?(\d+(\.\d{1,2})?S)?$")
LMS = "https://lms.school.example"
PLATFORM = "https://assess.example"

SPEAKING_JOB = {
    "id": "job_01hx",
    "type": "assessment.speaking",
    "status": "succeeded",
    "input": {
        "media_id": "med_1",
        "language": "es",
        "prompt_id": "es-b1-travel",
        "target_level": "B1",
    },
    "result": {
        "cefr": {"level": "B2", "confidence": 0.7},
        "scores": {"overall": 71, "fluency": 64, "pronunciation": 80},
        "transcript": {"duration": 37.5, "text": "..."},
        "feedback": "Speech rate 118 words/min.",
    },
    "started_at": STARTED.isoformat(),
    "finished_at": FINISHED.isoformat(),
}


def outcome(**changes) -> AssessmentOutcome:
    return outcome_from_job(
        {**SPEAKING_JOB, **changes},
        learner_id="usr_1",
        learner_external_id="lms-user-42",
        lms_base_url=LMS,
        platform_base_url=PLATFORM,
    )


def test_standard_envelope() -> None:
    # Given an event / When wrapped / Then {type, timestamp, data} with an offset timestamp
    payload = standard("job.succeeded", FINISHED, {"id": "job_1"})
    assert payload == {
        "type": "job.succeeded",
        "timestamp": "2024-05-01T10:00:30.250+00:00",
        "data": {"id": "job_1"},
    }


def test_xapi_statement_has_required_structure() -> None:
    # Given a scored speaking assessment of a learner with an LMS id
    # When turned into an xAPI statement
    statement = xapi_statement(outcome())

    # Then it carries every required property with xAPI 1.0.3 shapes
    assert uuid.UUID(statement["id"]).version == 5
    assert statement["version"] == "1.0.3"
    assert statement["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": LMS, "name": "lms-user-42"},
    }
    assert statement["verb"]["id"] == VERB_SCORED == "http://adlnet.gov/expapi/verbs/scored"
    assert statement["verb"]["display"] == {"en-US": "scored"}
    obj = statement["object"]
    assert obj["objectType"] == "Activity"
    assert obj["id"] == f"{PLATFORM}/activities/es-b1-travel"
    assert obj["definition"]["type"] == "http://adlnet.gov/expapi/activities/assessment"
    assert obj["definition"]["name"]["en-US"]
    result = statement["result"]
    assert result["score"] == {"scaled": 0.71, "raw": 71.0, "min": 0.0, "max": 100.0}
    assert result["success"] is True  # B2 reached the B1 target
    assert result["completion"] is True
    assert result["duration"] == "PT37.5S"
    assert ISO_DURATION.match(result["duration"])
    assert result["extensions"][f"{PLATFORM}/xapi/extensions/cefr-level"] == "B2"
    assert ISO_OFFSET.match(statement["timestamp"])
    assert statement["context"]["language"] == "es"


def test_xapi_statement_id_is_stable_across_redeliveries() -> None:
    # Given the same job built twice / Then the statement id is the same (LRS deduplicates)
    assert xapi_statement(outcome())["id"] == xapi_statement(outcome())["id"]
    assert xapi_statement(outcome())["id"] != xapi_statement(outcome(id="job_02"))["id"]


def test_xapi_without_score_is_completed_and_without_target_has_no_success() -> None:
    # Given a result with neither CEFR nor scores, and no target level
    bare = outcome(result={}, input={})

    # When turned into a statement / Then the verb is `completed`, no score, no success
    statement = xapi_statement(bare)
    assert statement["verb"]["id"] == VERB_COMPLETED
    assert "score" not in statement["result"] and "success" not in statement["result"]
    # and the duration falls back to the job's own run time
    assert statement["result"]["duration"] == "PT42S"


def test_cefr_only_result_is_scored_on_the_cefr_scale() -> None:
    # Given a writing result that has only a level
    statement = xapi_statement(outcome(result={"cefr_level": "A2"}, input={"target_level": "B1"}))

    # Then raw is the level's rank on 0..6 and the learner did not reach B1
    assert statement["result"]["score"] == {"scaled": 0.3333, "raw": 2.0, "min": 0.0, "max": 6.0}
    assert statement["result"]["success"] is False


def test_learner_without_lms_id_falls_back_to_platform_id() -> None:
    # Given a learner with no external id / Then the account name is the platform user id
    plain = outcome_from_job(
        SPEAKING_JOB,
        learner_id="usr_9",
        learner_external_id=None,
        lms_base_url=LMS,
        platform_base_url=PLATFORM,
    )
    assert xapi_statement(plain)["actor"]["account"]["name"] == "usr_9"


@given(
    low=st.floats(-1000, 1000, allow_nan=False),
    span=st.floats(0.001, 1000, allow_nan=False),
    share=st.floats(0, 1),
)
def test_score_ranges_hold_for_any_range(low: float, span: float, share: float) -> None:
    # Given any valid score range and a raw score inside it
    high = low + span
    raw = min(high, max(low, low + share * span))
    assume(low < high)
    statement = xapi_statement(
        AssessmentOutcome(
            job_id="job_1",
            job_type="assessment.writing",
            learner_id="usr_1",
            finished_at=FINISHED,
            lms_base_url=LMS,
            platform_base_url=PLATFORM,
            score=Score(raw, low, high),
        )
    )

    # Then scaled stays in [-1, 1] and raw within [min, max]
    score = statement["result"]["score"]
    assert -1 <= score["scaled"] <= 1
    assert score["min"] <= score["raw"] <= score["max"]


def test_score_outside_its_range_is_refused() -> None:
    with pytest.raises(ValueError):
        Score(7, 0, 6)
    with pytest.raises(ValueError):
        Score(1, 5, 5)


@pytest.mark.parametrize(
    "seconds, text",
    [
        (0, "PT0S"),
        (37.5, "PT37.5S"),
        (61.25, "PT1M1.25S"),
        (3600, "PT1H"),
        (3723.456, "PT1H2M3.46S"),
        (0.004, "PT0S"),
    ],
)
def test_iso_durations(seconds: float, text: str) -> None:
    assert iso_duration(seconds) == text
    assert ISO_DURATION.match(text)


def test_lti_ags_score_fields() -> None:
    # Given a scored assessment / When turned into an LTI AGS score
    score = lti_ags_score(outcome())

    # Then it has every field the AGS score service needs
    assert score["userId"] == "lms-user-42"
    assert score["scoreGiven"] == 71.0 and score["scoreMaximum"] == 100.0
    assert 0 <= score["scoreGiven"] <= score["scoreMaximum"]
    assert score["activityProgress"] == "Completed"
    assert score["gradingProgress"] == "FullyGraded"
    assert ISO_OFFSET.match(score["timestamp"])
    assert datetime.fromisoformat(score["timestamp"]) == FINISHED.replace(microsecond=250000)
    assert "CEFR B2" in score["comment"] and "118 words/min" in score["comment"]
    assert score["submission"]["startedAt"] < score["submission"]["submittedAt"]


def test_lti_ags_shifts_ranges_onto_zero() -> None:
    # Given a CEFR-only result (0..6) / Then scoreGiven is the rank and the maximum is 6
    score = lti_ags_score(outcome(result={"cefr": "C1"}))
    assert (score["scoreGiven"], score["scoreMaximum"]) == (5.0, 6.0)
    # Given no score at all / Then there is no grade to send
    with pytest.raises(ValueError):
        lti_ags_score(outcome(result={}))
