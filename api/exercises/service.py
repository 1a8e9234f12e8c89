"""Submitting an attempt as the API does it: the learner, the submission rate limit, the
assessment jobs (each enqueued after the commit) and the recordings of spoken answers."""

from __future__ import annotations

from typing import Any

from api import ratelimit, settings
from api.learning.blueprint import now
from api.security import Principal
from storage import jobs as job_service
from storage import learners
from storage.content import attempts
from storage.db import db
from storage.models.content import Attempt
from storage.models.jobs import Job
from storage.speech.submissions import recording
from workers import engine, runtime


def submit_attempt(principal: Principal, exercise_id: str, data: dict[str, Any]) -> Attempt:
    """Grade and record the attempt and commit; its jobs are sent after the commit."""
    ratelimit.check("submit", principal.organisation_id)
    learner_id = learners.resolve(db.session, principal, data.get("learner"))

    def make_job(job_type: str, given: dict[str, Any]) -> Job:
        job = job_service.create_job(
            db.session,
            engine.job_spec(job_type),
            organisation_id=principal.organisation_id,
            input=given,
            owner_user_id=principal.user_id,
            owner_api_key_id=principal.api_key_id,
            learner_user_id=learner_id,
        )
        runtime.enqueue_after_commit(db.session, job)
        return job

    def check_recording(media_id: str) -> dict[str, Any]:
        media = recording(db.session, principal, media_id, settings().max_audio_seconds)
        return {"media_id": media.id}

    attempt, _ = attempts.submit(
        db.session,
        principal,
        exercise_id,
        learner_id,
        data["answers"],
        make_job=make_job,
        recording=check_recording,
        time_spent_seconds=data.get("time_spent_seconds"),
        now=now(),
    )
    db.session.commit()
    return attempt
