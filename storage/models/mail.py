"""Outgoing mail: one row per message, sent by the `send_mail` actor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import db
from storage.models.base import CreatedMixin


class OutboundMail(CreatedMixin, db.Model):
    """A message waiting to go out, or gone. The rendered message carries secrets (a reset
    link, an invite code): it is stored encrypted and wiped once the message is sent."""

    __tablename__ = "outbound_mail"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sent|failed
    # The encrypted JSON {to, subject, text, html}; None once sent or failed.
    message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    enqueued_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
