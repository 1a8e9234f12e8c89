"""Mail sent by API requests: rendered and queued as a row in the request's transaction, and
handed to the `send_mail` actor once that transaction commits."""

from __future__ import annotations

from typing import Any

from flask import current_app

from storage import mail as mail_service
from storage.db import db
from storage.identity import IssuedInvite
from storage.models.identity import Organisation, User
from storage.models.mail import OutboundMail
from storage.password_reset import IssuedReset
from workers.mail import send_after_commit


def send(kind: str, to: str, **context: Any) -> OutboundMail:
    message = mail_service.render(kind, to, **context)
    mail = mail_service.queue(db.session, current_app.extensions["secret_box"], kind, message)
    send_after_commit(db.session, mail.id)
    return mail


def link(path: str, **fragment: str) -> str:
    """A link to the platform's public address. Secrets go in the fragment, which browsers
    never send to a server, so they stay out of access logs and Referer headers."""
    from urllib.parse import urlencode

    base = current_app.extensions["settings"].public_base_url.rstrip("/")
    return f"{base}{path}#{urlencode(fragment)}" if fragment else f"{base}{path}"


def send_password_reset(issued: IssuedReset, ttl_seconds: int) -> OutboundMail:
    """The reset link, to the page that asks for the new password (the token in its
    fragment)."""
    user = issued.user
    return send(
        "password_reset",
        user.email,
        name=user.name,
        email=user.email,
        ttl_minutes=max(1, ttl_seconds // 60),
        link=link("/console/reset-password", token=issued.token),
    )


def send_invite(issued: IssuedInvite, inviter: User) -> OutboundMail:
    invite = issued.invite
    organisation = db.session.get(Organisation, invite.organisation_id)
    return send(
        "invite",
        invite.email,
        inviter=inviter.name,
        organisation=organisation.name,
        role=invite.role,
        code=issued.code,
        expires=invite.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        link=link("/console/register", invite=issued.code),
    )
