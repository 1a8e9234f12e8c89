"""Media files: learner recordings, teachers' vocabulary audio and images, import archives."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import db, utcnow
from storage.models.base import CreatedMixin, TenantMixin

MEDIA_KINDS = ("audio", "image", "video", "archive", "document")
MEDIA_STATUSES = ("pending", "ready", "rejected")
# How the bytes arrived: through the API, a presigned PUT, a presigned multipart upload, or
# unpacked from an archive by a bulk import.
MEDIA_SOURCES = ("upload", "presigned", "multipart", "import", "synthesis")
# Learners' recordings are private to them (and staff); staff uploads serve the organisation.
MEDIA_VISIBILITIES = ("private", "organisation")


class Media(TenantMixin, CreatedMixin, db.Model):
    """One stored file. Its type and size come from the bytes, never from the client."""

    __tablename__ = "media"
    __table_args__ = (
        Index("ix_media_organisation_id_kind_created_at", "organisation_id", "kind", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_user_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    owner_api_key_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("api_keys.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    object_key: Mapped[str] = mapped_column(String(1024))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    duration: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    source: Mapped[str] = mapped_column(String(16), default="upload")
    visibility: Mapped[str] = mapped_column(String(16), default="organisation")
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    upload_id: Mapped[str | None] = mapped_column(String(1024))
    import_job_id: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def error(self) -> dict[str, str] | None:
        if self.error_code is None:
            return None
        return {"code": self.error_code, "message": self.error_message or ""}
