"""The heartbeat: progress within a stage is written at most every half second, and a value
held back reaches the database with the next beat."""

from __future__ import annotations

import time

from storage import jobs as job_service
from storage.db import db
from storage.models.jobs import Job
from tests.jobs.helpers import submit_ping
from workers.engine import Heartbeat


def stored(job_id: str) -> tuple[str | None, int]:
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    result = (job.stage, job.progress)
    db.session.rollback()
    return result


def test_progress_within_a_stage_is_coalesced_and_flushed_by_the_next_beat(app, client, accounts):
    # Given a claimed job and its heartbeat (a 3 s lease: a beat every second)
    admin = accounts.admin()
    job_id = submit_ping(client, admin.headers).get_json()["id"]
    claimed = job_service.claim(db.session, job_id, "token-1")
    db.session.commit()
    assert claimed is not None
    beat = Heartbeat(app, job_id, "token-1", lease_seconds=3)

    # When the handler reports a stage, then quick progress within it
    beat.report("transcribing", 10)
    for progress in (20, 30, 40):
        beat.report("transcribing", progress)

    # Then the stage is written at once and the quick progress is held back
    assert stored(job_id) == ("transcribing", 10)
    # And a new stage is written at once, whatever the time since the last write
    beat.report("scoring", 50)
    beat.report("scoring", 60)
    assert stored(job_id) == ("scoring", 50)

    # When the heartbeat thread beats, Then the held-back value is written
    beat.start()
    try:
        deadline = time.monotonic() + 10
        while stored(job_id) != ("scoring", 60) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert stored(job_id) == ("scoring", 60)
    finally:
        beat.stop()
