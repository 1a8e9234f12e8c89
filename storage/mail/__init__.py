"""Outgoing mail: render a message from its text and HTML templates and queue it as a row.

The row holds the rendered message encrypted (it carries a reset link or an invite code);
the `send_mail` actor sends it after the creating transaction commits and then wipes it.
Functions take the session and change rows; the caller commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.crypto import SecretBox
from storage.ids import new_id
from storage.models.mail import OutboundMail

TEMPLATES = Path(__file__).resolve().parent / "templates"
KINDS = ("password_reset", "invite")

# HTML templates are escaped (a name may hold markup); the text ones are not.
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    undefined=StrictUndefined,
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str
    html: str

    def dumps(self) -> str:
        return json.dumps(
            {"to": self.to, "subject": self.subject, "text": self.text, "html": self.html}
        )

    @classmethod
    def loads(cls, raw: str) -> Message:
        return cls(**json.loads(raw))


def render(kind: str, to: str, **context: Any) -> Message:
    """The message of `kind` from `<kind>.subject.txt`, `<kind>.txt` and `<kind>.html`."""
    if kind not in KINDS:
        raise ValueError(f"unknown mail kind {kind!r}")
    subject = _env.get_template(f"{kind}.subject.txt").render(**context).strip()
    return Message(
        to=to,
        subject=" ".join(subject.split()),
        text=_env.get_template(f"{kind}.txt").render(**context),
        html=_env.get_template(f"{kind}.html").render(**context),
    )


def queue(session: Session, box: SecretBox, kind: str, message: Message) -> OutboundMail:
    """Insert the message's row; the caller sends its broker message after commit."""
    mail = OutboundMail(
        id=new_id("mail"),
        kind=kind,
        status="pending",
        message=box.encrypt(message.dumps()),
        attempts=0,
    )
    session.add(mail)
    session.flush()
    return mail


WITHDRAWN = "withdrawn"


def withdraw_to(session: Session, box: SecretBox, address: str) -> int:
    """Unsent mail to `address` (a learner being erased): the message is wiped and the row
    marked withdrawn, so the sender and its sweeper skip it. Only unsent rows still hold a
    message, and they are few: each is decrypted to compare its recipient."""
    wanted, withdrawn = address.strip().lower(), 0
    for mail in session.scalars(select(OutboundMail).where(OutboundMail.message.is_not(None))):
        if Message.loads(box.decrypt(mail.message)).to.strip().lower() == wanted:
            mail.status, mail.message, mail.last_error = WITHDRAWN, None, "recipient erased"
            withdrawn += 1
    return withdrawn
