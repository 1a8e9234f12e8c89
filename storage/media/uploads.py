"""Getting bytes in: a streamed upload through the API, a presigned PUT, or a presigned
multipart upload (Uppy's S3 multipart callbacks), each checked from its own bytes."""

from __future__ import annotations

import hashlib
import itertools
import logging
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from typing import IO

from sqlalchemy.orm import Session

from core.limits import UploadLimits
from pipelines.errors import PipelineError
from pipelines.mediaprobe import probe_duration
from storage.errors import Conflict
from storage.ids import new_id
from storage.media.policy import (
    Actor,
    Rejected,
    check_may_change,
    check_may_upload,
    get_visible,
    rejection,
)
from storage.models.media import Media
from storage.objectstore import (
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    ObjectStoreError,
    Part,
    UploadClosed,
)
from storage.objectstore.keys import incoming_key, media_key
from storage.sniff import SNIFF_BYTES, Sniffed, accepts, sniff

log = logging.getLogger(__name__)
PROBE_SPOOL_BYTES = 4 * 1024 * 1024


class Meter:
    """Passes chunks through while counting, hashing and enforcing a size limit; can copy
    them to a file for probing. Raising inside the store's read stops the upload cleanly."""

    def __init__(self, chunks: Iterable[bytes], limit: int, copy_to: IO[bytes] | None = None):
        self._chunks = chunks
        self.limit = limit
        self.copy_to = copy_to
        self.size = 0
        self._sha256 = hashlib.sha256()

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            if not chunk:
                continue
            self.size += len(chunk)
            if self.size > self.limit:
                raise rejection("file_too_large", f"The file is larger than {self.limit} bytes.")
            self._sha256.update(chunk)
            if self.copy_to is not None:
                self.copy_to.write(chunk)
            yield chunk

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()


def _peek(chunks: Iterable[bytes], size: int) -> tuple[bytes, Iterator[bytes]]:
    """The first `size` bytes (or all, if fewer) and an iterator over the rest."""
    iterator = iter(chunks)
    head = bytearray()
    for chunk in iterator:
        head += chunk
        if len(head) >= size:
            break
    return bytes(head), iterator


def classify(
    head: bytes, filename: str | None, requested_kind: str | None, actor: Actor
) -> tuple[Sniffed, str]:
    """The sniffed type and the kind to store it as; raises a rejection or Forbidden."""
    if not actor.is_staff() and requested_kind is None:
        requested_kind = "audio"  # a learner's upload is their speech
    if not head:
        raise rejection("empty_file", "The file is empty.")
    sniffed = sniff(head[:SNIFF_BYTES], filename)
    if sniffed is None:
        raise rejection("unsupported_type", "The file's content is not a supported format.")
    kind = requested_kind or sniffed.kind
    if not accepts(sniffed, kind):
        raise rejection(
            "kind_mismatch", f"The file's content is {sniffed.content_type}, not {kind}."
        )
    check_may_upload(actor, kind)
    return sniffed, kind


def probe_audio(kind: str, copy: IO[bytes] | None) -> float | None:
    if kind != "audio" or copy is None:
        return None
    try:
        return probe_duration(copy)  # type: ignore[arg-type]
    except PipelineError as exc:
        raise rejection(exc.code, exc.message) from None


def display_name(filename: str | None) -> str:
    """The name a file is shown and downloaded under: control characters (a NUL, a newline)
    are dropped, since no tool downstream (a path, a header, a log) can carry them, and a
    lone surrogate (no text) becomes U+FFFD."""
    kept = []
    for ch in filename or "":
        category = unicodedata.category(ch)
        if category == "Cs":
            kept.append("\ufffd")
        elif category[0] != "C":
            kept.append(ch)
    return "".join(kept).strip()[:255] or "file"


def new_media(actor: Actor, kind: str, filename: str, source: str) -> Media:
    media_id = new_id("med")
    name = display_name(filename)
    return Media(
        id=media_id,
        organisation_id=actor.organisation_id,
        owner_user_id=actor.user_id,
        owner_api_key_id=actor.api_key_id,
        kind=kind,
        filename=name,
        object_key=media_key(actor.organisation_id, media_id, name),
        source=source,
        visibility="organisation" if actor.is_staff() else "private",
        status="pending",
    )


def create_from_stream(
    session: Session,
    store: ObjectStore,
    actor: Actor,
    filename: str,
    chunks: Iterable[bytes],
    requested_kind: str | None,
    limits: UploadLimits,
    after_body: Callable[[], None] | None = None,
) -> Media:
    """Store a file arriving in chunks, hashing it on the way; nothing is kept on failure.

    `after_body` runs once the body is stored (the API checks the rest of its form there).
    """
    head, rest = _peek(chunks, SNIFF_BYTES)
    sniffed, kind = classify(head, filename, requested_kind, actor)
    media = new_media(actor, kind, filename, "upload")
    copy = tempfile.SpooledTemporaryFile(PROBE_SPOOL_BYTES) if kind == "audio" else None
    meter = Meter(itertools.chain([head], rest), limits.for_kind(kind), copy)
    try:
        store.put(media.object_key, meter, None, sniffed.content_type)
        try:
            if after_body is not None:
                after_body()
            media.duration = probe_audio(kind, copy)
        except BaseException:
            store.delete(media.object_key)
            raise
    finally:
        if copy is not None:
            copy.close()
    media.content_type = sniffed.content_type
    media.size, media.sha256, media.status = meter.size, meter.sha256, "ready"
    session.add(media)
    session.flush()
    return media


def create_presigned(
    session: Session,
    store: ObjectStore,
    actor: Actor,
    filename: str,
    kind: str,
    size: int | None,
    content_type: str | None,
    limits: UploadLimits,
    expires: int,
    multipart: bool = False,
) -> tuple[Media, str | None]:
    """A pending media row and either a presigned PUT URL or a multipart upload id."""
    check_may_upload(actor, kind)
    limit = limits.for_kind(kind)
    if size is not None and size > limit:
        raise rejection("file_too_large", f"A {kind} file may be at most {limit} bytes.")
    media = new_media(actor, kind, filename, "multipart" if multipart else "presigned")
    if multipart:
        media.upload_id = store.create_multipart(
            media.object_key, content_type or "application/octet-stream"
        )
        url = None
    else:
        url = store.presign_put(incoming_key(media.object_key), expires, content_type)
    session.add(media)
    session.flush()
    return media, url


def check_upload_open(session: Session, key: str, op: str, upload_id: str | None) -> None:
    """A signed PUT (or part) URL writes only while its media row is a pending upload of its
    kind: once the upload is completed, refused or deleted, the URL is dead although its
    signature has not expired. (S3's own presigned URLs cannot be revoked; this binds the
    local backend's, and the completed object is never re-read from a URL after.)"""
    parts = key.split("/")
    media = None
    if len(parts) >= 4 and parts[0] == "orgs" and parts[2] == "media":
        media = session.get(Media, parts[3])
    source = "multipart" if op == "part" else "presigned"
    expected = None
    if media is not None:
        expected = media.object_key if op == "part" else incoming_key(media.object_key)
    if (
        media is None
        or key != expected
        or media.status != "pending"
        or media.source != source
        or (op == "part" and media.upload_id != upload_id)
    ):
        raise UploadClosed("This upload URL is closed: its media is no longer a pending upload.")


def pending_upload(session: Session, actor: Actor, media_id: str, source: str) -> Media:
    media = get_visible(session, actor, media_id, for_update=True)
    check_may_change(actor, media)
    if media.status != "pending" or media.source != source:
        raise Conflict(
            f"The media is {media.status}, not a pending {source} upload.",
            code="media_not_pending",
        )
    return media


def complete_presigned(
    session: Session, store: ObjectStore, actor: Actor, media_id: str, limits: UploadLimits
) -> Media:
    """Check the object a client PUT to its presigned URL and mark the media ready or
    rejected (the caller commits, then answers with `raise_if_rejected`)."""
    media = pending_upload(session, actor, media_id, "presigned")
    incoming = incoming_key(media.object_key)
    try:
        info = store.copy(incoming, media.object_key)
    except ObjectNotFound:
        try:
            # An upload whose URL was signed before uploads went to the incoming key.
            info = store.stat(media.object_key)
        except ObjectNotFound:
            raise Conflict(
                "Nothing has been uploaded to the presigned URL yet.", code="upload_missing"
            ) from None
    else:
        delete_quietly(store, incoming)
    return verify_stored(session, store, media, info, limits)


def delete_quietly(store: ObjectStore, key: str) -> None:
    try:
        store.delete(key)
    except ObjectStoreError:  # only wasted space: the row never points at it
        log.warning("could not delete %s", key, exc_info=True)


def sign_part(
    session: Session,
    store: ObjectStore,
    actor: Actor,
    media_id: str,
    part_number: int,
    expires: int,
) -> str:
    media = pending_upload(session, actor, media_id, "multipart")
    return store.presign_part(media.object_key, media.upload_id or "", part_number, expires)


def list_parts(session: Session, store: ObjectStore, actor: Actor, media_id: str) -> list[Part]:
    media = pending_upload(session, actor, media_id, "multipart")
    return store.list_parts(media.object_key, media.upload_id or "")


def complete_multipart(
    session: Session,
    store: ObjectStore,
    actor: Actor,
    media_id: str,
    parts: list[Part],
    limits: UploadLimits,
) -> Media:
    media = pending_upload(session, actor, media_id, "multipart")
    info = store.complete_multipart(media.object_key, media.upload_id or "", parts)
    media.upload_id = None
    return verify_stored(session, store, media, info, limits)


def abort_multipart(session: Session, store: ObjectStore, actor: Actor, media_id: str) -> None:
    media = pending_upload(session, actor, media_id, "multipart")
    try:
        store.abort_multipart(media.object_key, media.upload_id or "")
    except ObjectNotFound:
        pass  # already gone: aborting twice is not an error
    session.delete(media)
    session.flush()


def verify_stored(
    session: Session, store: ObjectStore, media: Media, info: ObjectInfo, limits: UploadLimits
) -> Media:
    """Decide from the stored bytes: size, type from the first bytes, sha256, duration."""
    limit = limits.for_kind(media.kind)
    try:
        if info.size == 0:
            raise rejection("empty_file", "The uploaded file is empty.")
        if info.size > limit:
            raise rejection("file_too_large", f"A {media.kind} file may be at most {limit} bytes.")
        with store.get(media.object_key, 0, SNIFF_BYTES - 1) as stream:
            head = stream.read()
        sniffed = sniff(head, media.filename)
        if sniffed is None:
            raise rejection("unsupported_type", "The file's content is not a supported format.")
        if not accepts(sniffed, media.kind):
            raise rejection(
                "kind_mismatch", f"The file's content is {sniffed.content_type}, not {media.kind}."
            )
        copy = tempfile.SpooledTemporaryFile(PROBE_SPOOL_BYTES) if media.kind == "audio" else None
        try:
            with store.get(media.object_key) as stream:
                meter = Meter(stream, limit, copy)
                for _chunk in meter:
                    pass
            media.duration = probe_audio(media.kind, copy)
        finally:
            if copy is not None:
                copy.close()
    except Rejected as exc:
        _reject(store, media, exc.code, exc.message)
        session.flush()
        return media
    media.content_type = sniffed.content_type
    media.size, media.sha256, media.status = meter.size, meter.sha256, "ready"
    media.error_code = media.error_message = None
    session.flush()
    return media


def _reject(store: ObjectStore, media: Media, code: str, message: str) -> None:
    media.status, media.error_code, media.error_message = "rejected", code, message
    try:
        store.delete(media.object_key)
    except ObjectStoreError:  # the row says rejected; a leftover object is only wasted space
        log.warning("media %s: could not delete the rejected object", media.id, exc_info=True)


def reject_stored(store: ObjectStore, media: Media, code: str, message: str) -> None:
    """Refuse a stored upload after the fact (a quota): the object goes, the row says why."""
    _reject(store, media, code, message)


def raise_if_rejected(media: Media) -> None:
    if media.status == "rejected" and media.error_code:
        raise rejection(media.error_code, media.error_message or "", media.id)
