"""The content import job: a course package (`course.json` with the media its lessons name,
in a zip; or the JSON alone) becomes a course.

The zip is read with the bulk-import safety rules of `pipelines.archive` (unsafe paths,
links, encrypted entries, entry count from the archive's own directory, sizes and ratio on
the decompressed bytes). Unlike the vocabulary import, a course is all or nothing: any
refused entry or package problem fails the job with its code and the problems as details,
no course is created, and media already written are deleted again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipelines.archive import ArchiveEntry, iter_zip, spool
from pipelines.errors import PipelineError, TransientError
from storage.actor import JobActor
from storage.content import packages
from storage.errors import NotFound, Unprocessable
from storage.media.imports import ImportLimits
from storage.media.policy import Rejected, rejection
from storage.media.uploads import Meter, classify, new_media, probe_audio
from storage.models.content import Exercise, Lesson
from storage.models.jobs import Job
from storage.models.media import Media
from storage.objectstore import ObjectStore, ObjectStoreError, ObjectStoreUnavailable
from storage.sniff import SNIFF_BYTES
from storage.tenancy import tenant_select

log = logging.getLogger(__name__)

PACKAGE_NAME = "course.json"
PACKAGE_MAX_BYTES = 10 * 1024 * 1024
CHUNK = 64 * 1024
LESSON_MEDIA_KINDS = ("audio", "video", "image", "document")


@dataclass(frozen=True)
class Author:
    """The staff member (or API key) who submitted the import, as the content services see
    them."""

    organisation_id: str
    user_id: str | None
    role: str = "teacher"

    def is_staff(self) -> bool:
        return True


def prepare_import(session: Session, organisation_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Check an import request in the API; returns the job's input."""
    archive_id, document = data.get("archive_media_id"), data.get("package")
    if (archive_id is None) == (document is None):
        raise Unprocessable("Send archive_media_id or package.", code="import_source")
    if document is not None:
        problems = packages.check_package(document, set())
        if problems:
            raise Unprocessable(
                f"{problems[0]['path']}: {problems[0]['message']}.",
                code="package_invalid",
                details={"problems": problems[:200]},
            )
        return {"package": document}
    media = session.scalars(
        tenant_select(Media, organisation_id).where(Media.id == archive_id)
    ).first()
    if media is None:
        raise NotFound(f"No media with id {archive_id!r}.", code="media_not_found")
    if media.kind != "archive" or media.status != "ready":
        raise Unprocessable(
            "archive_media_id must name a ready zip archive.", code="media_wrong_kind"
        )
    return {"archive_media_id": archive_id}


def run_import(
    session: Session,
    store: ObjectStore,
    job: Job,
    limits: ImportLimits,
    report: Callable[[str, int], None],
) -> dict[str, Any]:
    author = Author(job.organisation_id, job.owner_user_id)
    written: list[str] = []
    try:
        if job.input.get("package") is not None:
            course = _load(session, author, job.input["package"], {}, set())
        else:
            document, stored = _unpack(session, store, job, limits, written, report)
            report("creating", 90)
            course = _load(session, author, document, stored, set(stored))
    except BaseException:
        for key in written:
            try:
                store.delete(key)
            except ObjectStoreError:
                log.warning("content import %s: could not delete %s", job.id, key)
        raise
    count = session.scalar(
        select(func.count()).select_from(Lesson).where(Lesson.course_id == course.id)
    )
    exercises = session.scalar(
        select(func.count()).select_from(Exercise).where(Exercise.course_id == course.id)
    )
    return {
        "course_id": course.id,
        "title": course.title,
        "lessons": count,
        "exercises": exercises,
        "media": len(written),
    }


def _load(
    session: Session, author: Author, document: Any, stored: dict[str, str], names: set[str]
) -> Any:
    # A refusal (AppError) fails the job with its own code: the engine records any
    # PlatformError.
    return packages.load_package(
        session, author, document, media=stored.__getitem__, media_names=names
    )


def _unpack(
    session: Session,
    store: ObjectStore,
    job: Job,
    limits: ImportLimits,
    written: list[str],
    report: Callable[[str, int], None],
) -> tuple[Any, dict[str, str]]:
    media = session.scalars(
        tenant_select(Media, job.organisation_id).where(Media.id == job.input["archive_media_id"])
    ).first()
    if media is None or media.status != "ready":
        raise PipelineError("archive_missing", "The archive media is gone.")
    actor = JobActor(job.organisation_id, job.owner_user_id, job.owner_api_key_id)
    try:
        with store.get(media.object_key) as stream:
            archive = spool(stream, limits.upload.for_kind("archive"))
    except ObjectStoreUnavailable as exc:
        raise TransientError("object_store_unavailable", exc.message) from exc
    document: Any = None
    stored: dict[str, str] = {}
    with archive:
        report("reading", 5)
        for item in iter_zip(archive, limits.archive()):
            if not isinstance(item, ArchiveEntry):
                raise PipelineError(
                    item.code, f"{item.name}: {item.message}", details={"entry": item.name}
                )
            if item.name == PACKAGE_NAME:
                raw = item.file.read(PACKAGE_MAX_BYTES + 1)
                if len(raw) > PACKAGE_MAX_BYTES:
                    raise PipelineError(
                        "package_too_large", f"{PACKAGE_NAME} is over {PACKAGE_MAX_BYTES} bytes."
                    )
                try:
                    document = json.loads(raw)
                except (ValueError, UnicodeDecodeError) as exc:
                    raise PipelineError(
                        "package_not_json", f"{PACKAGE_NAME} is not JSON: {exc}"
                    ) from None
                continue
            stored[item.name] = _store(session, store, actor, job, item, limits, written)
    if document is None:
        raise PipelineError("package_missing", f"The archive has no {PACKAGE_NAME}.")
    return document, stored


def _store(
    session: Session,
    store: ObjectStore,
    actor: JobActor,
    job: Job,
    entry: ArchiveEntry,
    limits: ImportLimits,
    written: list[str],
) -> str:
    head = entry.file.read(SNIFF_BYTES)
    entry.file.seek(0)
    try:
        sniffed, kind = classify(head, entry.name, None, actor)
        if kind not in LESSON_MEDIA_KINDS:
            raise rejection("unsupported_type", f"A lesson cannot carry a {kind} file.")
        limit = limits.upload.for_kind(kind)
        if entry.size > limit:
            raise rejection("file_too_large", f"A {kind} file may be at most {limit} bytes.")
    except Rejected as exc:
        raise PipelineError(
            exc.code, f"{entry.name}: {exc.message}", details={"entry": entry.name}
        ) from None
    media = new_media(actor, kind, entry.name.rsplit("/", 1)[-1], "import")
    media.import_job_id = job.id
    meter = Meter(iter(lambda: entry.file.read(CHUNK), b""), limit)
    try:
        store.put(media.object_key, meter, entry.size, sniffed.content_type)
    except ObjectStoreUnavailable as exc:
        raise TransientError("object_store_unavailable", exc.message) from exc
    written.append(media.object_key)
    try:
        media.duration = probe_audio(kind, entry.file)
    except Rejected as exc:
        raise PipelineError(
            exc.code, f"{entry.name}: {exc.message}", details={"entry": entry.name}
        ) from None
    media.content_type = sniffed.content_type
    media.size, media.sha256, media.status = meter.size, meter.sha256, "ready"
    session.add(media)
    session.flush()
    return media.id
