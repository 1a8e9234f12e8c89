"""Teachers' bulk import: files from a zip (or media already uploaded) plus a CSV manifest
become stored media attached to vocabulary words.

`prepare_import` checks a request in the API; `run_import` does the work in the `media`
worker. A bad item never stops the others: it becomes an item of the report with a code.
Only an unusable archive or manifest fails the whole job.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from core.limits import UploadLimits
from core.settings import Settings
from pipelines.archive import ArchiveEntry, ArchiveLimits, entry_count, iter_zip, spool
from pipelines.errors import PipelineError, TransientError
from pipelines.manifest import Manifest, ManifestRow, parse_manifest
from storage.actor import Actor, JobActor
from storage.errors import AppError, NotFound, Unprocessable
from storage.media.policy import WORD_MEDIA_KINDS, Rejected, rejection
from storage.media.uploads import Meter, classify, new_media, probe_audio
from storage.media.words import attach_to_word
from storage.models.jobs import Job
from storage.models.media import Media
from storage.objectstore import ObjectStore, ObjectStoreError, ObjectStoreUnavailable
from storage.sniff import SNIFF_BYTES
from storage.tenancy import tenant_select

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.csv"
MANIFEST_MAX_BYTES = 5 * 1024 * 1024
MAX_MEDIA_IDS = 1000
CHUNK = 64 * 1024
MANIFEST_TYPES = ("text/csv", "text/plain")


def prepare_import(session: Session, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """Check what an import request names and return the job's input."""
    archive_id = data.get("archive_media_id")
    media_ids = list(dict.fromkeys(data.get("media_ids") or []))
    manifest_id = data.get("manifest_media_id")
    if bool(archive_id) == bool(media_ids):
        raise Unprocessable("Send either archive_media_id or media_ids.", code="import_source")
    if media_ids and not manifest_id:
        raise Unprocessable(
            "Importing uploaded media needs manifest_media_id.", code="manifest_missing"
        )
    if len(media_ids) > MAX_MEDIA_IDS:
        raise Unprocessable(f"At most {MAX_MEDIA_IDS} media per import.", code="too_many_media")
    if archive_id:
        _ready(session, actor, archive_id, ("archive",))
    if manifest_id:
        manifest = _ready(session, actor, manifest_id, ("document",))
        if manifest.content_type not in MANIFEST_TYPES:
            raise Unprocessable("The manifest must be a CSV file.", code="manifest_not_csv")
    if media_ids:
        found = set(
            session.scalars(
                tenant_select(Media, actor.organisation_id)
                .where(Media.id.in_(media_ids))
                .with_only_columns(Media.id)
            )
        )
        missing = [media_id for media_id in media_ids if media_id not in found]
        if missing:
            raise NotFound(
                f"No media with id {missing[0]!r}.",
                code="media_not_found",
                details={"media_ids": missing},
            )
    return {
        "archive_media_id": archive_id,
        "media_ids": media_ids,
        "manifest_media_id": manifest_id,
        "language": data.get("language"),
        "group": data.get("group"),
    }


def _ready(session: Session, actor: Actor, media_id: str, kinds: tuple[str, ...]) -> Media:
    media = session.scalars(
        tenant_select(Media, actor.organisation_id).where(Media.id == media_id)
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


@dataclass
class ImportLimits:
    max_entries: int = 5000
    max_entry_bytes: int = 100 * 1024 * 1024
    max_total_bytes: int = 1024 * 1024 * 1024
    upload: UploadLimits = field(default_factory=UploadLimits)

    @classmethod
    def from_settings(cls, settings: Settings) -> ImportLimits:
        """The limits an import job runs under, as configured."""
        return cls(
            max_entries=settings.import_max_entries,
            max_entry_bytes=settings.import_max_entry_bytes,
            max_total_bytes=settings.import_max_total_bytes,
            upload=settings.upload_limits,
        )

    def archive(self) -> ArchiveLimits:
        return ArchiveLimits(
            max_archive_bytes=self.upload.for_kind("archive"),
            max_entries=self.max_entries,
            max_entry_bytes=self.max_entry_bytes,
            max_total_bytes=self.max_total_bytes,
        )


@dataclass
class _Run:
    session: Session
    store: ObjectStore
    job: Job
    actor: Actor
    limits: ImportLimits
    language: str | None
    group: str | None
    items: list[dict[str, Any]] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    words_created: int = 0
    words_updated: int = 0

    def error(self, name: str, code: str, message: str, **extra: Any) -> None:
        self.items.append(
            {"name": name, "status": "error", "error": {"code": code, "message": message}, **extra}
        )


Report = Callable[[str, int], None]


def run_import(
    session: Session, store: ObjectStore, job: Job, limits: ImportLimits, report: Report
) -> dict[str, Any]:
    """Do the import a job describes; the caller commits the rows with the job's result.

    Objects written before a failure (or a cancel) are deleted again, so a job that does
    not succeed leaves nothing behind.
    """
    actor = JobActor(job.organisation_id, job.owner_user_id, job.owner_api_key_id)
    inp = job.input
    run = _Run(session, store, job, actor, limits, inp.get("language"), inp.get("group"))
    try:
        report("reading", 2)
        manifest = (
            _load_manifest(run, inp["manifest_media_id"]) if inp.get("manifest_media_id") else None
        )
        if inp.get("archive_media_id"):
            _import_archive(run, inp["archive_media_id"], manifest, report)
        else:
            _import_media(run, inp.get("media_ids") or [], manifest, report)
    except BaseException:
        _forget(run)
        raise
    return _result(run)


def _forget(run: _Run) -> None:
    for key in run.written:
        try:
            run.store.delete(key)
        except ObjectStoreError:
            log.warning("import %s: could not delete %s", run.job.id, key, exc_info=True)


def _result(run: _Run) -> dict[str, Any]:
    statuses = [item["status"] for item in run.items]
    return {
        "items": run.items,
        "counts": {
            "items": len(run.items),
            "stored": statuses.count("stored"),
            "linked": statuses.count("linked"),
            "errors": statuses.count("error"),
            "words_created": run.words_created,
            "words_updated": run.words_updated,
        },
    }


def _media_row(run: _Run, media_id: str) -> Media | None:
    return run.session.scalars(
        tenant_select(Media, run.actor.organisation_id).where(Media.id == media_id)
    ).first()


def _read_object(run: _Run, media: Media, limit: int) -> bytes:
    with _store_errors(), run.store.get(media.object_key) as stream:
        data = stream.read(limit + 1)
    return data


@contextlib.contextmanager
def _store_errors() -> Iterator[None]:
    """An unreachable store is worth retrying; the engine retries TransientError."""
    try:
        yield
    except ObjectStoreUnavailable as exc:
        raise TransientError("object_store_unavailable", exc.message) from exc


def _load_manifest(run: _Run, media_id: str) -> Manifest:
    media = _media_row(run, media_id)
    if media is None or media.status != "ready":
        raise PipelineError("manifest_missing", f"The manifest media {media_id!r} is gone.")
    data = _read_object(run, media, MANIFEST_MAX_BYTES)
    return parse_manifest(data, max_bytes=MANIFEST_MAX_BYTES)


def _import_archive(run: _Run, media_id: str, manifest: Manifest | None, report: Report) -> None:
    media = _media_row(run, media_id)
    if media is None or media.status != "ready":
        raise PipelineError("archive_missing", f"The archive media {media_id!r} is gone.")
    with _store_errors(), run.store.get(media.object_key) as stream:
        archive = spool(stream, run.limits.upload.for_kind("archive"))
    with archive:
        limits = run.limits.archive()
        if manifest is None:
            manifest = _manifest_in_archive(archive, limits)
        total = max(1, entry_count(archive, limits.max_entries))
        matched: set[str] = set()
        progress = _Progress(report, total)
        for item in iter_zip(archive, limits):
            progress.step()
            if isinstance(item, ArchiveEntry):
                if item.name == MANIFEST_NAME:
                    continue
                row = manifest.find(item.name)
                if row is None:
                    run.error(item.name, "not_in_manifest", "No manifest row names this file.")
                    continue
                matched.add(row.filename)
                _store_entry(run, item, row)
            else:
                # The file is there but refused: its row is answered by this error.
                row = manifest.find(item.name)
                if row is not None:
                    matched.add(row.filename)
                run.error(item.name, item.code, item.message)
    _unmatched_rows(run, manifest, matched)


def _manifest_in_archive(archive: Any, limits: ArchiveLimits) -> Manifest:
    for item in iter_zip(archive, limits, include=lambda name: name == MANIFEST_NAME):
        if isinstance(item, ArchiveEntry):
            return parse_manifest(
                item.file.read(MANIFEST_MAX_BYTES + 1), max_bytes=MANIFEST_MAX_BYTES
            )
        raise PipelineError(item.code, f"{MANIFEST_NAME}: {item.message}")
    raise PipelineError(
        "manifest_missing", f"Add {MANIFEST_NAME} to the archive or send manifest_media_id."
    )


class _Progress:
    """Reports progress per item, but writes only when the percentage moves."""

    def __init__(self, report: Report, total: int) -> None:
        self.report, self.total, self.done, self.last = report, total, 0, -1

    def step(self) -> None:
        self.done += 1
        percent = 5 + int(90 * self.done / self.total)
        if percent != self.last:
            self.last = percent
            self.report("importing", min(percent, 95))


def _unmatched_rows(run: _Run, manifest: Manifest, matched: set[str]) -> None:
    for issue in manifest.issues:
        run.error(
            issue.filename or f"line {issue.line}", issue.code, issue.message, line=issue.line
        )
    for row in manifest.rows:
        if row.filename not in matched:
            run.error(
                row.filename,
                "file_missing",
                "The manifest names a file that is not there.",
                line=row.line,
            )


def _store_entry(run: _Run, entry: ArchiveEntry, row: ManifestRow) -> None:
    language = row.language or run.language
    if not language:
        run.error(
            entry.name,
            "language_missing",
            "The row has no language and the import no default language.",
            line=row.line,
        )
        return
    head = entry.file.read(SNIFF_BYTES)
    entry.file.seek(0)
    try:
        sniffed, kind = classify(head, entry.name, row.kind, run.actor)
        if kind not in WORD_MEDIA_KINDS:
            raise rejection("unsupported_type", f"A word cannot carry a {kind} file.")
        limit = run.limits.upload.for_kind(kind)
        if entry.size > limit:
            raise rejection("file_too_large", f"A {kind} file may be at most {limit} bytes.")
    except Rejected as exc:
        run.error(entry.name, exc.code, exc.message, line=row.line)
        return
    media = new_media(run.actor, kind, entry.name.rsplit("/", 1)[-1], "import")
    media.import_job_id = run.job.id
    meter = Meter(iter(lambda: entry.file.read(CHUNK), b""), limit)
    with _store_errors():
        run.store.put(media.object_key, meter, entry.size, sniffed.content_type)
    run.written.append(media.object_key)
    try:
        media.duration = probe_audio(kind, entry.file)
    except Rejected as exc:
        run.store.delete(media.object_key)
        run.written.remove(media.object_key)
        run.error(entry.name, exc.code, exc.message, line=row.line)
        return
    media.content_type = sniffed.content_type
    media.size, media.sha256, media.status = meter.size, meter.sha256, "ready"
    _attach(run, entry.name, media, row, language, "stored", fresh=True)


def _attach(
    run: _Run, name: str, media: Media, row: ManifestRow, language: str, status: str, fresh: bool
) -> None:
    # A savepoint per item: a database error on one word undoes that item only.
    try:
        with run.session.begin_nested():
            if fresh:
                run.session.add(media)
            word, created = attach_to_word(
                run.session,
                run.actor.organisation_id,
                run.job.owner_user_id,
                language,
                row,
                media.id,
                row.group or run.group,
            )
    except AppError as exc:
        if fresh:
            run.store.delete(media.object_key)
            run.written.remove(media.object_key)
        run.error(name, exc.code, exc.message, line=row.line)
        return
    run.words_created += created
    run.words_updated += not created
    run.items.append(
        {"name": name, "status": status, "media_id": media.id, "word_id": word.id, "line": row.line}
    )


def _import_media(
    run: _Run, media_ids: list[str], manifest: Manifest | None, report: Report
) -> None:
    if manifest is None:
        raise PipelineError("manifest_missing", "Importing uploaded media needs a manifest.")
    progress = _Progress(report, max(1, len(media_ids)))
    matched: set[str] = set()
    for media_id in media_ids:
        progress.step()
        media = _media_row(run, media_id)
        if media is None:
            run.error(media_id, "media_not_found", "The media no longer exists.")
            continue
        row = manifest.find(media.filename)
        if row is None:
            run.error(
                media.filename,
                "not_in_manifest",
                "No manifest row names this file.",
                media_id=media.id,
            )
            continue
        matched.add(row.filename)
        problem = _linkable(media, row)
        language = row.language or run.language
        if problem is None and not language:
            problem = ("language_missing", "The row has no language and the import no default.")
        if problem is not None:
            run.error(media.filename, *problem, media_id=media.id, line=row.line)
            continue
        _attach(run, media.filename, media, row, language or "", "linked", fresh=False)
    _unmatched_rows(run, manifest, matched)


def _linkable(media: Media, row: ManifestRow) -> tuple[str, str] | None:
    if media.status != "ready":
        return "media_not_ready", f"The media is {media.status}."
    if media.kind not in WORD_MEDIA_KINDS:
        return "unsupported_type", f"A word cannot carry a {media.kind} file."
    if row.kind and row.kind != media.kind:
        return "kind_mismatch", f"The manifest says {row.kind}; the file is {media.kind}."
    return None
