"""Sending outgoing mail: the broker message after commit, and one delivery attempt.

With SMTP_HOST set the message goes through the standard library's SMTP client (STARTTLS,
TLS or plain, with a login when SMTP_USERNAME is set). Without it (embedded mode) the
message is written to DATA_DIR/mail/<id>.eml and the path logged. Log lines name the mail
id and kind, never the message (it carries a reset link or an invite code) nor the SMTP
password.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import dramatiq
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage import mail as mail_service
from storage.db import after_commit, db, utcnow
from storage.models.mail import OutboundMail
from workers import engine, runtime

log = logging.getLogger(__name__)

ACTOR_NAME = "send_mail"
# Mail leaves the platform like webhooks do: the same queue, so no worker needs a new one.
QUEUE = "webhooks"
# Runs of one mail: the first and the actor's retries (workers.actors.mail); the last
# transient failure fails the mail.
MAX_ATTEMPTS = 9


class TransientMailError(Exception):
    """The SMTP server could not take the message now (4xx, connection lost): retried."""


def send_after_commit(session: Session, mail_id: str) -> None:
    """Send the mail's broker message once the transaction that queued it commits."""
    after_commit(session, lambda: dispatch(mail_id))


def _send_message(mail_id: str) -> bool:
    message = dramatiq.Message(
        queue_name=engine.actor_queue(ACTOR_NAME),
        actor_name=ACTOR_NAME,
        args=(mail_id,),
        kwargs={},
        options={},
    )
    try:
        runtime.get().broker.enqueue(message)
    except Exception as exc:
        log.warning(
            "mail %s: broker send failed (%s); the sweeper will re-send",
            mail_id,
            type(exc).__name__,
        )
        return False
    return True


def dispatch(mail_id: str) -> bool:
    """Send the mail's broker message and record that it left (on a session of its own:
    this runs after the creating transaction committed)."""
    if not _send_message(mail_id):
        return False
    with Session(db.engine) as session, session.begin():
        session.execute(
            update(OutboundMail).where(OutboundMail.id == mail_id).values(enqueued_at=utcnow())
        )
    return True


def build(mail_id: str, message: mail_service.Message, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rpartition("@")[2].rstrip(">").strip() or "localhost"
    email["Message-ID"] = make_msgid(idstring=mail_id, domain=domain)
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    return email


def attempt(mail_id: str) -> None:
    """Send one pending mail. Raises TransientMailError for the actor's retries; a refusal
    for good (5xx) marks the mail failed."""
    settings = current_app.extensions["settings"]
    mail = db.session.get(OutboundMail, mail_id)
    if mail is None or mail.status != "pending" or mail.message is None:
        return  # already sent (a redelivered message), failed, or gone
    mail.attempts += 1
    message = mail_service.Message.loads(current_app.extensions["secret_box"].decrypt(mail.message))
    email = build(mail.id, message, settings.mail_from)
    try:
        where = _deliver(settings, mail.id, email)
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            _retry_or_fail(mail, f"SMTP {exc.smtp_code}")
            return
        _finish(mail, "failed", f"SMTP {exc.smtp_code}")
        log.error("mail %s (%s) refused for good: SMTP %s", mail.id, mail.kind, exc.smtp_code)
        return
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _ in exc.recipients.values()})
        if all(400 <= code < 500 for code in codes):
            _retry_or_fail(mail, f"recipient refused {codes}")
            return
        _finish(mail, "failed", f"recipient refused {codes}")
        log.error("mail %s (%s): recipient refused (%s)", mail.id, mail.kind, codes)
        return
    except (smtplib.SMTPException, OSError) as exc:
        _retry_or_fail(mail, type(exc).__name__)
        return
    log.info("mail %s (%s) sent %s", mail.id, mail.kind, where)
    _finish(mail, "sent", None)


def _retry_or_fail(mail: OutboundMail, error: str) -> None:
    """A transient failure: raise for the actor's next retry, or, with none left, fail the
    mail for good (it is not left pending forever)."""
    if mail.attempts >= MAX_ATTEMPTS:
        _finish(mail, "failed", f"{error} ({mail.attempts} attempts)")
        log.error(
            "mail %s (%s) failed after %d attempts: %s", mail.id, mail.kind, mail.attempts, error
        )
        return
    mail.last_error = error
    db.session.commit()
    raise TransientMailError(error)


def _finish(mail: OutboundMail, status: str, error: str | None) -> None:
    mail.status, mail.last_error, mail.message = status, error, None
    if status == "sent":
        mail.sent_at = utcnow()
    db.session.commit()


def _deliver(settings: Any, mail_id: str, email: EmailMessage) -> str:
    if not settings.smtp_host:
        folder = Path(settings.data_dir) / "mail"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{mail_id}.eml"
        temporary = path.with_suffix(".eml.part")
        # Readable by the platform's user only: the file holds the link or the code.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(email.as_bytes())
        temporary.replace(path)
        return f"to file {path.resolve()}"
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout_seconds
    context = ssl.create_default_context()
    if settings.smtp_tls == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        if settings.smtp_tls == "starttls":
            client.starttls(context=context)
        if settings.smtp_username:
            client.login(settings.smtp_username, settings.smtp_password)
        client.send_message(email)
    return f"through {host}:{port}"


def resend_unsent(grace_seconds: int = 10) -> int:
    """Send the messages of mail queued while the broker was down (no `enqueued_at`). Rows
    are locked (SKIP LOCKED) until it is recorded, so two schedulers never both send one."""
    session = db.session
    sent = 0
    try:
        rows = session.scalars(
            select(OutboundMail)
            .where(
                OutboundMail.status == "pending",
                OutboundMail.enqueued_at.is_(None),
                OutboundMail.created_at < utcnow() - timedelta(seconds=grace_seconds),
            )
            .order_by(OutboundMail.created_at)
            .limit(500)
            .with_for_update(skip_locked=True)
        ).all()
        for mail in rows:
            if not _send_message(mail.id):
                break  # broker still down: try again at the next run
            mail.enqueued_at = utcnow()
            sent += 1
        session.commit()
    finally:
        session.rollback()
    if sent:
        log.info("sweeper: re-sent %d mail message(s)", sent)
    return sent
