"""Reading and deleting media: lists, one item, its content, removal."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Select, String, cast, select
from sqlalchemy.orm import Session

from storage.actor import Actor
from storage.errors import Conflict
from storage.media.policy import check_may_change, get_visible, visible_query
from storage.models.learning import Word
from storage.models.media import Media
from storage.objectstore import (
    LocalResponse,
    ObjectNotFound,
    ObjectStore,
    ObjectStoreError,
    serve_object,
)
from storage.objectstore.keys import incoming_key
from storage.tenancy import tenant_select

log = logging.getLogger(__name__)
DOWNLOAD_URL_SECONDS = 300


def list_query(
    actor: Actor, kind: str | None = None, status: str | None = None
) -> Select[tuple[Media]]:
    """The media the caller may see, newest first."""
    stmt = visible_query(actor)
    if kind:
        stmt = stmt.where(Media.kind == kind)
    if status:
        stmt = stmt.where(Media.status == status)
    return stmt.order_by(Media.created_at.desc(), Media.id.desc())


def get_media(session: Session, actor: Actor, media_id: str) -> Media:
    return get_visible(session, actor, media_id)


def content(
    session: Session,
    store: ObjectStore,
    actor: Actor,
    media_id: str,
    method: str = "GET",
    range_header: str | None = None,
) -> str | LocalResponse:
    """A presigned URL to redirect to (S3), or the bytes served from here (local disk)."""
    media = get_visible(session, actor, media_id)
    if media.status != "ready":
        raise Conflict(f"The media is {media.status}, not ready.", code="media_not_ready")
    if store.redirect_downloads:
        return store.presign_get(
            media.object_key,
            DOWNLOAD_URL_SECONDS,
            download_name=media.filename,
            content_type=media.content_type,
        )
    return serve_object(
        store, media.object_key, method, range_header, media.filename, media.content_type
    )


def delete_media(session: Session, store: ObjectStore, actor: Actor, media_id: str) -> None:
    """Remove the object, the row, and the media's place in vocabulary words."""
    media = get_visible(session, actor, media_id, for_update=True)
    check_may_change(actor, media)
    if media.source == "multipart" and media.upload_id:
        store.abort_multipart(media.object_key, media.upload_id)
    # The object goes first: if the store is down the row stays and the delete can be retried.
    store.delete(media.object_key)
    if media.source == "presigned":
        store.delete(incoming_key(media.object_key))
    detach_from_words(session, media.organisation_id, media.id)
    session.delete(media)
    session.flush()


def detach_from_words(session: Session, organisation_id: str, media_id: str) -> None:
    # media_ids is a JSON list (JSONB on PostgreSQL, text on SQLite); its text form holds
    # the quoted id on both, which keeps this query portable.
    stmt = tenant_select(Word, organisation_id).where(
        cast(Word.media_ids, String).like(f'%"{media_id}"%')
    )
    for word in session.scalars(stmt):
        word.media_ids = [item for item in word.media_ids if item != media_id]


def remove_objects(store: ObjectStore, media: Media) -> None:
    """Delete what the store holds for a media row (its object, an unfinished multipart
    upload, a presigned upload's incoming object); what is already gone is no error, so a
    removal interrupted halfway can run again."""
    if media.source == "multipart" and media.upload_id:
        try:
            store.abort_multipart(media.object_key, media.upload_id)
        except ObjectNotFound:
            pass
    store.delete(media.object_key)
    if media.source == "presigned":
        store.delete(incoming_key(media.object_key))


def expire_pending(session: Session, store: ObjectStore, before: datetime, limit: int = 200) -> int:
    """Drop uploads started before `before` and never completed: their parts or object and
    their row. Rows are taken with SKIP LOCKED so two schedulers never share one."""
    stale = session.scalars(
        select(Media)
        .where(Media.status == "pending", Media.created_at < before)
        .order_by(Media.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    removed = 0
    for media in stale:
        try:
            remove_objects(store, media)
        except ObjectStoreError:  # the store is down: try again at the next run
            log.warning("media %s: abandoned upload not removed yet", media.id, exc_info=True)
            continue
        session.delete(media)
        removed += 1
    session.flush()
    return removed
