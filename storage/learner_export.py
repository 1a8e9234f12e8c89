"""Exporting one learner's data for a subject access request (GDPR Art. 15 and 20, FERPA
inspection): a zip holding, for every table storage.learner_data lists (the same list
erasure deletes), the learner's rows as JSON (credentials left out), their recordings and
other media as files, and a manifest. The zip is kept in the object store under the
learner's export folder for `LEARNER_EXPORT_DAYS` and downloaded through short-lived links.
Nothing here commits."""

from __future__ import annotations

import base64
import json
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import learner_data
from storage.errors import AppError, Conflict, NotFound
from storage.models.identity import User
from storage.models.jobs import Job
from storage.models.media import Media
from storage.objectstore import ObjectNotFound, ObjectStore
from storage.objectstore.keys import export_key, safe_filename
from storage.tenancy import get_owned

JOB_TYPE = "learner_export"
ERASURE_JOB_TYPE = "learner_erasure"
FORMAT_VERSION = 1
EXPORTABLE_ROLES = ("learner",)
CONTENT_TYPE = "application/zip"
_SPOOL_BYTES = 8 * 1024 * 1024


class ExportGone(AppError):
    status = 410
    code = "export_expired"
    title = "Gone"


@dataclass(frozen=True)
class Requester:
    """Who asks: an admin for any learner of the organisation, a learner for themself."""

    organisation_id: str
    user_id: str | None
    role: str


def check_may_export(session: Session, requester: Requester, user_id: str) -> User:
    """The learner whose data is asked for, if the requester may have it."""
    if requester.role != "admin" and requester.user_id != user_id:
        # Another learner's id answers as if it did not exist.
        raise NotFound(f"No user with id {user_id!r}.", code="user_not_found")
    user = get_owned(session, User, user_id, requester.organisation_id, what="user")
    if user.role not in EXPORTABLE_ROLES:
        raise Conflict("Only learners' data is exported this way.", code="export_not_learner")
    return user


def erasure_under_way(session: Session, organisation_id: str, user_id: str) -> bool:
    """Whether the learner is gone or an erasure of theirs was asked for."""
    if (
        session.scalar(
            select(User.id).where(User.organisation_id == organisation_id, User.id == user_id)
        )
        is None
    ):
        return True
    return (
        session.scalar(
            select(Job.id)
            .where(
                Job.organisation_id == organisation_id,
                Job.type == ERASURE_JOB_TYPE,
                Job.status.in_(("queued", "running", "succeeded")),
                Job.input["user_id"].as_string() == user_id,
            )
            .limit(1)
        )
        is not None
    )


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    raise TypeError(f"cannot export a {type(value).__name__}")


def _dump(value: Any) -> str:
    return json.dumps(value, default=_json_value, ensure_ascii=False, indent=1)


def _media_entry(zf: zipfile.ZipFile, store: ObjectStore, media: Media) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": media.id,
        "filename": media.filename,
        "content_type": media.content_type,
        "size": media.size,
        "status": media.status,
        "file": None,
    }
    if media.status != "ready":
        return entry
    path = f"media/{media.id}/{safe_filename(media.filename)}"
    try:
        stream = store.get(media.object_key)
    except ObjectNotFound:
        entry["missing"] = True
        return entry
    # Recordings are compressed already: stored as they are.
    info = zipfile.ZipInfo(path, date_time=media.created_at.timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    with stream, zf.open(info, "w", force_zip64=True) as out:
        for chunk in stream:
            out.write(chunk)
    entry["file"] = path
    return entry


def build(
    session: Session,
    store: ObjectStore,
    organisation_id: str,
    user_id: str,
    job_id: str,
    now: datetime,
) -> dict[str, Any]:
    """Write the learner's export to the store; returns its manifest (counts, no data)."""
    tables: dict[str, int] = {}
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
        with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in learner_data.holdings():
                found = [
                    learner_data.exported(row)
                    for row in session.execute(learner_data.rows(name, organisation_id, user_id))
                ]
                tables[name] = len(found)
                zf.writestr(f"data/{name}.json", _dump(found))
            media = [
                _media_entry(zf, store, row)
                for row in session.scalars(
                    select(Media)
                    .where(learner_data.where("media", organisation_id, user_id))
                    .order_by(Media.id)
                )
            ]
            manifest = {
                "format_version": FORMAT_VERSION,
                "user_id": user_id,
                "organisation_id": organisation_id,
                "generated_at": now,
                "tables": tables,
                "media": media,
            }
            zf.writestr("manifest.json", _dump(manifest))
        size = spool.tell()
        spool.seek(0)
        store.put(export_key(organisation_id, user_id, job_id), spool, size, CONTENT_TYPE)
    return {
        "size": size,
        "tables": tables,
        "media": len(media),
        "media_missing": sum(1 for m in media if m.get("missing")),
    }


def finished_export(
    session: Session, requester: Requester, user_id: str, job_id: str, keep_days: int, now: datetime
) -> tuple[Job, str]:
    """The export job and its object key, if it may still be downloaded."""
    check_may_export(session, requester, user_id)
    job = get_owned(session, Job, job_id, requester.organisation_id, what="export")
    if job.type != JOB_TYPE or (job.input or {}).get("user_id") != user_id:
        raise NotFound(f"No export with id {job_id!r}.", code="export_not_found")
    if job.status != "succeeded":
        raise Conflict(f"The export is {job.status}, not ready.", code="export_not_ready")
    if (
        job.finished_at is None
        or job.finished_at + timedelta(days=keep_days) <= now
        or (job.result or {}).get("expired")
    ):
        raise ExportGone(f"The export was kept {keep_days} days and is gone; ask for a new one.")
    return job, export_key(requester.organisation_id, user_id, job.id)


def expire_batch(session: Session, store: ObjectStore, before: datetime, limit: int) -> int:
    """Remove up to `limit` export objects of jobs finished before `before`, marking each job
    expired (rows taken with SKIP LOCKED: two sweepers never take the same)."""
    jobs = session.scalars(
        select(Job)
        .where(
            Job.type == JOB_TYPE,
            Job.status == "succeeded",
            Job.finished_at < before,
            Job.result["expired"].as_string().is_(None),
        )
        .order_by(Job.finished_at, Job.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for job in jobs:
        # The object first: a batch cut short leaves a job to expire again, never a zip
        # nobody will remove.
        store.delete(export_key(job.organisation_id, job.input["user_id"], job.id))
        job.result = {**(job.result or {}), "expired": True}
    expired = len(jobs)
    session.flush()
    return expired
