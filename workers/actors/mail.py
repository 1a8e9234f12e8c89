"""Outgoing mail on the `webhooks` queue: one message per mail, carrying its id only.
Transient SMTP failures retry with Dramatiq's backoff; a permanent refusal fails the mail."""

from __future__ import annotations

from workers import mail
from workers.engine import plain_actor

MAX_RETRIES = mail.MAX_ATTEMPTS - 1


def _transient(retries: int, exc: BaseException) -> bool:
    # With retry_when, Dramatiq no longer counts against max_retries: the budget is here.
    return isinstance(exc, mail.TransientMailError) and retries <= MAX_RETRIES


@plain_actor(
    name=mail.ACTOR_NAME,
    queue=mail.QUEUE,
    min_backoff=2000,
    max_backoff=10 * 60 * 1000,
    time_limit=2 * 60 * 1000,
    retry_when=_transient,
)
def send_mail(mail_id: str) -> None:
    mail.attempt(mail_id)
