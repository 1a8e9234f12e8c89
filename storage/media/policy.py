"""Who may see and change which media, and how large each kind may be."""

from __future__ import annotations

from sqlalchemy import Select, or_

from storage.actor import Actor
from storage.errors import AppError, Forbidden, NotFound
from storage.models.media import Media
from storage.tenancy import tenant_select

# Kinds a vocabulary word can carry.
WORD_MEDIA_KINDS = ("audio", "image", "video")


def check_may_upload(actor: Actor, kind: str) -> None:
    """Learners upload their own speech; staff and API keys upload any kind."""
    if not actor.is_staff() and kind != "audio":
        raise Forbidden("Learners can only upload audio recordings.", code="learner_audio_only")


def visible_query(actor: Actor) -> Select[tuple[Media]]:
    """The media the caller may read: staff see the organisation's, learners their own and
    what staff shared with the organisation."""
    stmt = tenant_select(Media, actor.organisation_id)
    if not actor.is_staff():
        stmt = stmt.where(
            or_(Media.owner_user_id == actor.user_id, Media.visibility == "organisation")
        )
    return stmt


def get_visible(session, actor: Actor, media_id: str, *, for_update: bool = False) -> Media:
    stmt = visible_query(actor).where(Media.id == media_id)
    if for_update:
        stmt = stmt.with_for_update()
    media = session.scalars(stmt).first()
    if media is None:
        raise NotFound(f"No media with id {media_id!r}.", code="media_not_found")
    return media


def check_may_change(actor: Actor, media: Media) -> None:
    if actor.is_staff() or (actor.user_id is not None and media.owner_user_id == actor.user_id):
        return
    raise Forbidden("Only the owner or staff can change this media.", code="not_media_owner")


class Rejected(AppError):
    """An upload whose bytes were refused; the media row records the same code."""

    status = 422
    code = "media_rejected"
    title = "Unprocessable entity"


# The HTTP status each rejection code answers with.
REJECTION_STATUS = {
    "empty_file": 422,
    "file_too_large": 413,
    "unsupported_type": 415,
    "kind_mismatch": 415,
    "audio_undecodable": 422,
}


def rejection(code: str, message: str, media_id: str | None = None) -> Rejected:
    extra = {"media_id": media_id} if media_id else {}
    return Rejected(message, code=code, status=REJECTION_STATUS.get(code, 422), details=extra)
