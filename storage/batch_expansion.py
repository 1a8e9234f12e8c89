"""The expand job of a batch: its source (a zip, uploaded recordings, a CSV of texts)
becomes items, each mapped to a learner of the class and given its own assessment job.

Runs in the `media` worker. The zip is read with the bulk-import safety rules
(pipelines.archive); a recording is stored as the learner's media; `new_job` creates each
job (the caller enqueues after commit). A bad item becomes an `error` item with a code and
the others go on; only an unusable source fails the batch.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.limits import UploadLimits
from pipelines.archive import ArchiveEntry, ArchiveLimits, entry_count, iter_zip, spool
from pipelines.batches import (
    Sheet,
    SheetIssue,
    compile_pattern,
    learner_from_name,
    parse_batch_manifest,
    parse_text_sheet,
)
from pipelines.errors import PipelineError, TransientError
from storage.actor import LEARNER, JobActor
from storage.batches import JOB_TYPES, SPEECH_KINDS, complete_batch
from storage.classes import class_learner_ids
from storage.media.policy import Rejected, rejection
from storage.media.uploads import Meter, classify, new_media, probe_audio
from storage.models.batches import Batch, BatchItem
from storage.models.classes import Assignment
from storage.models.identity import User
from storage.models.jobs import Job
from storage.models.media import Media
from storage.objectstore import ObjectStore, ObjectStoreUnavailable
from storage.sniff import SNIFF_BYTES
from storage.tenancy import get_owned, tenant_select

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.csv"
SHEET_MAX_BYTES = 20 * 1024 * 1024
CHUNK = 64 * 1024

NewJob = Callable[[str, dict[str, Any]], Job]
Report = Callable[[str, int], None]


@dataclass
class BatchLimits:
    archive: ArchiveLimits = field(default_factory=ArchiveLimits)
    upload: UploadLimits = field(default_factory=UploadLimits)
    max_audio_seconds: float = 300
    max_text_chars: int = 10_000


@dataclass
class _Run:
    session: Session
    store: ObjectStore
    batch: Batch
    assignment: Assignment
    teacher: JobActor
    limits: BatchLimits
    new_job: NewJob
    learners: dict[str, str]  # email (lower case) or external id -> user id
    in_class: set[str]
    written: list[str] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)
    jobs: int = 0

    def error(
        self,
        name: str,
        code: str,
        message: str,
        line: int | None = None,
        learner_id: str | None = None,
    ) -> None:
        self.session.add(
            BatchItem(
                batch_id=self.batch.id,
                name=name[:1024],
                line=line,
                learner_id=learner_id,
                error_code=code,
                error_message=message,
            )
        )

    def learner(self, name: str, key: str | None, line: int | None) -> str | None:
        if not key:
            self.error(
                name,
                "learner_missing",
                "No manifest row or pattern names the learner of this file.",
                line,
            )
            return None
        user_id = self.learners.get(key.lower()) or self.learners.get(key)
        if user_id is None:
            self.error(name, "learner_unknown", f"No learner {key!r} in the organisation.", line)
            return None
        if user_id not in self.in_class:
            self.error(
                name, "learner_not_in_class", f"{key} is not a learner of the class.", line, user_id
            )
            return None
        return user_id


def expand_batch(
    session: Session,
    store: ObjectStore,
    job: Job,
    limits: BatchLimits,
    new_job: NewJob,
    report: Report,
) -> dict[str, Any]:
    """Turn a batch's source into items and jobs; the caller commits (and then enqueues)."""
    batch = get_owned(session, Batch, job.input["batch_id"], job.organisation_id, what="batch")
    assignment = session.get(Assignment, batch.assignment_id)
    if assignment is None:
        raise PipelineError("assignment_missing", "The assignment was deleted.")
    users = session.execute(
        tenant_select(User, job.organisation_id).with_only_columns(
            User.id, User.email, User.external_id
        )
    )
    learners: dict[str, str] = {}
    for user_id, email, external_id in users:
        learners[email.lower()] = user_id
        if external_id:
            learners[external_id] = user_id
    teacher = JobActor(job.organisation_id, job.owner_user_id)
    run = _Run(
        session,
        store,
        batch,
        assignment,
        teacher,
        limits,
        new_job,
        learners,
        class_learner_ids(session, assignment.class_id),
    )
    source = batch.source
    try:
        if source.get("texts_media_id"):
            _expand_texts(run, source["texts_media_id"])
        else:
            sheet = (
                _load_sheet(run, source["manifest_media_id"], parse_batch_manifest)
                if source.get("manifest_media_id")
                else None
            )
            if source.get("archive_media_id"):
                _expand_archive(run, source["archive_media_id"], sheet, report)
            else:
                _expand_media(run, source.get("media_ids") or [], sheet)
    except BaseException:
        _forget(run)
        raise
    session.flush()
    batch.item_count = (
        session.scalar(select(func.count()).where(BatchItem.batch_id == batch.id)) or 0
    )
    batch.status = "running" if run.jobs else "completed"
    if not run.jobs:
        complete_batch(session, batch)
    return {"batch_id": batch.id, "items": batch.item_count, "jobs": run.jobs}


def _forget(run: _Run) -> None:
    for key in run.written:
        try:
            run.store.delete(key)
        except Exception:
            log.warning("batch %s: could not delete %s", run.batch.id, key, exc_info=True)


def _read(run: _Run, media_id: str, limit: int) -> bytes:
    media = run.session.scalars(
        tenant_select(Media, run.batch.organisation_id).where(Media.id == media_id)
    ).first()
    if media is None or media.status != "ready":
        raise PipelineError("source_missing", f"The media {media_id!r} is gone.")
    try:
        with run.store.get(media.object_key) as stream:
            return stream.read(limit + 1)
    except ObjectStoreUnavailable as exc:
        raise TransientError("object_store_unavailable", exc.message) from exc


def _load_sheet(run: _Run, media_id: str, parse: Callable[..., Sheet]) -> Sheet:
    return parse(_read(run, media_id, SHEET_MAX_BYTES), max_bytes=SHEET_MAX_BYTES)


def _mapper(run: _Run, sheet: Sheet | None) -> Callable[[str], tuple[str | None, int | None]]:
    pattern = run.batch.source.get("filename_pattern")
    compiled = compile_pattern(pattern) if pattern else None

    def learner_key(name: str) -> tuple[str | None, int | None]:
        if sheet is not None:
            row = sheet.find(name)
            return (row.learner, row.line) if row else (None, None)
        return (learner_from_name(compiled, name) if compiled else None), None

    return learner_key


def _sheet_issues(run: _Run, sheet: Sheet | None, matched: set[int]) -> None:
    if sheet is None:
        return
    for issue in sheet.issues:
        run.error(issue.name, issue.code, issue.message, issue.line)
    for row in sheet.rows:
        if row.line not in matched:
            run.error(
                row.filename or f"line {row.line}",
                "file_missing",
                "The manifest names a file that is not there.",
                row.line,
            )


def _expand_archive(run: _Run, media_id: str, sheet: Sheet | None, report: Report) -> None:
    media = run.session.get(Media, media_id)
    if media is None:
        raise PipelineError("source_missing", f"The media {media_id!r} is gone.")
    try:
        with run.store.get(media.object_key) as stream:
            archive = spool(stream, run.limits.archive.max_archive_bytes)
    except ObjectStoreUnavailable as exc:
        raise TransientError("object_store_unavailable", exc.message) from exc
    with archive:
        if sheet is None and not run.batch.source.get("filename_pattern"):
            for item in iter_zip(
                archive, run.limits.archive, include=lambda name: name == MANIFEST_NAME
            ):
                if not isinstance(item, ArchiveEntry):
                    raise PipelineError(item.code, f"{MANIFEST_NAME}: {item.message}")
                sheet = parse_batch_manifest(
                    item.file.read(SHEET_MAX_BYTES + 1), max_bytes=SHEET_MAX_BYTES
                )
            if sheet is None:
                raise PipelineError(
                    "manifest_missing",
                    f"Add {MANIFEST_NAME} to the archive, "
                    "or send manifest_media_id or filename_pattern.",
                )
        key_of = _mapper(run, sheet)
        total, done, matched = max(1, entry_count(archive)), 0, set()
        for item in iter_zip(archive, run.limits.archive):
            done += 1
            report("expanding", min(95, 5 + int(90 * done / total)))
            if item.name == MANIFEST_NAME:
                continue
            key, line = key_of(item.name)
            if line is not None:
                matched.add(line)
            if not isinstance(item, ArchiveEntry):
                run.error(item.name, item.code, item.message, line)
                continue
            learner_id = run.learner(item.name, key, line)
            if learner_id is not None:
                _store_recording(run, item, learner_id, line)
    _sheet_issues(run, sheet, matched)


def _store_recording(run: _Run, entry: ArchiveEntry, learner_id: str, line: int | None) -> None:
    head = entry.file.read(SNIFF_BYTES)
    entry.file.seek(0)
    try:
        sniffed, kind = classify(head, entry.name, None, run.teacher)
        if kind not in SPEECH_KINDS:
            raise rejection(
                "not_a_recording", f"The file is {sniffed.content_type}, not a recording."
            )
        limit = run.limits.upload.for_kind(kind)
        if entry.size > limit:
            raise rejection("file_too_large", f"A {kind} file may be at most {limit} bytes.")
    except Rejected as exc:
        run.error(entry.name, exc.code, exc.message, line, learner_id)
        return
    digest = hashlib.sha256()
    for chunk in iter(lambda: entry.file.read(CHUNK), b""):
        digest.update(chunk)
    entry.file.seek(0)
    if digest.hexdigest() in run.hashes:
        run.error(
            entry.name,
            "duplicate_file",
            f"The same recording as {run.hashes[digest.hexdigest()]}.",
            line,
            learner_id,
        )
        return
    run.hashes[digest.hexdigest()] = entry.name
    learner = JobActor(run.batch.organisation_id, learner_id, role=LEARNER)
    media = new_media(learner, kind, entry.name.rsplit("/", 1)[-1], "import")
    media.import_job_id = run.batch.expand_job_id
    try:
        media.duration = probe_audio(kind, entry.file)
    except Rejected as exc:
        run.error(entry.name, exc.code, exc.message, line, learner_id)
        return
    entry.file.seek(0)
    if media.duration is not None and media.duration > run.limits.max_audio_seconds + 0.5:
        run.error(
            entry.name,
            "audio_too_long",
            f"The recording lasts {media.duration:.1f} s; "
            f"the maximum is {run.limits.max_audio_seconds:g} s.",
            line,
            learner_id,
        )
        return
    meter = Meter(iter(lambda: entry.file.read(CHUNK), b""), limit)
    try:
        run.store.put(media.object_key, meter, entry.size, sniffed.content_type)
    except ObjectStoreUnavailable as exc:
        raise TransientError("object_store_unavailable", exc.message) from exc
    run.written.append(media.object_key)
    media.content_type, media.size, media.sha256 = sniffed.content_type, meter.size, meter.sha256
    media.status = "ready"
    run.session.add(media)
    run.session.flush()
    _item_job(run, entry.name, line, learner_id, media.id)


def _speaking_input(assignment: Assignment, media_id: str) -> dict[str, Any]:
    return {
        "media_id": media_id,
        "language": assignment.language,
        "prompt_id": assignment.prompt_id,
        "prompt_text": assignment.prompt_text,
        "reference_text": assignment.reference_text,
    }


def _item_job(
    run: _Run,
    name: str,
    line: int | None,
    learner_id: str,
    media_id: str | None = None,
    text: str | None = None,
) -> None:
    assignment = run.assignment
    if assignment.kind == "speaking":
        given = _speaking_input(assignment, media_id or "")
    else:
        given = {"text": text, "language": assignment.language, "task": assignment.prompt_text}
    given.update(learner_id=learner_id, batch_id=run.batch.id, assignment_id=assignment.id)
    job = run.new_job(JOB_TYPES[assignment.kind], given)
    run.session.add(
        BatchItem(
            batch_id=run.batch.id,
            name=name[:1024],
            line=line,
            learner_id=learner_id,
            media_id=media_id,
            job_id=job.id,
        )
    )
    run.jobs += 1


def _expand_media(run: _Run, media_ids: list[str], sheet: Sheet | None) -> None:
    key_of, matched = _mapper(run, sheet), set()
    for media_id in media_ids:
        media = run.session.scalars(
            tenant_select(Media, run.batch.organisation_id).where(Media.id == media_id)
        ).first()
        if media is None or media.status != "ready" or media.kind not in SPEECH_KINDS:
            run.error(
                media_id, "media_not_ready", "The media is gone, not ready or not a recording."
            )
            continue
        key, line = key_of(media.filename)
        if line is not None:
            matched.add(line)
        learner_id = run.learner(media.filename, key, line)
        if learner_id is None:
            continue
        if media.duration is not None and media.duration > run.limits.max_audio_seconds + 0.5:
            run.error(
                media.filename, "audio_too_long", "The recording is too long.", line, learner_id
            )
            continue
        _item_job(run, media.filename, line, learner_id, media.id)
    _sheet_issues(run, sheet, matched)


def _expand_texts(run: _Run, media_id: str) -> None:
    sheet = _load_sheet(run, media_id, parse_text_sheet)
    # Items in the sheet's order, bad rows where they stand.
    for row in sorted([*sheet.rows, *sheet.issues], key=lambda r: r.line):
        if isinstance(row, SheetIssue):
            run.error(row.name, row.code, row.message, row.line)
            continue
        name = row.filename or f"line {row.line}"
        learner_id = run.learner(name, row.learner, row.line)
        if learner_id is None:
            continue
        if len(row.text or "") > run.limits.max_text_chars:
            run.error(
                name,
                "text_too_long",
                f"The text has over {run.limits.max_text_chars} characters.",
                row.line,
                learner_id,
            )
            continue
        _item_job(run, name, row.line, learner_id, text=row.text)
