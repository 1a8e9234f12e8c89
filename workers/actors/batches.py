"""The expand job of a batch assessment: its source becomes items, each with its own job."""

from __future__ import annotations

from typing import Any

from pipelines.archive import ArchiveLimits
from storage import jobs as job_service
from storage.batch_expansion import BatchLimits, expand_batch
from storage.batches import EXPAND_JOB, batch_of, channel
from storage.db import after_commit
from storage.models.jobs import Job
from workers import runtime
from workers.engine import JobContext, Outcome, job_actor, job_spec


@job_actor(
    EXPAND_JOB,
    name=EXPAND_JOB,
    queue="media",
    max_attempts=3,
    lease_seconds=120,
    time_limit_ms=60 * 60 * 1000,
)
def batch_expand(ctx: JobContext) -> Outcome:
    settings = ctx.settings
    upload = settings.upload_limits
    limits = BatchLimits(
        archive=ArchiveLimits(
            max_archive_bytes=upload.for_kind("archive"),
            max_entries=settings.import_max_entries,
            max_entry_bytes=settings.import_max_entry_bytes,
            max_total_bytes=settings.import_max_total_bytes,
        ),
        upload=upload,
        max_audio_seconds=settings.max_audio_seconds,
        max_text_chars=settings.max_text_chars,
    )
    job = ctx.job

    def new_job(job_type: str, given: dict[str, Any]) -> Job:
        # One job per item on the assessment queues, sent once the expand job's outcome
        # commits. It is the learner's job (their profile, streak and job list follow it);
        # the batch records the teacher who submitted it.
        item = job_service.create_job(
            ctx.session,
            job_spec(job_type),
            organisation_id=job.organisation_id,
            input=given,
            owner_user_id=given["learner_id"],
        )
        runtime.enqueue_after_commit(ctx.session, item)
        return item

    result = expand_batch(ctx.session, runtime.object_store(), job, limits, new_job, ctx.report)
    return Outcome(result, provider="platform", model="batch-expand")


def notify_batch(session: Any, job: Job) -> None:
    """Terminal hook: once a batch's job has ended (and committed), wake its long polls."""
    batch_id = batch_of(job)
    if batch_id is not None:
        after_commit(session, lambda: runtime.notify_job(channel(batch_id)))
