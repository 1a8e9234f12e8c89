"""Batch assessment: a teacher's zip of recordings (or uploaded recordings, or a CSV of texts)
for an assignment becomes one batch with one assessment job per item.

`prepare_batch` checks the request in the API and writes the batch; its expand job
(storage.batch_expansion) turns the source into items and jobs. Here too: progress (counts
by item status) and completion: the batch completes (event `batch.completed`) in the
transaction that finishes its last job.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from pipelines.batches import compile_pattern
from storage.classes import Staff, get_assignment
from storage.db import utcnow
from storage.errors import NotFound, Unprocessable
from storage.ids import new_id
from storage.models.batches import Batch, BatchItem
from storage.models.identity import User
from storage.models.jobs import TERMINAL_STATUSES, Job
from storage.models.media import Media
from storage.tenancy import get_owned, tenant_select
from storage.webhooks.events import record_event

EXPAND_JOB = "batch_expand"
MAX_MEDIA_IDS = 1000
SPEECH_KINDS = ("audio", "video")
JOB_TYPES = {"speaking": "speaking_assessment", "writing": "writing_assessment"}


def _ready_media(
    session: Session, organisation_id: str, media_id: str, kinds: tuple[str, ...]
) -> Media:
    media = session.scalars(
        tenant_select(Media, organisation_id).where(Media.id == media_id)
    ).first()
    if media is None:
        raise NotFound(f"No media with id {media_id!r}.", code="media_not_found")
    if media.status != "ready":
        raise Unprocessable(f"The media {media_id!r} is {media.status}.", code="media_not_ready")
    if media.kind not in kinds:
        raise Unprocessable(
            f"The media {media_id!r} is {media.kind}, not {' or '.join(kinds)}.",
            code="media_wrong_kind",
        )
    return media


def prepare_batch(
    session: Session, staff: Staff, assignment_id: str, data: dict[str, Any]
) -> Batch:
    """Check a batch request and write the batch (the caller creates its expand job)."""
    assignment = get_assignment(session, staff, assignment_id)
    archive_id, texts_id = data.get("archive_media_id"), data.get("texts_media_id")
    media_ids = list(dict.fromkeys(data.get("media_ids") or []))
    manifest_id, pattern = data.get("manifest_media_id"), data.get("filename_pattern")
    if sum(map(bool, (archive_id, texts_id, media_ids))) != 1:
        raise Unprocessable(
            "Send one of archive_media_id, media_ids or texts_media_id.", code="batch_source"
        )
    if assignment.kind == "writing" and not texts_id:
        raise Unprocessable(
            "A writing assignment takes a sheet of texts, CSV or XLSX (texts_media_id).",
            code="batch_source_kind",
        )
    if assignment.kind == "speaking" and texts_id:
        raise Unprocessable(
            "A speaking assignment takes recordings, not texts.", code="batch_source_kind"
        )
    if len(media_ids) > MAX_MEDIA_IDS:
        raise Unprocessable(f"At most {MAX_MEDIA_IDS} media per batch.", code="too_many_media")
    if manifest_id and pattern:
        raise Unprocessable(
            "Give manifest_media_id or filename_pattern, not both.", code="batch_mapping"
        )
    if pattern:
        try:
            compile_pattern(pattern)
        except ValueError as exc:
            raise Unprocessable(f"filename_pattern: {exc}.", code="pattern_invalid") from None
    if media_ids and not (manifest_id or pattern):
        raise Unprocessable(
            "Uploaded recordings need manifest_media_id or filename_pattern.", code="batch_mapping"
        )
    if archive_id:
        _ready_media(session, staff.organisation_id, archive_id, ("archive",))
    for media_id in media_ids:
        _ready_media(session, staff.organisation_id, media_id, SPEECH_KINDS)
    for sheet_id in (manifest_id, texts_id):
        if sheet_id:
            _ready_media(session, staff.organisation_id, sheet_id, ("document",))
    batch = Batch(
        id=new_id("bat"),
        organisation_id=staff.organisation_id,
        assignment_id=assignment.id,
        created_by=staff.user_id,
        status="expanding",
        source={
            "archive_media_id": archive_id,
            "media_ids": media_ids,
            "texts_media_id": texts_id,
            "manifest_media_id": manifest_id,
            "filename_pattern": pattern,
        },
    )
    session.add(batch)
    session.flush()
    return batch


# Progress and completion

ITEM_STATUS = case((BatchItem.job_id.is_(None), "error"), else_=Job.status)


def channel(batch_id: str) -> str:
    """The change-notification channel of a batch (long polls wait on it)."""
    return f"batch:{batch_id}"


def batch_of(job: Job) -> str | None:
    batch_id = (job.input or {}).get("batch_id")
    return batch_id if isinstance(batch_id, str) else None


def get_batch(session: Session, staff: Staff, batch_id: str) -> Batch:
    batch = get_owned(session, Batch, batch_id, staff.organisation_id, what="batch")
    get_assignment(session, staff, batch.assignment_id)
    return batch


def list_batches(organisation_id: str, assignment_id: str) -> Select:
    return (
        tenant_select(Batch, organisation_id)
        .where(Batch.assignment_id == assignment_id)
        .order_by(Batch.created_at.desc(), Batch.id.desc())
    )


def counts(session: Session, batch: Batch) -> dict[str, int]:
    rows = session.execute(
        select(ITEM_STATUS, func.count())
        .select_from(BatchItem)
        .outerjoin(Job, Job.id == BatchItem.job_id)
        .where(BatchItem.batch_id == batch.id)
        .group_by(ITEM_STATUS)
    )
    found = dict(rows.all())
    result = {
        status: int(found.get(status, 0))
        for status in ("error", "queued", "running", "succeeded", "failed", "canceled")
    }
    result["total"] = sum(result.values())
    return result


def items_query(batch_id: str, status: str | None = None) -> Select:
    stmt = (
        select(BatchItem, Job, User)
        .outerjoin(Job, Job.id == BatchItem.job_id)
        .outerjoin(User, User.id == BatchItem.learner_id)
        .where(BatchItem.batch_id == batch_id)
    )
    if status:
        stmt = stmt.where(ITEM_STATUS == status)
    return stmt.order_by(BatchItem.id)


def batch_data(session: Session, batch: Batch) -> dict[str, Any]:
    data = {
        "id": batch.id,
        "assignment_id": batch.assignment_id,
        "status": batch.status,
        "error": batch.error,
        "counts": counts(session, batch),
        "created_at": batch.created_at.isoformat(),
        "completed_at": batch.completed_at.isoformat() if batch.completed_at else None,
    }
    data["version"] = progress_version(data)
    return data


def progress_version(data: dict[str, Any]) -> str:
    """A short tag of a batch's status and counts: a long poll given the tag the client last
    saw answers at once when the batch has moved on since."""
    seen = json.dumps([data["status"], data["counts"]], sort_keys=True)
    return hashlib.sha256(seen.encode()).hexdigest()[:16]


def complete_batch(session: Session, batch: Batch) -> None:
    batch.completed_at = utcnow()
    session.flush()
    record_event(
        session,
        batch.organisation_id,
        "batch.completed",
        batch_data(session, batch),
        user_id=batch.created_by,
        job_id=batch.expand_job_id,
        occurred_at=batch.completed_at,
    )


def on_job_terminal(session: Session, job: Job) -> None:
    """Terminal hook: a failed expand fails its batch; the last item job completes it. The
    batch row is locked first, so of two last jobs finishing at once exactly one sees every
    other item finished."""
    batch_id = batch_of(job)
    if batch_id is None:
        return
    batch = session.scalars(
        select(Batch)
        .where(Batch.id == batch_id, Batch.organisation_id == job.organisation_id)
        .with_for_update()
    ).first()
    if batch is None:
        return
    if job.type == EXPAND_JOB:
        if job.status != "succeeded" and batch.status == "expanding":
            batch.status = "failed"
            batch.error = job.error
            complete_batch(session, batch)
        return
    if batch.status != "running":
        return
    open_items = session.scalar(
        select(func.count())
        .select_from(BatchItem)
        .join(Job, Job.id == BatchItem.job_id)
        .where(BatchItem.batch_id == batch.id, Job.status.not_in(TERMINAL_STATUSES))
    )
    if not open_items:
        batch.status = "completed"
        complete_batch(session, batch)
